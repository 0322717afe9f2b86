from indexer.registry import registry

# SPEC §2.4: the 99 keys OKX's VerifyAddress accepts.
ACCEPTED = """BTC USDT-OMNI USDT BCHN BCHA BSV LTC DOGE DASH BTG BCD DGB QTUM RVN ZEC
ETH ETH-ARBITRUM ETH-OPTIMISM USDT-ERC20 USDG-ERC20 USDG-XLAYER USDT-POLY USDT-AVAXC USDT-ARBITRUM USDT-OPTIMISM USDC
POLY-USDC USDC-AVAXC USDC-ARBITRUM USDC-OPTIMISM ETC BABYDOGE-BSC SHIB UNI LINK ETHW BLUR MATIC PEOPLE OKB OPTIMISM
ETH-LINEA BASE ETH-BASE ETH-ZKSYNC2 OKB-X1 OKB-X1-ETH OKB-X1-USDT OKB-X1-USDC POLY-USDC-3359 USDC-OPTIMISM-FF85
USDC-ARBITRUM-NATIVE USDC-BASE ZKSYNC2 FIL-EVM
SOL USDC-SPL USDT-SPL USDG APTOS APTOS-FA USDT-APTOS USDC-APTOS SUI USDC-SUI TONCOIN-NEW USDT-TON DOT ASSET-HUB XLM PI
ADA NEAR HBAR
USDT-OKC20 OKB-OKC20 LTCK-OKC20 FILK-OKC20 USDC-OKC20 SHIBK-KIP20 DOTK-OKC20 ETCK-KIP20 XRPK-KIP20 UNIK-OKC20
BCHK-KIP20 BABYDOGE-KIP20 LINKK-OKC20 TRXK-KIP20 OKT ETHK-OKC20 FIL CFX ELF LUNC
USDT-TRC20 USDC-TRC TRX BETH STARKNET-ETH""".split()

MAIN_ASSETS = "BTC ETH USDT USDC XRP DOGE SOL OKB APT DASH DOT ELF EOS ETC FIL LINK LTC OKT PEOPLE TON TRX UNI".split()


def test_every_accepted_okx_key_is_registered_with_asset_family_and_decimals():
    reg = registry()
    assert len(ACCEPTED) == 99
    for key in ACCEPTED:
        coin = reg.coin(key)
        assert coin is not None, key
        assert coin.asset and coin.family and coin.decimals is not None, key


def test_each_main_asset_has_a_network():
    reg = registry()
    for asset in MAIN_ASSETS:
        networks = {c.network for c in reg.coins.values() if c.asset == asset and c.network}
        assert networks, asset


def test_evm_networks_have_chain_ids_and_tokens_have_contracts():
    reg = registry()
    for net in reg.networks.values():
        if net.adapter == "evm":
            assert net.chain_id, net.name
    assert reg.coin("USDT-ERC20").contract.lower() == "0xdac17f958d2ee523a2206206994597c13d831ec7"
    assert reg.coin("usdt-trc20").network == "TRON"


def test_network_aliases_and_coin_key_decide_the_network():
    reg = registry()
    assert reg.resolve_network("USDT-ARBITRUM", "Arbitrum One") == "ARBITRUM"
    assert reg.resolve_network("ETH-ARBITRUM", "") == "ARBITRUM"
    assert reg.resolve_network("NOT-A-COIN", "arbitrum one") == "ARBITRUM"
    assert reg.resolve_network("NOT-A-COIN", "") == "NOT-A-COIN"

"""Address parameters of the Bitcoin-family networks (SPEC §3.4 step 2), by OKX address type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UtxoParams:
    p2pkh: bytes  # base58check version prefix(es)
    p2sh: bytes
    hrp: str  # segwit human-readable part ("" when the chain has no segwit)
    header: str  # message-header constant name (see indexer registry ``header``)


# Mainnet parameters as OKX's tool uses them. BCH/BCHA/ZEN/DCR use BTC's.
PARAMS: dict[str, UtxoParams] = {
    "BTC": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "BCH": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "BCHA": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "ZEN": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "DCR": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "LTC": UtxoParams(bytes([48]), bytes([50]), "ltc", "LTC"),
    "DOGE": UtxoParams(bytes([30]), bytes([22]), "", "DOGE"),
    "DASH": UtxoParams(bytes([76]), bytes([16]), "", "DASH"),
    "BTG": UtxoParams(bytes([38]), bytes([23]), "btg", "BTG"),
    "DGB": UtxoParams(bytes([30]), bytes([63]), "dgb", "DGB"),
    "QTUM": UtxoParams(bytes([58]), bytes([50]), "qc", "QTUM"),
    "RVN": UtxoParams(bytes([60]), bytes([122]), "", "RVN"),
    "ZEC": UtxoParams(b"\x1c\xb8", b"\x1c\xbd", "", "ZEC"),
    # Regtest/testnet variants used by tests and by users of local nodes.
    "LTC_REGTEST": UtxoParams(bytes([111]), bytes([58]), "rltc", "LTC"),
    "BTC_REGTEST": UtxoParams(bytes([111]), bytes([196]), "bcrt", "BTC"),
}

# Message-header constants (SPEC §2.1), byte-exact.
HEADERS: dict[str, bytes] = {
    "BTC": b"Bitcoin Signed Message:\n",
    "LTC": b"Litecoin Signed Message:\n",
    "DOGE": b"Dogecoin Signed Message:\n",
    "DASH": b"DarkCoin Signed Message:\n",
    "BTG": b"Bitcoin Gold Signed Message:\n",
    "BCD": b"Bitcoindiamond Signed Message:\n",
    "DGB": b"DigiByte Signed Message:\n",
    "QTUM": b"Qtum Signed Message:\n",
    "RVN": b"Raven Signed Message:\n",
    "ZEC": b"Zcash Signed Message:\n",
}


# --- Balance side: which scriptPubKey an address stands for, per (network, node chain) ---------
# Separate from PARAMS on purpose: PARAMS reproduces what OKX's verifier accepts (BTC's
# hrp for DOGE, one P2SH prefix for LTC); a balance lookup must instead accept exactly the
# addresses the chain itself accepts, or a balance is read for a script nobody can pay.


@dataclass(frozen=True, slots=True)
class ChainParams:
    p2pkh: tuple[bytes, ...]  # base58check version prefixes of P2PKH
    p2sh: tuple[bytes, ...]  # ... of P2SH (Litecoin and DigiByte keep a legacy second prefix)
    hrp: str = ""  # segwit hrp; "" = the chain has no segwit
    cashaddr: str = ""  # CashAddr prefix; "" = not used
    magic: bytes = b""  # P2P message start, checked against a UTXO dump's header; b"" = unknown


# Keyed by (registry network, ``chain`` as getblockchaininfo names it).
CHAIN_PARAMS: dict[tuple[str, str], ChainParams] = {
    ("BTC", "main"): ChainParams((b"\x00",), (b"\x05",), "bc", magic=bytes.fromhex("f9beb4d9")),
    ("BTC", "test"): ChainParams((b"\x6f",), (b"\xc4",), "tb", magic=bytes.fromhex("0b110907")),
    ("BTC", "testnet4"): ChainParams((b"\x6f",), (b"\xc4",), "tb", magic=bytes.fromhex("1c163f28")),
    ("BTC", "signet"): ChainParams((b"\x6f",), (b"\xc4",), "tb", magic=bytes.fromhex("0a03cf40")),
    ("BTC", "regtest"): ChainParams((b"\x6f",), (b"\xc4",), "bcrt", magic=bytes.fromhex("fabfb5da")),
    ("LTC", "main"): ChainParams((bytes([48]),), (bytes([50]), b"\x05"), "ltc", magic=bytes.fromhex("fbc0b6db")),
    ("LTC", "test"): ChainParams((b"\x6f",), (bytes([58]), b"\xc4"), "tltc", magic=bytes.fromhex("fdd2c8f1")),
    ("LTC", "regtest"): ChainParams((b"\x6f",), (bytes([58]), b"\xc4"), "rltc", magic=bytes.fromhex("fabfb5da")),
    ("DOGE", "main"): ChainParams((bytes([30]),), (bytes([22]),)),
    ("DASH", "main"): ChainParams((bytes([76]),), (bytes([16]),)),
    ("BCH", "main"): ChainParams((b"\x00",), (b"\x05",), cashaddr="bitcoincash"),
    ("BCH", "test"): ChainParams((b"\x6f",), (b"\xc4",), cashaddr="bchtest"),
    ("BCH", "regtest"): ChainParams((b"\x6f",), (b"\xc4",), cashaddr="bchreg"),
    ("BSV", "main"): ChainParams((b"\x00",), (b"\x05",)),
    ("BTG", "main"): ChainParams((bytes([38]),), (bytes([23]),), "btg"),
    ("BCD", "main"): ChainParams((b"\x00",), (b"\x05",)),
    ("DGB", "main"): ChainParams((bytes([30]),), (bytes([63]), b"\x05"), "dgb"),
    ("QTUM", "main"): ChainParams((bytes([58]),), (bytes([50]),), "qc"),
    ("RVN", "main"): ChainParams((bytes([60]),), (bytes([122]),)),
    ("ZEC", "main"): ChainParams((b"\x1c\xb8",), (b"\x1c\xbd",)),
}


def chain_params(network: str, chain: str = "main") -> ChainParams | None:
    return CHAIN_PARAMS.get((network.upper(), chain))

"""HTX (Huobi): its monthly ``huobi_por.csv`` (summary + detail sections, ``-`` for absent) and its signatures.

The file (HTX's checker ``huobiapi/Tool-Node.js-VerifyAddress``, ``snapshot/huobi_por.csv``) starts with a
BOM, then ``coin,snapshot height,balance`` rows (per coin key, and ``ASSET(ALL)``/``ASSET(All)`` aggregates
with height ``-``), an empty line, and ``coin,address,snapshot height,balance,message,signature`` rows.
``-`` means absent: no proof (message and signature ``-``), or no amount (height and balance ``-``: an
address that signs while its balance is counted elsewhere), which is NULL, never zero.

Coin keys mix asset and network in many spellings, and case changes between months (``wBTC``/``WBTC``):
``coins.csv`` (this package) maps every key HTX used since 2022 (upper-cased) to its asset, network, form,
signature scheme and contract (a registry coin of ``data/coins.csv`` where one exists, so a contract is
written once). ``balance_of`` says whether the contract's balance is the amount HTX states; a ``receipt``
(jUSDT, Morpho vault shares) is stated in its underlying, so its contract never reaches the registry and
its rows are never read as if 1:1.

Signatures, strictly (the address must be the one derived from the recovered key), as HTX's checker
verifies them (``src/sdk/*.js``), with the chain families' code: BTC/DOGE signed messages through
``chains.utxo`` (base64, header byte = recovery id + compression; P2PKH, P2SH-P2WPKH, P2WPKH), EVM over
``keccak256(message)`` first, then EIP-191 ``personal_sign`` (v 0/1 or 27/28), TRON through TronWeb's
``keccak256(TRON32 ‖ bytes)`` over the message's own bytes, then over ``keccak256(message)`` (last byte
00/01 read as 27/28), SOL/ALGO ed25519 over the message's UTF-8 bytes with the key the address encodes.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from indexer.models import Coin, Layout, Publication, Registry, SignedRow, Verdict, first_header, header_names
from indexer.plugins import ExchangePlugin, file_synth, VerifyFn, package_csv, per_registry, scheme

COIN_MAP = "coins.csv"  # package data: exchanges/htx/coins.csv
FORMS = ("native", "wrapped", "bridged", "staked", "lent")
# What a token contract's balanceOf is: "amount" = the amount HTX states (WBTC, aEthUSDT, stETH); "receipt" =
# receipt units (JustLend jTokens, vault shares) while HTX states the underlying, so the contract is never read.
BALANCE_OF = ("", "amount", "receipt")
SUMMARY_HEADER = ("coin", "snapshotheight", "balance")
DETAIL_HEADER = ("coin", "address", "snapshotheight", "balance", "message", "signature")
ABSENT = frozenset({"-"})


# ------------------------------------------------------------------------------------------ layouts
def detail_layout(cells: list[str]) -> Layout | None:
    """HTX's one detail layout; the amount may be ``-`` (signature-only row), the signature too (no proof)."""
    if header_names(cells) != DETAIL_HEADER:
        return None
    columns = {"coin": 0, "address": 1, "snapshot_height": 2, "amount": 3, "message": 4, "signature1": 5}
    return Layout(
        "htx6", columns, width=6, required=("coin", "address"), min_cells=4, amount_optional=True, null_markers=ABSENT
    )


def summary_width(cells: list[str]) -> int | None:
    return 3 if header_names(cells) == SUMMARY_HEADER else None


def recognise(records: list[list[str]]) -> bool:
    """HTX's summary header (``balance``, where OKX writes ``amount``) or its six-column detail header."""
    if first_header(records) in (SUMMARY_HEADER, DETAIL_HEADER):
        return True
    return any(header_names(cells) == DETAIL_HEADER for cells in records)


# ------------------------------------------------------------------------------------------ the coin map
@per_registry
def htx_registry(core: Registry) -> Registry:
    """HTX's coin keys as a Registry (networks are the core's): ``reg.coin(text)`` is case-insensitive."""
    coins: dict[str, Coin] = {}
    for rec in package_csv(__name__, COIN_MAP):
        key = rec["coin_key"].upper()
        if key in coins:
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} is listed twice (keys are compared upper-cased)")
        if rec["form"] not in FORMS:
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} has form {rec['form']!r}; known: {', '.join(FORMS)}")
        if rec["scheme"] not in SCHEMES:
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} has scheme {rec['scheme']!r}; known: {', '.join(SCHEMES)}")
        base = core.coin(rec["registry_coin"]) if rec["registry_coin"] else None
        if rec["registry_coin"] and base is None:
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} names registry coin {rec['registry_coin']}, which data/coins.csv lacks")
        if rec["balance_of"] not in BALANCE_OF or (rec["contract"] and not rec["balance_of"]):
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} has balance_of {rec['balance_of']!r}; a contract needs amount or receipt")
        readable = rec["balance_of"] != "receipt"  # a receipt's contract stays in the file, never in the registry
        network = base.network if base else rec["network"]
        if network and network not in core.networks:
            raise ValueError(f"{COIN_MAP}: {rec['coin_key']} names unknown network {network}")
        coins[key] = Coin(
            key=key,
            asset=rec["asset"],
            network=network,
            family=rec["scheme"],
            address_type=base.address_type if base else "",  # the chain scheme reads the base coin's parameters
            header=base.header if base else "",
            decimals=base.decimals if base else (int(rec["decimals"]) if rec["decimals"] else None),
            contract=base.contract if base else (rec["contract"] if readable else ""),
            source=base.source if base else (rec["source"] if readable else ""),
            form=rec["form"],
        )
    return Registry(coins=coins, networks=core.networks, network_aliases=core.network_aliases)


_NAME = re.compile(r"^(?:huobi|htx)_por_(\d{8})(?:\D|$)", re.IGNORECASE)


def publication(file_name: str, members: list[str]) -> Publication | None:
    """``huobi_por_20230201.csv`` -> 2023-02-01 00:00 UTC (HTX names its monthly files by day; today's is undated)."""
    for name in (file_name, *members):
        found = _NAME.match(name.rsplit("/", 1)[-1])
        if found:
            try:
                at = datetime.strptime(found.group(1), "%Y%m%d").replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            return Publication(at, None, at.strftime("HTX %Y-%m-%d"))
    return None


# ------------------------------------------------------------------------------------------ signatures
def no_proof(row: SignedRow) -> Verdict | None:
    """The verdict for a row that carries no ownership proof, or None when it carries one.

    HTX writes ``-`` (stored as empty) in both the message and the signature cell of an address it
    does not prove, and a few 2022/2023 rows have a message and an empty signature: neither is a
    failed proof, there is simply none.
    """
    if row.signature1:
        return None
    if row.message:
        return Verdict("unsupported", f"no proof published (message {row.message!r}, no signature)")
    return Verdict("unsupported", "no proof published")


def _proved_by(scheme_name: str) -> VerifyFn:
    """HTX's rows of one coin map scheme: no proof where HTX wrote none, else the chain's scheme, named by name.

    The schemes are the chains' own (``chains.utxo``'s ``bitcoin-signed-message``, ``chains.evm``'s
    ``evm-keccak-or-eip191``, ...), found through the plugin registry: this exchange imports no chain.
    """

    def verify(row: SignedRow, coin: Coin) -> Verdict:
        none = no_proof(row)
        if none:
            return none
        found = scheme(scheme_name)
        if found is None:
            return Verdict("unsupported", f"no installed chain plugin publishes the {scheme_name} scheme")
        # One signature, no script (HTX writes neither signature2 nor a redeem script). ``coin`` is the coin map's
        # (the core hands each exchange's rows their exchange's registry coin): the chain parameters of the key.
        return found.verify(SignedRow(row.row_no, coin.key, row.address, row.message, row.signature1), coin)

    return verify


def _none(row: SignedRow, coin: Coin) -> Verdict:
    return no_proof(row) or Verdict("unsupported", "HTX's checker has no signature scheme for this coin key")


# The coin map's scheme column -> the chain scheme HTX's checker (src/sdk/*.js) uses for it.
SCHEME_NAMES = {
    "HTX-BTC": "bitcoin-signed-message",  # btc.js: base64, header byte = recovery id + compression
    "HTX-DOGE": "bitcoin-signed-message",
    "HTX-EVM": "evm-keccak-or-eip191",  # evm.js
    "HTX-TRX": "tron-message-or-hash",  # trx.js (TronWeb)
    "HTX-SOL": "solana-raw-message",  # sol.js
    "HTX-ALGO": "algorand-raw-message",  # algo.js
}
SCHEMES: dict[str, VerifyFn] = {tag: _proved_by(name) for tag, name in SCHEME_NAMES.items()} | {"HTX-NONE": _none}

plugin = ExchangePlugin(
    name="htx",
    description="HTX (Huobi): huobi_por.csv, summary + detail, BTC/EVM/TRON/SOL/ALGO signatures",
    recognise=recognise,
    layout=detail_layout,
    summary_width=summary_width,
    registry=htx_registry,
    schemes=SCHEMES,
    publication=publication,
    own_tokens=("HT", "HTX"),  # HT and its successor HTX
    synth=file_synth("exchanges.htx.synth", "write_htx", "htx"),
    # HTX's rows carry two decimals (its checker's snapshot/huobi_por.csv) while its summary is summed before rounding:
    # 2025-09-11, BTC(ALL) 20089.82802 against seven rows summing to 20089.83; TRX(ALL) 0.02 apart over 14 rows.
    rounded_amounts=True,
    # 28 of the 33 versions of huobi_por.csv in HTX's own checker repository (huobiapi/Tool-Node.js-VerifyAddress,
    # snapshot/huobi_por.csv, its git history to 2026-02) disagree with their summary beyond any rounding: totals of
    # holdings with no address (USDT-T-BILLS, BTC-BUY-BACK), totals filed under another key, per-key gaps. They are
    # HTX's real publications, so a mismatch is recorded and shown (published_totals_check, por report), not refused.
    summary_must_add_up=False,
)

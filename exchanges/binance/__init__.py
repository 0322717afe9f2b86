"""Binance: ``wallet_address_<YYYYMMDD>.zip`` (``<auditId>_HotCold.csv`` + ``<auditId>_Deposit.csv``) and its audit page.

Both members have the header ``coin,network,address,balance,Height,Third party custodian name`` and are one
publication (one snapshot); a member given alone is a snapshot too. Balances carry 18 decimal places
whatever the coin: trailing zeros past the coin's decimals are accepted, any other digit there is an
ingest error (the core's amount rule). A row names its coin and network apart, so the key is looked up by
the pair (``coins.csv`` in this package, then the registry's (asset, network) pairs). The custodian cell is
kept per row (``addresses.custodian``): a named custodian holds the address for Binance (the page's
``thirdPartyCustody``). Binance publishes no ownership proof: every row's family is ``BINANCE-NONE`` and
its verdict ``unsupported`` with that reason, written in one SQL statement (ten million rows).

The audit page is JSON: ``auditId``, ``merkleRootHash``, ``snapshotTime`` and ``snapshotDataList[]`` of
``{coin, ratio, customerLiability, binanceLiability, exchangeBalance, thirdPartyCustody}``: liabilities are
``customerLiability``; Binance's claims are reserve = ``binanceLiability``, exchange part = ``exchangeBalance``,
custody part = ``thirdPartyCustody``, ratio = ``ratio``. Numbers are read from their JSON literals
(``Decimal``), never through a float.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from indexer.models import AuditPage, Claim, Layout, LiabilityError, Publication, Registry, Verdict, first_header, header_names, json_text, percent_to_ratio
from indexer.plugins import ExchangePlugin, file_synth, package_csv, per_registry

COIN_MAP = "coins.csv"  # package data: exchanges/binance/coins.csv
FAMILY = "BINANCE-NONE"
NO_PROOF = "exchange publishes no ownership proof"
HEADER = ("coin", "network", "address", "balance", "height", "thirdpartycustodianname")
_FIELDS = {"coin": "coin", "network": "network", "address": "address", "balance": "amount", "height": "snapshot_height",
           "thirdpartycustodianname": "custodian"}  # fmt: skip


def detail_layout(cells: list[str]) -> Layout | None:
    names = header_names(cells)
    if set(names) != set(HEADER) or len(names) != len(HEADER):
        return None
    columns = {_FIELDS[n]: i for i, n in enumerate(names)}
    last_needed = max(columns[f] for f in ("coin", "network", "address", "amount", "snapshot_height"))
    return Layout("binance6", columns, width=len(names), required=("coin", "network", "address", "amount"),
                  min_cells=last_needed + 1, pair_coins=True)  # fmt: skip


def recognise(records: list[list[str]]) -> bool:
    return set(first_header(records)) == set(HEADER)


@per_registry
def binance_registry(core: Registry) -> Registry:
    """The core registry with every coin's family set to BINANCE-NONE (no proofs) and the pair map's keys completed."""
    coins = {key: replace(coin, family=FAMILY) for key, coin in core.coins.items()}
    for rec in package_csv(__name__, COIN_MAP):
        coin = coins.get(rec["coin_key"])
        if coin is None:
            raise ValueError(f"{COIN_MAP}: {rec['coin']}/{rec['network']} names coin key {rec['coin_key']}, which data/coins.csv lacks")
        net = core.networks[coin.network]
        asset = coin.asset or rec["coin"].upper()
        decimals = coin.decimals if coin.decimals is not None else (net.native_decimals if net.is_native(asset) and not coin.contract else None)
        coins[coin.key] = replace(coin, asset=asset, decimals=decimals)
    return Registry(coins=coins, networks=core.networks, network_aliases=core.network_aliases)


@per_registry
def _pairs(reg: Registry) -> dict[tuple[str, str], str]:
    """(coin, network as Binance writes it) -> coin key: the map file first, then the registry's own pairs."""
    found: dict[tuple[str, str], str] = {}
    for coin in sorted(reg.coins.values(), key=lambda c: (len(c.key), c.key)):  # the shortest key of a pair wins
        if coin.asset and coin.network:
            found.setdefault((coin.asset.upper(), coin.network), coin.key)
    for rec in package_csv(__name__, COIN_MAP):
        found[(rec["coin"].upper(), rec["network"].upper())] = rec["coin_key"]
    return found


def pair_key(coin: str, network: str, reg: Registry) -> str | None:
    """Binance's (coin, network) cells -> the coin key of ``reg`` (Binance's registry) they name."""
    pairs = _pairs(reg)
    coin, network = coin.strip().upper(), network.strip().upper()
    key = pairs.get((coin, network))
    if key is None:
        net = reg.network(network)
        key = pairs.get((coin, net.name)) if net is not None else None
    return key


_ZIP = re.compile(r"^wallet_address_(\d{8})(?:\D|$)")
_AUDIT = re.compile(r"^PR(\d{2})([A-Z]{3})(\d{2})_", re.IGNORECASE)


def publication(file_name: str, members: list[str]) -> Publication | None:
    """``wallet_address_20260401.zip`` -> 2026-04-01; a member alone: its audit id ``PR01APR26`` -> the same date."""
    at = None
    found = _ZIP.match(file_name)
    if found:
        try:
            at = datetime.strptime(found.group(1), "%Y%m%d")
        except ValueError:
            at = None
    for name in (file_name, *members):
        if at is not None:
            break
        m = _AUDIT.match(name.rsplit("/", 1)[-1])
        if m:
            try:
                at = datetime.strptime(f"{m.group(1)}{m.group(2).title()}{m.group(3)}", "%d%b%y")
            except ValueError:
                at = None
    if at is None:
        return None
    at = at.replace(tzinfo=timezone.utc)
    return Publication(at, None, at.strftime("Binance %Y-%m-%d"))


# ------------------------------------------------------------------------------------------ audit page
def _page_object(doc: Any) -> dict | None:
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):  # Binance's API wraps pages as {"code", "data"}
        doc = doc["data"]
    if isinstance(doc, dict) and isinstance(doc.get("snapshotDataList"), list):
        return doc
    return None


def _ratio(value: Any, where: str, reserve: str | None, owed: str | None) -> tuple[str | None, str | None]:
    """(as written, exact ratio): '105%' -> 1.05. A bare number is the ratio (1.05) or its percentage (105):
    the page's own reserve / liability says which, as the two readings are 100x apart; with nothing to
    compare, it is the ratio."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str) and value.strip().endswith("%"):
        return value.strip(), percent_to_ratio(value, where)
    text = json_text(value, where)
    if text is not None and _reads_as_percent(Decimal(text), reserve, owed):
        return text, percent_to_ratio(text + "%", where)
    if text is not None and len(text.partition(".")[2]) > 18:
        raise LiabilityError(f"{where} {text!r} has more decimals than an exact ratio column holds (18)")
    return text, text


def _reads_as_percent(written: Decimal, reserve: str | None, owed: str | None) -> bool:
    """True when ``written`` / 100 is nearer reserve / owed than ``written`` itself is."""
    if reserve is None or owed is None or Decimal(owed) == 0 or Decimal(reserve) == 0:
        return False
    computed = Decimal(reserve) / Decimal(owed)
    return abs(written / 100 / computed - 1) < abs(written / computed - 1)


def audit_page(doc: Any):
    """Binance's audit page as an AuditPage (liabilities + claims per coin), or None when the JSON is not one."""
    page = _page_object(doc)
    if page is None:
        return None
    audit_id = page.get("auditId")
    if audit_id is None or isinstance(audit_id, (bool, dict, list)) or not str(audit_id).strip():
        raise LiabilityError(f"Binance's audit page has no auditId ({audit_id!r})")
    merkle = page.get("merkleRootHash")
    if merkle is not None and not isinstance(merkle, str):
        raise LiabilityError(f"Binance's merkleRootHash is {merkle!r}, not a string")
    when = page.get("snapshotTime")
    create_ms = when if isinstance(when, int) and not isinstance(when, bool) else (int(when) if isinstance(when, str) and when.strip().isdigit() else None)
    liabilities: dict[str, str] = {}
    claims: dict[str, Claim] = {}
    for i, item in enumerate(page["snapshotDataList"]):
        if not isinstance(item, dict) or not str(item.get("coin") or "").strip():
            raise LiabilityError(f"snapshotDataList[{i}] has no coin")
        coin = str(item["coin"]).strip().upper()
        if coin in claims:
            raise LiabilityError(f"snapshotDataList lists {coin} twice")
        where = f"snapshotDataList[{i}] ({coin})"
        owed = json_text(item.get("customerLiability"), f"{where}.customerLiability")
        if owed is not None:
            liabilities[coin] = owed
        reserve = json_text(item.get("binanceLiability"), f"{where}.binanceLiability")
        written, ratio = _ratio(item.get("ratio"), f"{where}.ratio", reserve, owed)
        claims[coin] = Claim(
            reserve=reserve,
            exchange_reserve=json_text(item.get("exchangeBalance"), f"{where}.exchangeBalance"),
            custody_reserve=json_text(item.get("thirdPartyCustody"), f"{where}.thirdPartyCustody"),
            capital_ratio=written,
            ratio=ratio,
        )
    if not liabilities:
        raise LiabilityError("Binance's snapshotDataList has no customerLiability figures")
    return AuditPage(str(audit_id).strip(), (merkle or "").strip() or None, create_ms, liabilities, claims)


plugin = ExchangePlugin(
    name="binance",
    description="Binance: wallet_address_<YYYYMMDD>.zip (HotCold + Deposit members), custodian per row, no ownership proofs",
    recognise=recognise,
    layout=detail_layout,
    registry=binance_registry,
    pair_key=pair_key,
    constant_verdicts={FAMILY: Verdict("unsupported", NO_PROOF)},
    audit_page=audit_page,
    audit_source="binance-audit",
    publication=publication,
    own_tokens=("BNB",),
    synth=file_synth("exchanges.binance.synth", "write_binance", "binance"),
)

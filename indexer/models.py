"""Plain, frozen value types shared by ingest, verification and fetching.

They carry no behaviour beyond trivial derived properties so that they pickle
cheaply into worker processes and can be built from Arrow rows without ceremony.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from indexer.errors import PorError

SignatureStatus = Literal["verified", "signature_only", "failed", "unsupported"]
# What an extra signature on a single-key row is (``Verdict.extra``): a second signature by the address's own key;
# one that recovers another key (OKX's constant signature2 on BTC P2PKH rows, SPEC §1.1b); one that recovers no key.
EXTRA_SIGNATURE_KINDS: tuple[str, ...] = ("same_key", "other_key", "unreadable")
AsOf = Literal["snapshot", "latest"]
# How a balance value was obtained (balances.method). Only the first three are values *for* the
# snapshot block; a ``latest`` value never enters a snapshot figure.
FetchMethod = Literal["state_at_height", "dump", "replayed", "latest"]
FETCH_METHODS: tuple[str, ...] = ("state_at_height", "dump", "replayed", "latest")
SNAPSHOT_METHODS: tuple[str, ...] = ("state_at_height", "dump", "replayed")


@dataclass(frozen=True, slots=True)
class Network:
    """A chain as the registry names it (the name OKX's Network column uses)."""

    name: str
    adapter: str  # balance adapter family ("evm", "utxo", ...); "" when none exists yet
    chain_id: int | None
    native_asset: str
    native_decimals: int
    aliases: tuple[str, ...] = ()
    description: str = ""
    former_native: tuple[str, ...] = ()  # earlier symbols of the native coin (Polygon: MATIC, now POL)
    sample_height: int | None = None  # a plausible snapshot height for synthetic publications (``por synth``)

    def is_native(self, asset: str) -> bool:
        """True when ``asset`` names this network's native coin, by its symbol today or a former one."""
        name = asset.strip().upper()
        return name == self.native_asset.upper() or name in self.former_native


@dataclass(frozen=True, slots=True)
class Coin:
    """One coin key of a PoR file: what it counts toward and how it is signed."""

    key: str
    asset: str  # "" for network-name keys whose asset comes from the row (audit layout)
    network: str  # registry network name; "" when the coin has no network of its own
    family: str  # signature family: UTXO, EVM, ECDSA, ED25519, TRX, BETH, STARK, EOS, ALGO
    address_type: str  # OKX address-type tag; selects the address derivation
    header: str  # OKX message-header constant name (BTC, LTC, ETH32, OKX, ...)
    decimals: int | None
    contract: str = ""  # token contract / mint / jetton master; "" for a native coin
    source: str = ""  # the public reference the contract and decimals were checked against ("" = unconfirmed)
    # What the holding is relative to its asset (an exchange's coin map says: native, wrapped, bridged, staked,
    # lent); "" where nobody classified it (OKX's registry). A derivative form is never read as the native coin.
    form: str = ""

    @property
    def is_token(self) -> bool:
        return bool(self.contract)


@dataclass(frozen=True, slots=True)
class SignedRow:
    """The cells of one published row that a signature verifier needs.

    Cells are already stripped and null markers (``""``, ``null``, ``\\N``) are
    normalised to ``""``; ``raw`` keeps the original cells for OKX-compatible
    checks whose quirks depend on the exact text.
    """

    row_no: int
    coin: str
    address: str
    message: str
    signature1: str
    signature2: str = ""
    script_or_pubkey: str = ""
    eoa1: str = ""
    eoa2: str = ""
    row_type: str = ""
    audit: bool = False  # from the audit layout, whose rules differ (SPEC §3.10: no ED25519 owner mode, ...)
    family: str = ""  # signature family stored with the row at ingest ("" = ask today's registry)
    network: str = ""  # the row's published Network cell: OKX's current tool chooses the scheme by it ("" = none)
    raw: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a verifier proved about one row, and why."""

    status: SignatureStatus
    reason: str = ""
    # A signature the row carries beyond the one its single-key address needs (issue 16): "" none, else what it is
    # (``EXTRA_SIGNATURE_KINDS``). Stored apart (``signatures.extra_signature``) so SQL can count it; never a failure.
    extra: str = ""

    @property
    def passed(self) -> bool:
        return self.status in ("verified", "signature_only")


@dataclass(frozen=True, slots=True)
class BalanceRequest:
    """One balance to read: an address's holding of a coin at a block (None = tip)."""

    address: str
    contract: str  # "" for the native coin
    block: int | None


@dataclass(frozen=True, slots=True)
class BalanceResult:
    """The outcome of one BalanceRequest: exact base units, or an error, never both.

    ``block_height`` is the block the value is valid at, in the chain's own reference (the adapter's
    ``indexer.plugins.BlockReference``: height, slot, ledger index, seqno, version): stored as ``balances.read_block``.
    ``method`` says how it was obtained (one of ``FETCH_METHODS``); an adapter that could only
    read the current state for a snapshot request returns ``method="latest"`` and says why in
    ``note``, and the runner never counts that value as the snapshot's.
    """

    request: BalanceRequest
    base_units: int | None
    block_height: int | None
    error: str = ""
    source: str = ""
    method: str = ""  # required on an ok result: the runner stores one without a method as an error row
    note: str = ""  # why this method (e.g. "no transfer history API configured: current value")

    @property
    def ok(self) -> bool:
        return self.base_units is not None and not self.error


# --- exact decimal text <-> base units (used by ingest, liabilities and the exchange plugins) -------------
# Amounts are parsed by hand because ``Decimal`` silently honours exponents and context precision, and a float
# would lose the 18th digit of an ETH balance.
_DECIMAL = re.compile(r"\+?(\d*)(?:\.(\d*))?")


class AmountError(ValueError):
    """The text is not an exact non-negative decimal the coin can hold."""


def split_decimal(text: str) -> tuple[str, str]:
    """('123', '45') for '123.45'; AmountError for anything but plain non-negative decimals."""
    m = _DECIMAL.fullmatch(text)
    if not m or not (m.group(1) or m.group(2)):
        raise AmountError(f"not a plain decimal number: {text!r}")
    return m.group(1) or "0", m.group(2) or ""


def to_base_units(text: str, decimals: int) -> int:
    """'0.058959708849230328' at 18 decimals -> 58959708849230328, exactly.

    Trailing zeros past the coin's precision carry no value and are accepted;
    any other digit past it would need rounding, which we refuse.
    """
    whole, frac = split_decimal(text)
    if len(frac) > decimals:
        extra = frac[decimals:]
        if extra.strip("0"):
            raise AmountError(f"{text} has {len(frac)} decimals; the coin has {decimals}")
        frac = frac[:decimals]
    return int(whole + frac.ljust(decimals, "0"))


def from_base_units(units: int, decimals: int) -> str:
    """Exact coin-unit text for base units: 1500000 at 6 -> '1.5'; never scientific notation."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    if decimals == 0:
        return f"{sign}{units}"
    whole, frac = divmod(units, 10**decimals)
    frac_text = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole}.{frac_text}" if frac_text else f"{sign}{whole}"


# --- file layouts (an exchange plugin says which columns its headers name) --------------------------------
DETAIL_FIELDS = (
    "coin",
    "row_type",
    "network",
    "snapshot_height",
    "address",
    "amount",
    "message",
    "signature1",
    "signature2",
    "script_or_pubkey",
    "eoa1",
    "eoa2",
    "asset",
    "audit_status",
    "custodian",  # Binance: the third-party custodian holding the address ("" = the exchange itself)
)


def normalise_header_cell(cell: str) -> str:
    """Header text as compared: trimmed, case-folded, quotes and every inner space dropped.

    Real files write ``redeem script/ public key``, `` eoa1`` (leading space) and ``EOA1``; dropping
    spaces (a superset of collapsing them) makes ``redeem script/ public key`` and
    ``redeem script/public key`` one name, which they are (SPEC §1.1a).
    """
    return re.sub(r"[\s\"'\ufeff]+", "", cell).casefold()


def header_names(cells: list[str]) -> tuple[str, ...]:
    """A header row as compared: each cell normalised, trailing empty cells dropped."""
    names = [normalise_header_cell(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    return tuple(names)


def first_header(records: list[list[str]]) -> tuple[str, ...]:
    """The normalised first non-blank record (the BOM is already gone: files are read as utf-8-sig)."""
    for cells in records:
        if any(c.strip() for c in cells):
            return header_names(cells)
    return ()


@dataclass(frozen=True)
class Layout:
    """A detail-section layout: its name, where each field sits, and what a row must have."""

    name: str  # detail11 | detail12 | legacy7 | audit
    columns: dict[str, int]  # canonical field -> cell index
    width: int  # cells in the header
    required: tuple[str, ...]  # fields that must be non-empty
    min_cells: int  # a row with fewer cells is malformed
    amounts_in_base_units: bool = False
    # Exchange plugins' dialects (exchanges/): an empty or absent-marked amount is "no claimed amount"
    # (NULL, never 0); extra cell texts that mean "absent" (HTX's ``-``); coin resolved from (coin, network).
    amount_optional: bool = False
    null_markers: frozenset[str] = frozenset()
    pair_coins: bool = False
    # Cells the file does not write but every row has (field, text): read as if appended after the header's cells,
    # at the indices ``columns`` gives them (OKX's ETH staking file has no coin column: every row is ETH).
    fixed: tuple[tuple[str, str], ...] = ()
    # The signature family of every row, whatever the coin's (a layout that carries no proof at all); "" = the coin's.
    family: str = ""


_RATIO_MAX_SCALE = 18  # audit_claims.capital_ratio_value is DECIMAL(38, 18): refuse what it cannot hold exactly
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- publications and audit pages ---------------------------------------------------------------------
@dataclass(frozen=True)
class Publication:
    """What a publication's file name says: when, which version, and the default label."""

    published_at: datetime | None
    version: int | None
    label: str | None


class LiabilityError(PorError):
    """The liabilities file is malformed or does not verify (one sentence)."""


@dataclass(frozen=True)
class Claim:
    """OKX's own figures for one asset, exactly as written (``None`` where the page gives none)."""

    reserve: str | None
    exchange_reserve: str | None
    custody_reserve: str | None
    capital_ratio: str | None  # as written, e.g. "105%"
    ratio: str | None  # the same figure as an exact decimal, e.g. "1.05"


@dataclass(frozen=True)
class AuditPage:
    audit_id: str
    merkle_hash: str | None
    create_time_ms: int | None
    liabilities: dict[str, str]  # asset -> exact coin-unit text
    claims: dict[str, Claim]

    @property
    def create_time(self) -> datetime | None:
        # integer milliseconds to a timestamp without a float in between
        return None if self.create_time_ms is None else _EPOCH + timedelta(milliseconds=self.create_time_ms)


@dataclass(frozen=True)
class LiabilityTotals:
    """What one liabilities file says the exchange owes per asset, once the file checked out."""

    source: str  # the file's kind (``csv``, or an exchange format's: ``merkle-v1``), the prefix of liabilities.source
    amounts: dict[str, str]  # asset -> exact coin-unit text


@dataclass(frozen=True)
class LiabilityProof:
    """The public statement of a proof of liabilities (a zk proof of the sum of every user's balance): what the core
    binds to the snapshot's audit page (``root_hash`` must equal its ``merkle_hash``) and stores in ``proofs``.

    The proof itself is for the exchange's own verifier (``indexer.plugins.LiabilityFormat.run_verifier``)."""

    root_hash: str  # lower-case hex, comparable with AuditPage.merkle_hash
    round_num: int | None
    public_inputs: tuple[int, ...]
    equity_sum: int
    debt_sum: int
    data: bytes  # the proof's own bytes (the member of an archive): proofs.file_sha256
    source: str  # where they came from: ``FILE`` or ``ZIP!member``

    @property
    def balance_sum(self) -> int:
        return self.equity_sum - self.debt_sum


PROOF_NOT_VERIFIED = "not verified (verifier not installed)"  # proofs.verifier_status when no verifier ran


@dataclass(frozen=True)
class ProofCheck:
    """What a proof verifier said: ``verified``, ``failed`` or PROOF_NOT_VERIFIED, with the line that says it."""

    status: str
    verifier: str | None = None
    exit_code: int | None = None
    output: str | None = None


@dataclass(frozen=True)
class ProofState:
    """What ``por report``'s proof line reads for one snapshot (an exchange plugin's ``proof_status`` words it)."""

    audit_id: str | None  # the snapshot's audit page, None when none is loaded
    proof: ProofCheck | None  # the stored verdict of its proof, None when no proof is loaded
    proof_audit_id: str | None = None  # the page the proof is bound to


def parse_json(raw: bytes) -> Any:
    """A liabilities file's JSON with every number exact (``Decimal``); LiabilityError in one sentence otherwise.

    Shared by the core (audit pages) and the exchange plugins (their proof files), so both refuse the same things:
    text that is not UTF-8, malformed JSON, and NaN/Infinity, which are not numbers."""
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise LiabilityError("the file is not UTF-8 text") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise LiabilityError(f"the JSON is malformed: {exc}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def json_text(value: Any, where: str) -> str | None:
    """An audit page's JSON value as exact text (exchange plugins parse their pages with it): strings as written, JSON numbers from their literal (parsed as Decimal)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise LiabilityError(f"{where} is {value!r}, not a decimal amount")
    # an int is its own digits (format(30, "f") would add six zeros); a Decimal keeps the literal's digits
    text = value.strip() if isinstance(value, str) else (str(value) if isinstance(value, int) else format(value, "f"))
    try:
        split_decimal(text)
    except AmountError:
        raise LiabilityError(f"{where} is {text!r}, not a plain non-negative decimal") from None
    return text


def percent_to_ratio(text: str, where: str = "capitalRatio") -> str:
    """'105%' -> '1.05', '99.5%' -> '0.995', exactly (a decimal shift, no division)."""
    body = text.strip()
    if not body.endswith("%"):
        raise LiabilityError(f"{where} is {text!r}, not a percentage like '105%'")
    body = body[:-1].strip()
    try:
        frac = split_decimal(body)[1]
    except AmountError:
        raise LiabilityError(f"{where} is {text!r}, not a percentage like '105%'") from None
    scale = len(frac) + 2
    if scale > _RATIO_MAX_SCALE:
        raise LiabilityError(f"{where} {text!r} has more decimals than an exact ratio column holds ({_RATIO_MAX_SCALE - 2})")
    return from_base_units(to_base_units(body, len(frac)), scale)


@dataclass
class SynthWritten:
    """What an exchange plugin's ``synth`` wrote (``por synth``, the demo input of ``por run``)."""

    files: list[Path]  # the publication files, in the order written
    liabilities: list[Path] = field(default_factory=list)  # their asset,amount files, where it writes them
    rows: int = 0  # detail rows, all files
    coin_keys: int | None = None  # distinct coin keys, where it counts them (one file)


# --- the registry (its loader: indexer.registry) ---------------------------------------------------------
@dataclass(frozen=True)
class FetchRoute:
    """Rows of ``row_type`` published on ``network`` hold a balance that lives on ``fetch_network``.

    A row's network says whose coin it is; where its balance can be read is another fact when the
    address is not an account of that chain (a validator key on ETH is read on BEACON).
    """

    row_type: str
    network: str
    fetch_network: str
    source: str = ""  # the public reference that says so


@dataclass(frozen=True)
class Registry:
    coins: dict[str, Coin]
    networks: dict[str, Network]
    network_aliases: dict[str, str]
    fetch_routes: tuple[FetchRoute, ...] = ()
    # coin key -> share of rows in synthetic publications (``data/synth_mix.csv``): a chain joins the demo by a row
    synth_mix: tuple[tuple[str, float], ...] = ()

    @cached_property
    def _tokens(self) -> dict[tuple[str, str], list[Coin]]:
        tokens: dict[tuple[str, str], dict[str, Coin]] = {}
        for c in self.coins.values():
            if c.contract and c.network:
                tokens.setdefault((c.asset.upper(), c.network), {}).setdefault(c.contract.lower(), c)
        return {k: list(v.values()) for k, v in tokens.items()}

    def tokens(self, asset: str, network: str) -> list[Coin]:
        """The registry's tokens of ``asset`` (upper case) on ``network``: one coin per contract (case-insensitive),
        the first key that names it. Several mean the pair alone does not say which token (X Layer's bridged USDT
        and USD₮0)."""
        return self._tokens.get((asset, network), [])

    def coin(self, key: str) -> Coin | None:
        """Look a coin key up the way OKX does: upper-cased, falling back to the exact text."""
        return self.coins.get(key.upper()) or self.coins.get(key)

    def network(self, name: str) -> Network | None:
        canonical = self.network_aliases.get(name.strip().upper())
        return self.networks.get(canonical) if canonical else None

    def resolve_network(self, coin_key: str, published_network: str) -> str:
        """The row's network: the coin key decides; the file's column is a fallback."""
        coin = self.coin(coin_key)
        if coin and coin.network:
            return coin.network
        found = self.network(published_network) if published_network else None
        if found:
            return found.name
        return (published_network or coin_key).strip().upper()

    def asset_of(self, coin_key: str, fallback: str = "") -> str:
        coin = self.coin(coin_key)
        if coin and coin.asset:
            return coin.asset
        return fallback.strip().upper()

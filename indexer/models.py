"""Plain, frozen value types shared by ingest, verification and fetching.

They carry no behaviour beyond trivial derived properties so that they pickle
cheaply into worker processes and can be built from Arrow rows without ceremony.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

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

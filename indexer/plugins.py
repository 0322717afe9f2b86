"""The chain-plugin contract and its discovery through the ``por.chains`` entry-point group.

A chain family is one module in ``chains/`` exposing ``plugin = ChainPlugin(...)``
and one line under ``[project.entry-points."por.chains"]`` in ``pyproject.toml``;
a third-party package adds a chain the same way from its own distribution.

Verifiers are plain module-level functions so a process pool can call them by
reference; fetchers are built per network from the user's configuration.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points
from importlib.resources import files
from pathlib import Path
from typing import Any, Protocol, TypeVar

from indexer.models import (
    FETCH_METHODS,
    AuditPage,
    BalanceRequest,
    BalanceResult,
    Coin,
    Layout,
    LiabilityProof,
    LiabilityTotals,
    Network,
    ProofCheck,
    ProofState,
    Publication,
    Registry,
    SignedRow,
    SynthWritten,
    Verdict,
)

ENTRY_POINT_GROUP = "por.chains"
EXCHANGE_ENTRY_POINT_GROUP = "por.exchanges"
# How many records of a member are read to recognise its exchange: HTX's detail header follows a
# summary of a few dozen rows, so the first records are enough and the file is never read twice.
RECOGNISE_RECORDS = 400

# verify(row, coin) -> Verdict: what one row proves under one signature scheme.
VerifyFn = Callable[[SignedRow, Coin], Verdict]

# sign(coin, message, seed) -> dict of the row cells a verifier needs
# (address, signature1, signature2, script_or_pubkey, eoa1, eoa2): a real,
# valid signature by a fresh key derived deterministically from ``seed``.
SignFn = Callable[[Coin, str, bytes], dict[str, str]]


class FetchBlocked(Exception):
    """The network cannot answer for the requested height at all (one sentence, for the user)."""


@dataclass(frozen=True)
class FeedHints:
    """How the runner should hand requests to a fetcher; 0 = the runner's default.

    Why hints at all: most adapters want many small calls in flight (each call is a
    committed chunk, so a crash loses little), but an adapter whose every call costs a
    pass over a whole data set (``scantxoutset``, a UTXO dump file) wants few, big calls.
    """

    request_chunk: int = 0  # requests per fetch() call (each call's results are committed together)
    workers: int = 0  # fetch() calls in flight for one network


# The reads the runner hands a fetcher per ``fetch`` call by default (each call's results are committed together;
# ``FeedHints.request_chunk`` changes it). An adapter's ``estimate`` counts its per-call requests with it.
CALL_READS = 5_000


@dataclass(frozen=True)
class ServiceLoad:
    """The requests one service of a network is expected to answer, with the pace it is configured for.

    Why per service: a network's history API (TronGrid, Hyperion) or a beacon adapter's execution node is another
    service with its own limit, so a run lasts as long as its slowest *service*, not its slowest network.
    """

    name: str  # "rpc", "history", "execution", ... (the adapter's word; shown by ``por plan``)
    requests: int  # HTTP requests expected (a JSON-RPC batch counts as one, as the pacer counts it)
    rps: float | None = None  # the configured requests per second (None: unpaced)
    concurrency: int = 1  # requests in flight


@dataclass(frozen=True)
class FetchEstimate:
    """What an adapter expects to do for a set of reads, from counts alone (``BalanceFetcher.estimate``).

    ``method`` is the ``FETCH_METHODS`` word the values will carry; ``path`` names the way chosen where the
    adapter has more than one (``per-holder history`` or ``one event scan``), and ``note`` says why, so
    ``por plan`` and the run's summary can say which it chose. ``unknown`` is what the estimate could not count
    without asking the provider (``--probe`` asks): stated, never guessed silently.
    """

    method: str
    services: tuple[ServiceLoad, ...]
    path: str = ""
    note: str = ""
    unknown: str = ""

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.services)


class BalanceFetcher(Protocol):
    """Reads exact balances from one configured network."""

    source: str  # endpoint name recorded in balances.source (never a URL with credentials)

    async def preflight(self, blocks: set[int | None]) -> FeedHints | None:
        """Raise FetchBlocked if the node cannot serve these blocks (not archive, behind, ...).

        May return FeedHints for this network when they differ from the adapter's declared
        ``AdapterCapabilities.feed`` (a UTXO dump answers every request in one pass); None keeps those.
        """

    async def tip(self) -> int:
        """The current block height (used for ``--at latest``)."""

    # Optional (an adapter without it is estimated from its capabilities by the core):
    # async def estimate(self, requests: Sequence[BalanceRequest], *, probe: bool = False) -> FetchEstimate
    #     The requests per service this adapter will make for *all* of ``requests`` (one network's reads after
    #     de-duplication), from counts; with ``probe`` it may ask the provider a few cheap questions (an event
    #     density, a page count). The runner calls it with every read before the first ``fetch`` and the adapter
    #     keeps the path it chose there (a whole-set scan or per-account queries) for the whole run.

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        """One result per request, in order; failures are results with ``error`` set."""

    async def close(self) -> None: ...


FetcherFactory = Callable[[Network, Any], BalanceFetcher]


class BlockReference(Enum):
    """What the block number of an adapter's results counts (``BalanceResult.block_height``, stored as
    ``balances.read_block``), and whether it counts on the same counter as the block asked for.

    Why a closed set and not free text: the runner refuses a snapshot value read *after* the snapshot
    block, and it can only do so when the number it got and the number it asked for are on one
    monotonic counter. A free-text label ("height (block hash via …)") used to switch that check off
    by not being the literal ``"height"``; here every reference says whether it is comparable, and a
    plugin declaring anything else is refused when it is built.
    """

    # (label, comparable with the asked block)
    HEIGHT = ("height", True)  # EVM, UTXO, TRON, Starknet, EOS, aelf, Polkadot (the hash of that block is read)
    SLOT = ("slot", True)  # Solana
    LEDGER_INDEX = ("ledger index", True)  # XRPL
    MASTERCHAIN_SEQNO = ("masterchain seqno", True)  # TON
    EPOCH = ("epoch", True)  # Filecoin (a null round has no tipset, but the number is still the epoch)
    CHECKPOINT = ("checkpoint", True)  # Sui
    # asked: a block height; read_block: the ledger version of that block's end (Aptos). Versions grow many
    # times faster than heights, so the two cannot be compared; the adapter maps the one to the other itself.
    VERSION_OF_HEIGHT = ("ledger version of the asked block height", False)
    # asked: an execution-layer block; read_block: the beacon slot that carries it (the beacon adapter
    # checks that the block at that slot has that execution block number).
    SLOT_OF_EXECUTION_BLOCK = ("beacon slot of the asked execution block", False)

    def __init__(self, label: str, comparable: bool) -> None:
        self.label = label
        self.comparable = comparable

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class AdapterCapabilities:
    """What a balance adapter can read, declared as data so the runner can choose and report.

    Methods are listed in order of preference, from ``indexer.models.FETCH_METHODS``
    (``state_at_height``, ``dump``, ``replayed``, ``latest``). They describe the adapter for
    ``por networks``; they are never used to fill in the method of a result that does not name one
    (such a result is an error row: how a value was obtained is the adapter's word, not a guess).
    """

    native_methods: tuple[str, ...]  # how native-coin balances can be obtained
    token_methods: tuple[str, ...] = ()  # how token balances can be obtained (empty: no tokens)
    block_reference: BlockReference = BlockReference.HEIGHT  # what the block numbers of results count
    max_batch: int = 0  # addresses per request the protocol allows (0 = no fixed limit)
    token_kind: str = ""  # erc20, trc20, spl, jetton, fungible_asset, ...
    notes: str = ""  # one line for ``por networks`` / the adapters reference
    # What a provider must offer for a *snapshot* value (not a ``latest`` one): archive state at old blocks, a
    # history API and how far back it must reach, retention windows, minimum versions. One line, shown by
    # ``por networks`` and the adapters reference, so a user can check a plan before paying for it.
    needs: str = ""
    feed: FeedHints = FeedHints()  # how the runner should batch requests for this adapter
    # option -> network: when ``[networks.X.options]`` leaves the option unset, the runner passes that network's
    # settings (``NetworkSettings``) as its value. The beacon adapter maps execution blocks to slots on an
    # execution node, which by default is the one already configured as ``[networks.ETH]``.
    options_from_networks: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [m for m in (*self.native_methods, *self.token_methods) if m not in FETCH_METHODS]
        if unknown:  # a typo here would store rows the views can never classify
            raise ValueError(f"unknown fetch method(s) {', '.join(unknown)}; known: {', '.join(FETCH_METHODS)}")
        if not isinstance(self.block_reference, BlockReference):  # free text would switch the height check off
            known = ", ".join(r.name for r in BlockReference)
            raise ValueError(f"block_reference must be an indexer.plugins.BlockReference ({known}), not {self.block_reference!r}")


@dataclass(frozen=True)
class SignatureScheme:
    """One named, strict signature scheme a chain plugin publishes (``bitcoin-signed-message``, ``eip191``, ...).

    Why names: an exchange's coin map says which scheme its rows use, and the core dispatches by that name,
    so neither the core nor an exchange plugin imports a chain. ``family`` is the short tag the registry's
    coin maps and the stored rows (``addresses.family``) carry for it (``UTXO``, ``EVM``): kept so snapshots
    ingested before schemes had names keep their verdicts. ``variants`` are other verdicts of the same
    signatures that a particular reference tool gives (``okx-go``: OKX's Go VerifyAddress with its quirks);
    an exchange plugin names the variant that is its own tool's verdict.
    """

    name: str
    verify: VerifyFn  # the strict verdict
    family: str = ""  # the registry's tag for this scheme ("" = known by its name only)
    variants: Mapping[str, VerifyFn] = field(default_factory=dict)  # variant name -> verdict of that tool
    sign: SignFn | None = None  # a fresh, valid row for ``por synth`` (None: the scheme cannot sign)

    def variant(self, name: str) -> VerifyFn:
        """The verdict of tool ``name``, or the strict one when this scheme has no such variant."""
        return self.variants.get(name, self.verify) if name else self.verify


# (status, reason) of a claimed address against a public key: "verified" | "signature_only" | "failed", and why
# ("" = nothing to add). The parts of a Verdict a scheme builds around the signature check.
AddressLink = tuple[str, str]
# (claimed address, public key) -> AddressLink
AddressCheck = Callable[[str, bytes], AddressLink]
SECP256K1 = "secp256k1"  # the key an AddressCodec reads: 65 bytes, uncompressed (04 ‖ X ‖ Y)
ED25519 = "ed25519"  # 32 bytes


@dataclass(frozen=True)
class AddressCodec:
    """How one address type prints a public key: the strict link of a claimed address to a key, the link a
    reference tool draws instead (``variants``), and the address a wallet shows for a key (synthetic rows).

    Why a chain codec: OKX's framed ECDSA and ed25519 schemes sign the same way for some thirty chains and differ
    per chain only in how a key becomes an address. Each chain's package declares its address types
    (``ChainPlugin.address_codecs``) and the schemes look a row's type up (``address_codec``), so adding a chain
    that OKX signs this way is one package and no edit to the schemes.
    """

    curve: str  # SECP256K1 | ED25519: the key ``check`` and ``address`` take
    check: AddressCheck  # the strict link
    address: Callable[[bytes], str] | None = None  # what a wallet of this type shows for a key; None: not derivable
    # tool ("okx-go") -> the link that tool draws where it differs from the strict one (OKX's EqualFold of the
    # strings it derives); a scheme says what a type without the tool's variant means to that tool
    variants: Mapping[str, AddressCheck] = field(default_factory=dict)
    # For coins that name no address type: True for a claim of this codec's form (XRP's ``r…``, Avalanche's
    # ``X-avax1…``), so a row whose public key is published can still be tied to its address.
    shape: Callable[[str], bool] | None = None
    # False when the derived string is only the name a tool gives the signer, not the chain's account (Flow: OKX
    # prints the key's Ethereum-style id; Flow accounts are assigned on-chain): a row whose key is published then
    # leaves the address unproven instead of failing it.
    derivable: bool = True
    # Why a key that derives a row's owner address (eoa1) still does not prove the row's address, where the chain
    # says more than the schemes' default (Aptos: the owner is the authentication key; rotation is on-chain state).
    owner_gap: str = ""

    def __post_init__(self) -> None:
        if self.curve not in (SECP256K1, ED25519):  # a typo would make every lookup of its types miss silently
            raise ValueError(f"AddressCodec.curve must be {SECP256K1!r} or {ED25519!r}, not {self.curve!r}")


@dataclass(frozen=True)
class ChainPlugin:
    name: str
    schemes: tuple[SignatureScheme, ...] = ()  # the signature schemes this chain publishes
    # address type (the registry's ``address_type`` tag: SOL, DOT, ATOM, ...) -> how this chain prints a key
    address_codecs: Mapping[str, AddressCodec] = field(default_factory=dict)
    adapter: str = ""  # balance adapter name it serves (networks.csv ``adapter`` column)
    make_fetcher: FetcherFactory | None = None
    capabilities: AdapterCapabilities | None = None  # required with make_fetcher
    # Registry rows a chain installed from another distribution brings (its networks); the project's own chains
    # keep theirs in data/networks.csv. A row of data/networks.csv with the same name wins.
    networks: tuple[Network, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkScheme:
    """How one network's rows are signed, when an exchange's Network cell chooses the scheme (OKX since 2026)."""

    network: str  # the exchange's normalised network name
    family: str  # signature scheme (a name or registry tag: UTXO, EVM, ...)
    address_type: str  # address derivation tag the chain schemes read ("" = none)
    header: str  # message-header constant name (BTC, LTC, ..., ETH32, TRON32, OKX)
    source: str = ""  # where the row was read from
    note: str = ""


@dataclass(frozen=True)
class LiabilityFormat:
    """A liabilities file an exchange publishes besides the core's ``asset,amount`` CSV and its audit page: totals
    whose structure proves them (OKX's Merkle v1 proof and v2 tree) or a proof of the liabilities' sum bound to the
    audit page (OKX's zk proof).

    Why a hook: what such a file looks like and how it is checked is the exchange's; the core only tries the
    installed formats on a file, binds a proof's root to the snapshot's audit page and stores what they return.
    """

    kind: str  # merkle-v1 | zk-proof | ...: ``por liabilities``'s kind and the liabilities.source prefix
    description: str  # how the refusal of a file no format claims names this one ("a zk proof's sum_proof_data.json")
    # (path, the file's bytes, its JSON parsed with Decimal numbers or None when it is no JSON) -> what it states;
    # None when the file is not in this format; LiabilityError when it is but does not check out
    read: Callable[[Path, bytes, Any], LiabilityTotals | LiabilityProof | None]
    # A proof's verifier: the configured one (``[proof] verifier``; LiabilityError when it is not executable) or the
    # exchange's own on PATH, None when none is installed; and running it on the proof as read from ``path``.
    find_verifier: Callable[[str | None], str | None] | None = None
    run_verifier: Callable[[str, Path, LiabilityProof, Callable[[float], None] | None], ProofCheck] | None = None

    @property
    def proves_a_sum(self) -> bool:
        """True for a proof bound to the audit page (tried before pages), False for totals (tried after them)."""
        return self.run_verifier is not None


@dataclass(frozen=True)
class ExchangePlugin:
    """One exchange: how its files look, what its coin keys mean, how it signs, what its audit page says.

    Why a plugin and not flags in the reader: every exchange writes its own header names, null markers,
    coin keys (``USDT-TRC20`` at OKX, ``USDT-Avalanche C-Chain`` at HTX, a (coin, network) pair at Binance),
    signs (or does not sign) with its own conventions and publishes its totals on its own audit page. One
    frozen object per exchange says all of that as data and small functions; the core (ingest, verify,
    liabilities) asks it and knows no exchange by name. Adding one is a package under ``exchanges/`` (or in
    another distribution) and one ``por.exchanges`` entry point.
    """

    name: str  # snapshots.exchange, and the --exchange value
    description: str
    # first records of a member (cells as csv.reader splits them) -> True when this exchange wrote it
    recognise: Callable[[list[list[str]]], bool]
    layout: Callable[[list[str]], Layout | None]  # detail header -> its layout, None when it is not one
    summary_width: Callable[[list[str]], int | None] = lambda cells: None  # summary header -> 3 | 2 | None
    # the coin keys as this exchange writes them, given the core registry (data/coins.csv, networks.csv);
    # None: the core registry's own keys
    registry: Callable[[Registry], Registry] | None = None
    pair_key: Callable[[str, str, Registry], str | None] | None = None  # (coin, network cells, its registry) -> coin key
    schemes: Mapping[str, VerifyFn] = field(default_factory=dict)  # addresses.family -> verifier (its own conventions)
    constant_verdicts: Mapping[str, Verdict] = field(default_factory=dict)  # family -> the verdict of every row
    audit_page: Callable[[Any], AuditPage | None] | None = None  # parsed JSON -> its AuditPage, or None if not its page
    audit_source: str = ""  # liabilities.source prefix of its audit page
    liability_files: tuple[LiabilityFormat, ...] = ()  # its liabilities files beyond ``asset,amount`` and the page
    proof_status: Callable[[ProofState], str] | None = None  # ``por report``'s proof line for its snapshots
    publication: Callable[[str, list[str]], Publication | None] | None = None  # file + member names -> date, label
    # True when the exchange writes each detail amount rounded at its last written digit (HTX: two decimals), so its
    # summary totals, summed before rounding, may differ from the rows' sum by half a unit of each row's last digit.
    # False (OKX, Binance) when amounts are exact: the summary check then allows only the summary's own rounding.
    rounded_amounts: bool = False
    # True when the exchange's complete publications add up to their own summary totals, so one that does not is
    # refused as incomplete or altered unless --allow-mismatch. False where real, complete publications do not
    # (HTX): their mismatches are loaded, printed and shown by ``por report`` beside the ratios, never refused.
    summary_must_add_up: bool = True
    # --- the Network cell (OKX since 2026, SPEC §2.0) ---
    # True when a row's Network cell names its chain (``USDT`` on ``OKB-X1`` is X Layer USDT, not Omni USDT)
    network_keyed: bool = False
    network_scheme: Callable[[str], NetworkScheme | None] | None = None  # Network cell -> how its rows are signed
    # (coin-key families, Network cells) -> the family each row is stored with (vectorised; pyarrow arrays)
    row_family: Callable[[Any, Any], Any] | None = None
    # --- the exchange's own checking tool ---
    tool_variant: str = ""  # the scheme variant that is its own tool's verdict ("okx-go"); "" = the strict one
    tool_skips: frozenset[str] = frozenset()  # coin keys its tool skips (neither verified nor failed)
    # The coin an audit-layout row is verified as when no registry knows its key (OKX's audit verifier keys on the
    # network column and checks an unknown network as ECDSA under its own header; SPEC §2.1, §3.10). None: such a row
    # is "not in the registry", like any other.
    audit_unknown_coin: Coin | None = None
    unverifiable: Mapping[str, str] = field(default_factory=dict)  # family -> why no scheme can exist (none published)
    own_tokens: tuple[str, ...] = ()  # assets that are the exchange's own token (left out of "clean" reserves)
    # (out, rows, seed, core registry, liabilities_out, months) -> SynthWritten: a synthetic publication in the
    # exchange's own layout (``por synth --exchange NAME``); ValueError for an option it does not support
    synth: Callable[..., SynthWritten] | None = None
    demo: bool = False  # its synth writes the demo input of ``por run`` without files (one installed plugin says so)


def package_csv(package: str, name: str) -> list[dict[str, str]]:
    """A CSV file shipped inside a plugin's own package (``importlib.resources``), as dicts with stripped cells.

    Why package data: an exchange's coin map or a chain's table travels with its plugin, so an outside plugin
    needs no file in our ``data/``.
    """
    with (files(package) / name).open(newline="", encoding="utf-8") as f:
        return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def file_synth(module: str, function: str, label: str) -> Callable[..., SynthWritten]:
    """An ``ExchangePlugin.synth`` for an exchange whose synthetic publication is one file: ``module.function(out,
    rows, seed) -> rows written``, imported only when asked (its signers load curve libraries), with no monthly
    series and no liabilities file."""

    def synth(out: Any, rows: int, seed: int, registry: Registry, liabilities_out: Any = None, months: int | None = None) -> SynthWritten:
        if months is not None or liabilities_out is not None:
            raise ValueError(f"--months and --liabilities-out are not supported by the {label} plugin's synth (one file, no liabilities)")
        written = getattr(import_module(module), function)(out, rows, seed)
        return SynthWritten(files=[out], rows=written)

    return synth


Built = TypeVar("Built")


def per_registry(build: Callable[[Registry], Built]) -> Callable[[Registry], Built]:
    """``build`` (core registry -> an exchange's registry, or a table made from it) memoised on the core registry
    object it is given: the core hands the same one all process long, and a test that hands another gets its own."""
    memo: dict[int, tuple[Registry, Built]] = {}

    def built(core: Registry) -> Built:
        hit = memo.get(id(core))
        if hit is None or hit[0] is not core:
            hit = memo[id(core)] = (core, build(core))
        return hit[1]

    built.__wrapped__ = build  # type: ignore[attr-defined]  (a fresh build, as functools.cache exposes it)
    built.__doc__ = build.__doc__
    return built


def load_entry_points(group: str, kind: type) -> tuple[list[Any], dict[str, str]]:
    """Every object an entry point of ``group`` names that is a ``kind``; the others with the reason they
    were skipped. Used for chain plugins (``por.chains``) and exchange plugins (``por.exchanges``)."""
    found: list[Any] = []
    errors: dict[str, str] = {}
    for ep in entry_points(group=group):
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken third-party plugin must not take the tool down
            errors[ep.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not isinstance(plugin, kind):
            errors[ep.name] = f"entry point {ep.value} is not a {kind.__name__}"
            continue
        found.append(plugin)
    return found, errors


def installed_names(group: str) -> list[str]:
    """The names of a group's entry points, sorted, without importing any (what ``--help`` lists as installed)."""
    return sorted({ep.name for ep in entry_points(group=group)})


@cache
def _load() -> tuple[tuple[ChainPlugin, ...], dict[str, str]]:
    found, errors = load_entry_points(ENTRY_POINT_GROUP, ChainPlugin)
    return tuple(sorted(found, key=lambda p: p.name)), errors


def plugins() -> tuple[ChainPlugin, ...]:
    """Every installed plugin that loaded, once per process."""
    return _load()[0]


def plugin_errors() -> dict[str, str]:
    """Entry points that failed to load, with the reason (shown by ``por networks``)."""
    return _load()[1]


@cache
def _schemes() -> dict[str, SignatureScheme]:
    out: dict[str, SignatureScheme] = {}
    for plugin in plugins():
        for found in plugin.schemes:
            for key in (found.name, found.family):
                if key:
                    out.setdefault(key, found)  # plugins are sorted by name: the first one wins, every time
    return out


def scheme(name: str) -> SignatureScheme | None:
    """The installed scheme called ``name`` (or whose registry tag is ``name``: ``UTXO``), else None."""
    return _schemes().get(name) if name else None


def verifier_for(family: str, variant: str = "") -> VerifyFn | None:
    """The verify function of scheme ``family`` (a name or a registry tag), in ``variant`` if it has one."""
    found = scheme(family)
    return found.variant(variant) if found is not None else None


@cache
def _address_codecs() -> dict[tuple[str, str], AddressCodec]:
    out: dict[tuple[str, str], AddressCodec] = {}
    for plugin in plugins():
        for address_type, codec in plugin.address_codecs.items():
            out.setdefault((codec.curve, address_type), codec)  # plugins are sorted by name: the first one wins
    return out


def address_codec(address_type: str, curve: str) -> AddressCodec | None:
    """The installed codec of ``address_type`` for keys on ``curve``, else None (one dict lookup, memoised)."""
    return _address_codecs().get((curve, address_type)) if address_type else None


@cache
def address_check(address_type: str, curve: str, tool: str = "") -> AddressCheck | None:
    """The strict check of ``address_type``'s codec, or ``tool``'s variant of it (None where the codec has none, or
    no installed chain declares the type). Memoised, so a scheme asks once per row at the cost of a dict lookup."""
    codec = address_codec(address_type, curve)
    if codec is None:
        return None
    return codec.variants.get(tool) if tool else codec.check


@cache
def _shaped(curve: str) -> tuple[AddressCodec, ...]:
    return tuple(c for (on, _), c in sorted(_address_codecs().items(), key=lambda kv: kv[0]) if on == curve and c.shape is not None)


def address_codec_by_shape(claimed: str, curve: str) -> AddressCodec | None:
    """The codec whose ``shape`` claims this address, for a coin that names no address type; None when none does."""
    for codec in _shaped(curve):
        if codec.shape(claimed):  # type: ignore[misc]
            return codec
    return None


def signer_for(family: str) -> SignFn | None:
    found = scheme(family)
    return found.sign if found is not None else None


def capabilities_for(adapter: str) -> AdapterCapabilities | None:
    for plugin in plugins():
        if plugin.adapter == adapter and plugin.make_fetcher is not None:
            return plugin.capabilities
    return None


def fetcher_factory(adapter: str) -> FetcherFactory | None:
    for plugin in plugins():
        if plugin.adapter == adapter and plugin.make_fetcher is not None:
            return plugin.make_fetcher
    return None

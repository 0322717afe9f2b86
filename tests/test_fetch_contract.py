"""The fetch contract v2 through the real runner: how each balance was read (method, read_block, run),
what a snapshot figure may count, the ``runs`` table, and contracts/addresses passed as written.

The adapters here are small real ones, not mocks of the runner: ``TipTokens`` is the EVM adapter
on a real anvil that reads token balances at the *tip* (as a chain without token history must),
and ``LedgerFetcher`` answers base58 TRON/Solana requests from a fixed ledger keyed by the exact
text it receives, so any case folding or merging by the runner shows up as a wrong or missing value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from chains.evm.fetch import EvmFetcher
from indexer import plugins
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest, BalanceResult, Network
from indexer.plugins import AdapterCapabilities, BlockReference, ChainPlugin
from indexer.registry import registry
from tests.fixtures.anvil import Anvil, World, insert_snapshot

USDT_TRC20 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"  # the registry's text; lowercased it is another (invalid) address
USDT_SPL = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Anvil("--chain-id", "1") as node:
        yield World(node)


@pytest.fixture
def use_plugins(monkeypatch: pytest.MonkeyPatch):
    """Put test adapters in front of the installed ones (entry-point discovery is not under test here)."""
    installed, errors = plugins._load()

    def use(*extra: ChainPlugin) -> None:
        monkeypatch.setattr(plugins, "_load", lambda: (tuple(extra) + installed, errors))

    return use


class TipTokens:
    """The real EVM adapter, except that token balances are read at the tip and reported as ``mode`` says."""

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.inner = EvmFetcher(network, settings)
        self.mode = settings.options.get("mode", "latest")
        self.source = self.inner.source

    async def preflight(self, blocks: set[int | None]) -> None:
        await self.inner.preflight(blocks)

    async def tip(self) -> int:
        return await self.inner.tip()

    async def close(self) -> None:
        await self.inner.close()

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        tip = await self.inner.tip()
        moved = [dataclasses.replace(r, block=tip) if r.contract else r for r in requests]
        out = []
        for req, res in zip(requests, await self.inner.fetch(moved)):
            if not req.contract:
                out.append(res)
            elif self.mode == "latest":
                out.append(dataclasses.replace(res, request=req, method="latest", note="no token history on this node: current value"))
            elif self.mode == "unmarked":  # says nothing about how it was read (it was read at the tip)
                out.append(dataclasses.replace(res, request=req, method=""))
            else:
                out.append(dataclasses.replace(res, request=req, method=self.mode))
        return out


TIP_TOKENS = ChainPlugin(
    name="test-tip-tokens",
    adapter="evm",
    make_fetcher=TipTokens,
    capabilities=AdapterCapabilities(native_methods=("state_at_height",), token_methods=("state_at_height", "latest"), block_reference=BlockReference.HEIGHT),
)


def cfg(url: str, **options: Any) -> PorConfig:
    return PorConfig(networks={"ETH": NetworkSettings(name="ETH", rpc=[url], backoff=0.01, options=options)}, path=Path("por.toml"))


def rows_of(w: World) -> list[tuple[str, str, str, str, int | None]]:
    s = w.snapshot_block
    return [("ETH", "ETH", "ETH", h, s) for h in w.holders[:6]] + [("USDT-ERC20", "USDT", "ETH", h, s) for h in w.holders[:6]]


def stored(con, sid: int) -> dict[int, dict[str, Any]]:
    cur = con.execute(
        "select row_no, status, cast(base_units as varchar) units, block_height, read_block, method, note, run_id, error"
        " from balances where snapshot_id = ? and as_of = 'snapshot' order by row_no",
        [sid],
    )
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


def run_rows(con, run_id: int) -> dict[str, dict[str, Any]]:
    cur = con.execute("select * from runs where run_id = ?", [run_id])
    names = [d[0] for d in cur.description]
    return {r[1]: dict(zip(names, r)) for r in cur.fetchall()}


def test_a_latest_value_is_stored_but_never_counted_as_the_snapshot(world: World, con, use_plugins) -> None:
    use_plugins(TIP_TOKENS)
    rows = rows_of(world)
    sid = insert_snapshot(con, rows)
    s, tip = world.snapshot_block, world.node.block_number()
    summary = fetch_snapshot(con, cfg(world.node.url), sid, show_progress=False)
    got = stored(con, sid)
    natives = {i: h for i, (coin, _, _, h, _) in enumerate(rows, start=1) if coin == "ETH"}
    tokens = {i: h for i, (coin, _, _, h, _) in enumerate(rows, start=1) if coin != "ETH"}
    for i, h in natives.items():
        assert (got[i]["status"], int(got[i]["units"]), got[i]["method"], got[i]["read_block"], got[i]["block_height"]) == (
            "ok", world.expected(h, "", s), "state_at_height", s, s)
    for i, h in tokens.items():
        # stored as ok with the adapter's note and the block it is valid at, asked at the snapshot block
        assert (got[i]["status"], int(got[i]["units"]), got[i]["method"], got[i]["read_block"], got[i]["block_height"]) == (
            "ok", world.expected(h, world.usdt, tip), "latest", tip, s)
        assert got[i]["note"] == "no token history on this node: current value"
    assert {g["run_id"] for g in got.values()} == {summary.run_id}
    # the history really moved, so the proxy differs from what the snapshot held
    assert sum(world.expected(h, world.usdt, tip) for h in tokens.values()) != sum(world.expected(h, world.usdt, s) for h in tokens.values())

    eth = con.execute("select onchain_units, rows_fetched, rows_latest_proxy, onchain_latest_proxy_units from reserves where asset = 'ETH'").fetchone()
    usdt = con.execute("select onchain_units, onchain_amount, rows_fetched, rows_latest_proxy, onchain_latest_proxy_units, onchain_latest_proxy from reserves where asset = 'USDT'").fetchone()
    assert eth == (sum(world.expected(h, "", s) for h in natives.values()), 6, 0, None)  # ETH: 18 decimals = the asset scale
    usdt_proxy = sum(world.expected(h, world.usdt, tip) for h in tokens.values())
    # USDT's asset scale is 18 (USDT-OKC20), the ERC-20 has 6 decimals: units are rescaled by 10**12
    assert usdt[0] is None and usdt[1] is None and usdt[2] == 0 and usdt[3] == 6
    assert usdt[4] == usdt_proxy * 10**12
    recon = dict(con.execute("select row_no, status from reconciliation where snapshot_id = ?", [sid]).fetchall())
    assert {recon[i] for i in tokens} == {"latest_only"}
    cov = con.execute("select balances_ok, balances_state_at_height, balances_latest from coverage where coin = 'USDT-ERC20'").fetchone()
    assert cov == (0, 0, 6)
    ratio = con.execute("select onchain_reserves, rows_fetched, rows_latest_proxy from reserve_ratios where asset = 'USDT'").fetchone()
    assert ratio == (None, 0, 6)

    assert summary.rows_latest_proxy == 6 and "only at the current state" in str(summary)
    run = run_rows(con, summary.run_id)["ETH"]  # type: ignore[arg-type]
    assert (run["outcome"], run["rows_planned"], run["rows_ok"], run["rows_error"], run["rows_state_at_height"], run["rows_latest"]) == ("ok", 12, 12, 0, 6, 6)
    assert (run["read_block_min"], run["read_block_max"], run["blocks"], run["adapter"], run["as_of"]) == (s, tip, [s], "evm", "snapshot")
    assert run["finished_at"] is not None and run["seconds"] >= 0 and "no token history" in run["notes"]

    # the next run plans exactly the rows that hold no snapshot value yet; the real adapter now reads them at the block
    use_plugins()
    again = fetch_snapshot(con, cfg(world.node.url), sid, show_progress=False)
    assert again.networks["ETH"].rows == 6 and again.run_id == summary.run_id + 1  # type: ignore[operator]
    got = stored(con, sid)
    for i, h in tokens.items():
        assert (int(got[i]["units"]), got[i]["method"], got[i]["read_block"], got[i]["run_id"]) == (world.expected(h, world.usdt, s), "state_at_height", s, again.run_id)
    assert {got[i]["run_id"] for i in natives} == {summary.run_id}  # ok snapshot rows were not touched
    usdt = con.execute("select onchain_units, rows_fetched, rows_latest_proxy, onchain_latest_proxy_units from reserves where asset = 'USDT'").fetchone()
    assert usdt == (sum(world.expected(h, world.usdt, s) for h in tokens.values()) * 10**12, 6, 0, None)


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("state_at_height", "after the snapshot height"),  # a value from a later block must not pass as the snapshot's
        ("unmarked", "the evm adapter returned a value without saying how it was obtained"),  # never the declared method
        ("guessed", "unknown method 'guessed'"),
    ],
)
def test_values_the_runner_cannot_trust_become_error_rows(world: World, con, use_plugins, mode: str, reason: str) -> None:
    use_plugins(TIP_TOKENS)
    sid = insert_snapshot(con, rows_of(world))
    summary = fetch_snapshot(con, cfg(world.node.url, mode=mode), sid, show_progress=False)
    got = stored(con, sid)
    errors = [g for g in got.values() if g["status"] == "error"]
    assert len(errors) == 6  # the six token rows; the native rows were read at the block
    assert all(g["units"] is None and reason in g["error"] for g in errors)
    run = run_rows(con, summary.run_id)["ETH"]  # type: ignore[arg-type]
    assert (run["outcome"], run["rows_ok"], run["rows_error"], run["rows_state_at_height"]) == ("errors", 6, 6, 6)


class LedgerFetcher:
    """Answers from a fixed ledger keyed by the exact (address, contract) text; records what it was asked.

    ``METHOD`` is the method its results name; ``LATER`` is added to the asked block to give the block a
    result says it is valid at (a node that answered for a later block than asked)."""

    LEDGER: dict[tuple[str, str], int] = {}
    ASKED: list[BalanceRequest] = []
    METHOD = "replayed"
    LATER = 0

    def __init__(self, network: Network, settings: NetworkSettings) -> None:
        self.source = f"ledger:{network.name}"

    async def preflight(self, blocks: set[int | None]) -> None:
        return None

    async def tip(self) -> int:
        return 10**6

    async def close(self) -> None:
        return None

    async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
        self.ASKED.extend(requests)
        out = []
        for r in requests:
            units = self.LEDGER.get((r.address, r.contract))
            at = None if r.block is None else r.block + self.LATER
            out.append(BalanceResult(r, units, at, "" if units is not None else f"no account {r.address}", self.source, method=self.METHOD))
        return out


def ledger_plugin(adapter: str, reference: BlockReference) -> ChainPlugin:
    return ChainPlugin(
        name=f"test-ledger-{adapter}",
        adapter=adapter,
        make_fetcher=LedgerFetcher,
        capabilities=AdapterCapabilities(native_methods=("replayed",), token_methods=("replayed",), block_reference=reference),
    )


def test_contracts_and_base58_addresses_reach_adapters_as_written(con, use_plugins) -> None:
    use_plugins(ledger_plugin("tron", BlockReference.HEIGHT), ledger_plugin("solana", BlockReference.SLOT))
    a = "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW"
    sol_upper = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"
    sol_other = "9wzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM"  # differs only in case: another account
    LedgerFetcher.LEDGER = {(a, USDT_TRC20): 5_000_001, (a, ""): 77, (sol_upper, USDT_SPL): 10, (sol_other, USDT_SPL): 20}
    LedgerFetcher.ASKED = []
    rows = [
        ("USDT-TRC20", "USDT", "TRON", a, 70_000_000),
        ("TRX", "TRX", "TRON", a, 70_000_000),
        ("USDT-SPL", "USDT", "SOL", sol_upper, 300_000_000),
        ("USDT-SPL", "USDT", "SOL", sol_other, 300_000_000),
        ("USDT-SPL", "USDT", "SOL", sol_upper, 300_000_000),  # the same read twice: fetched once
    ]
    sid = insert_snapshot(con, rows)
    config = PorConfig(
        networks={n: NetworkSettings(name=n, rpc=["http://127.0.0.1:9"]) for n in ("TRON", "SOL")}, path=Path("por.toml")
    )
    summary = fetch_snapshot(con, config, sid, show_progress=False)
    assert sorted((r.address, r.contract) for r in LedgerFetcher.ASKED) == sorted(
        [(a, USDT_TRC20), (a, ""), (sol_upper, USDT_SPL), (sol_other, USDT_SPL)]
    )
    got = stored(con, sid)
    assert [(g["status"], int(g["units"]), g["method"]) for g in got.values()] == [
        ("ok", 5_000_001, "replayed"), ("ok", 77, "replayed"), ("ok", 10, "replayed"), ("ok", 20, "replayed"), ("ok", 10, "replayed")
    ]
    assert summary.networks["SOL"].reads == 2 and summary.networks["SOL"].rows == 3  # case-distinct accounts stay apart
    assert con.execute("select onchain_units from reserves where asset = 'USDT'").fetchone()[0] == (5_000_001 + 40) * 10**12


@pytest.mark.parametrize(
    "network, coin, adapter",
    [("DOT", "DOT", "polkadot"), ("FIL", "FIL", "filecoin"), ("TON", "TON", "ton"), ("XRP", "XRP", "xrpl"), ("SUI", "SUI", "sui"), ("APTOS", "APTOS", "aptos")],
)
def test_a_value_from_after_the_snapshot_block_is_refused_on_every_comparable_reference(con, use_plugins, monkeypatch, network, coin, adapter) -> None:
    """The adapter's *installed* block reference decides: DOT's height, FIL's epoch, TON's masterchain seqno,
    XRPL's ledger index and Sui's checkpoint are the asked block's counter, so one block later is an error
    row; Aptos reads a ledger version for a block height (another counter), so its number is not compared."""
    from indexer.plugins import capabilities_for

    reference = capabilities_for(adapter).block_reference  # type: ignore[union-attr]
    use_plugins(ledger_plugin(adapter, reference))
    address = f"{network.lower()}-holder"
    LedgerFetcher.LEDGER = {(address, ""): 1_234}
    monkeypatch.setattr(LedgerFetcher, "METHOD", "state_at_height")
    monkeypatch.setattr(LedgerFetcher, "LATER", 1)
    sid = insert_snapshot(con, [(coin, coin, network, address, 5_000)])
    config = PorConfig(networks={network: NetworkSettings(name=network, rpc=["http://127.0.0.1:9"])}, path=Path("por.toml"))
    fetch_snapshot(con, config, sid, show_progress=False)
    [row] = stored(con, sid).values()
    if reference.comparable:
        assert (row["status"], row["units"], row["read_block"]) == ("error", None, 5_001)
        assert f"after the snapshot {reference.label} 5,000" in row["error"]
    else:
        assert (row["status"], int(row["units"]), row["read_block"]) == ("ok", 1_234, 5_001)
    monkeypatch.setattr(LedgerFetcher, "LATER", 0)  # the same read at the block asked is stored
    fetch_snapshot(con, config, sid, refresh=True, show_progress=False)
    [row] = stored(con, sid).values()
    assert (row["status"], int(row["units"]), row["method"], row["read_block"]) == ("ok", 1_234, "state_at_height", 5_000)


def test_a_value_without_a_method_is_an_error_row_naming_the_adapter(con, use_plugins, monkeypatch) -> None:
    """The adapter declares ``replayed`` only, yet a result that names no method is not taken to be one."""
    use_plugins(ledger_plugin("tron", BlockReference.HEIGHT))
    a = "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW"
    LedgerFetcher.LEDGER = {(a, ""): 77, (a, USDT_TRC20): 5}
    monkeypatch.setattr(LedgerFetcher, "METHOD", "")
    sid = insert_snapshot(con, [("TRX", "TRX", "TRON", a, 70_000_000), ("USDT-TRC20", "USDT", "TRON", a, 70_000_000)])
    config = PorConfig(networks={"TRON": NetworkSettings(name="TRON", rpc=["http://127.0.0.1:9"])}, path=Path("por.toml"))
    summary = fetch_snapshot(con, config, sid, show_progress=False)
    got = stored(con, sid)
    assert [(g["status"], g["units"], g["method"]) for g in got.values()] == [("error", None, None), ("error", None, None)]
    assert all("the tron adapter returned a value without saying how it was obtained" in g["error"] for g in got.values())
    assert (summary.rows_ok, summary.rows_error) == (0, 2)
    assert con.execute("select rows_fetched from reserves where asset = 'TRX'").fetchone() == (0,)


def test_command_line_adapter_options_go_to_the_named_network_only(con, use_plugins) -> None:
    from indexer.fetch import FetchError

    seen: dict[str, dict] = {}

    class Seen(LedgerFetcher):
        def __init__(self, network: Network, settings: NetworkSettings) -> None:
            super().__init__(network, settings)
            seen[network.name] = dict(settings.options)

    use_plugins(ChainPlugin(name="test-seen", adapter="utxo", make_fetcher=Seen, capabilities=AdapterCapabilities(native_methods=("state_at_height",))))
    sid = insert_snapshot(con, [("BTC", "BTC", "BTC", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", 1), ("LTC", "LTC", "LTC", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz", 1)])
    config = PorConfig(networks={"BTC": NetworkSettings(name="BTC", rpc=["http://127.0.0.1:9"], options={"scan_timeout": 5})}, path=Path("por.toml"))
    with pytest.raises(FetchError, match="name it with --network"):
        fetch_snapshot(con, config, sid, adapter_options={"utxo": {"rewind": True}}, show_progress=False)
    fetch_snapshot(con, config, sid, networks=["BTC"], adapter_options={"utxo": {"rewind": True}}, show_progress=False)
    assert seen == {"BTC": {"scan_timeout": 5, "rewind": True}}
    # a network only the command line configures (a dump file, no node) is fetched too
    summary = fetch_snapshot(con, config, sid, networks=["LTC"], adapter_options={"utxo": {"utxo_dump": "/tmp/x.dat"}}, show_progress=False)
    assert seen["LTC"] == {"utxo_dump": "/tmp/x.dat"} and "LTC" in summary.networks


def test_networks_show_declared_methods() -> None:
    from indexer.fetch import network_status

    status = {r["network"]: r for r in network_status(PorConfig())}
    assert (status["ETH"]["native_methods"], status["ETH"]["token_methods"], status["ETH"]["block_reference"]) == ("state_at_height", "state_at_height", "height")
    assert (status["BTC"]["native_methods"], status["BTC"]["token_methods"]) == ("state_at_height, dump", "no tokens")
    assert status["ETH"]["adapter"] == "evm" and registry().networks["ETH"].adapter == "evm"


def test_capabilities_refuse_unknown_methods() -> None:
    with pytest.raises(ValueError, match="unknown fetch method"):
        AdapterCapabilities(native_methods=("archive",))


def test_feed_hints_come_from_capabilities_and_preflight(con, use_plugins) -> None:
    from indexer.plugins import FeedHints

    calls: list[int] = []

    class Counted(LedgerFetcher):
        hints: FeedHints | None = None

        async def preflight(self, blocks: set[int | None]) -> FeedHints | None:
            return self.hints

        async def fetch(self, requests: Sequence[BalanceRequest]) -> list[BalanceResult]:
            calls.append(len(requests))
            return await super().fetch(requests)

    addresses = [f"T{i:033d}" for i in range(7)]
    LedgerFetcher.LEDGER = {(a, ""): i for i, a in enumerate(addresses)}
    sid = insert_snapshot(con, [("TRX", "TRX", "TRON", a, 5) for a in addresses])
    config = PorConfig(networks={"TRON": NetworkSettings(name="TRON", rpc=["http://127.0.0.1:9"])}, path=Path("por.toml"))
    caps = AdapterCapabilities(native_methods=("state_at_height",), feed=FeedHints(request_chunk=3, workers=1))
    use_plugins(ChainPlugin(name="test-counted", adapter="tron", make_fetcher=Counted, capabilities=caps))
    fetch_snapshot(con, config, sid, show_progress=False)
    assert calls == [3, 3, 1]  # the adapter's declared feed
    Counted.hints = FeedHints(request_chunk=100)  # what preflight says for this network wins (a dump: one call)
    calls.clear()
    fetch_snapshot(con, config, sid, refresh=True, show_progress=False)
    assert calls == [7]
    assert [int(u) for (u,) in con.execute("select base_units from balances order by row_no").fetchall()] == list(range(7))


def test_a_run_that_stops_on_an_unexpected_error_says_so(con, use_plugins) -> None:
    class NoSource(LedgerFetcher):  # breaks the contract: no ``source``
        def __init__(self, network: Network, settings: NetworkSettings) -> None:
            pass

    use_plugins(ChainPlugin(name="test-nosource", adapter="tron", make_fetcher=NoSource, capabilities=AdapterCapabilities(native_methods=("state_at_height",))))
    sid = insert_snapshot(con, [("TRX", "TRX", "TRON", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW", 5)])
    config = PorConfig(networks={"TRON": NetworkSettings(name="TRON", rpc=["http://127.0.0.1:9"])}, path=Path("por.toml"))
    with pytest.raises(AttributeError):
        fetch_snapshot(con, config, sid, show_progress=False)
    outcome, reason, finished = con.execute("select outcome, reason, finished_at is not null from runs where network = 'TRON'").fetchone()
    assert (outcome, finished) == ("failed", True) and "source" in reason
    assert con.execute("select count(*) from balances").fetchone()[0] == 0


def test_every_installed_adapter_says_what_a_provider_needs_for_a_snapshot_value() -> None:
    """``needs`` is what a user checks their provider plan against (archive state, history API, retention): every
    adapter of the house declares it, and ``por networks`` carries it for each network it serves."""
    from indexer.fetch import network_status
    from indexer.config import PorConfig
    from indexer.plugins import plugins

    adapters = [p for p in plugins() if p.make_fetcher is not None and p.name != "democoin"]
    assert len(adapters) >= 14
    for plugin in adapters:
        assert plugin.capabilities is not None and len(plugin.capabilities.needs) > 20, plugin.name
    rows = {r["network"]: r for r in network_status(PorConfig())}
    assert "archive node" in rows["ETH"]["needs"] and "history" in rows["TRON"]["needs"]

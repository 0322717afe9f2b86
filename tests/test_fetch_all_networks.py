"""A synthetic OKX snapshot spanning every issue-9 network, fetched end to end against each chain's protocol stub.

``por synth`` writes rows for XRP, Aptos (APT and USDT), TON (TON and USDT), Polkadot, Asset Hub, Filecoin, EOS,
aelf, Starknet and Sui (SUI and USDC) with real signatures; they are ingested like a downloaded file. Each stub
then holds, for every row's address, the published amount at the snapshot height and a different amount after
it, so an adapter that reads the wrong height cannot match. One ``fetch_snapshot`` with every network configured
must give exact snapshot values (``reconciliation`` status ``match``) everywhere the chain can be read at a
height, and honestly marked ``latest`` values (never counted) where it cannot (aelf).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from chains.aptos.fetch import normalise_address as aptos_address
from chains.common.toncells import parse_address
from chains.polkadot import codec as dot
from chains.polkadot.fetch import MIGRATION_AT_MS
from chains.starknet.codec import ETH_TOKEN
from chains.sui.fetch import SUI, normalise_address as sui_address
from chains.ton.codec import raw_form
from chains.aelf.codec import address_bytes as aelf_address
from indexer.registry import registry
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.ingest import ingest_file
from exchanges.okx.synth import write_synth_file
from indexer.store import connect
from tests.fixtures.aelf_node import AelfScenario, aelf_node
from tests.fixtures.aptos_node import APT, AptosScenario, aptos_node
from tests.fixtures.eos_node import EosScenario, eos_node
from tests.fixtures.lotus_node import LotusScenario, lotus_node
from tests.fixtures.starknet_node import StarknetScenario, starknet_node
from tests.fixtures.substrate_node import SubstrateScenario, substrate_node
from tests.fixtures.sui_graphql import SuiScenario, sui_node
from tests.fixtures.toncenter import TonScenario, toncenter
from tests.fixtures.xrpl_node import XrplScenario, xrpl_node
from tests.test_polkadot_fetch import account_info, asset_account, moment

NETWORKS = ("XRP", "APTOS", "TON", "DOT", "ASSETHUB", "FIL", "EOS", "ELF", "STARKNET", "SUI")


def synth_snapshot(tmp: Path):
    """A 3,000-row synthetic publication ingested into ``tmp``/por.duckdb: (connection, snapshot id, its rows on
    ``NETWORKS`` as ``servers`` takes them). Shared with tests/test_plan_estimates.py."""
    path = tmp / "okx_por_2026063016.csv"
    write_synth_file(registry(), path, 3000, seed=3, workers=2)
    con = connect(tmp / "por.duckdb")
    [report] = ingest_file(con, path)
    rows = con.execute(
        "select row_no, coin, network, address, snapshot_height, contract, cast(published_base_units as varchar) from addresses"
        " where snapshot_id = ? and list_contains(?, network)",
        [report.snapshot_id, list(NETWORKS)],
    ).fetchall()
    return con, report.snapshot_id, rows


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    return synth_snapshot(tmp_path_factory.mktemp("all"))


def servers(rows) -> dict[str, object]:
    """One stub per network, holding every row's published amount at its height and another amount after it."""
    by_net: dict[str, list] = defaultdict(list)
    for row_no, coin, network, address, height, contract, units in rows:
        by_net[network].append((coin, address, height, contract, int(units)))
    height = {n: v[0][2] for n, v in by_net.items()}
    out: dict[str, object] = {}

    xrp = XrplScenario(held=(height["XRP"] - 50, height["XRP"] + 50))
    for _, a, h, _, u in by_net["XRP"]:
        xrp.history[a] = [(h - 10, u), (h + 1, u + 7)]
    out["XRP"] = xrpl_node(xrp)

    aptos = AptosScenario(head_block=height["APTOS"] + 5, oldest_block=height["APTOS"] - 5)
    for _, a, h, c, u in by_net["APTOS"]:
        last = aptos.last_version(h)
        if c:
            aptos.fa_store[(aptos_address(a), aptos_address(c))] = [(last - 3, u), (last + 1, u + 7)]
        else:
            aptos.coin_store[(aptos_address(a), APT)] = [(last - 3, u), (last + 1, u + 7)]
    out["APTOS"] = aptos_node(aptos)

    ton_rows = by_net["TON"]
    master = next(c for _, _, _, c, _ in ton_rows if c)
    ton = TonScenario(master=master, tip=height["TON"] + 5)
    for _, a, h, c, u in ton_rows:
        (ton.jettons if c else ton.ton)[raw_form(parse_address(a))] = [(h - 1, u), (h + 1, u + 7)]
    out["TON"] = toncenter(ton)

    for name in ("DOT", "ASSETHUB"):
        sub = SubstrateScenario(head=height[name] + 5)
        sub.storage["0x" + dot.TIMESTAMP_NOW.hex()] = [(0, moment(MIGRATION_AT_MS - 10**9))]
        for _, a, h, c, u in by_net[name]:
            who = dot.account_id(a)
            key = dot.assets_account_key(int(c), who) if c else dot.system_account_key(who)
            value = asset_account if c else (lambda x: account_info(x, 0))
            sub.storage[key] = [(h - 1, value(u)), (h + 1, value(u + 7))]
        out[name] = substrate_node(sub)

    fil = LotusScenario(head=height["FIL"] + 5)
    for _, a, h, _, u in by_net["FIL"]:
        fil.history[a] = [(h, u), (h + 1, u + 7)]
    out["FIL"] = lotus_node(fil)

    eos = EosScenario(head=height["EOS"] + 50)
    for _, a, h, c, u in by_net["EOS"]:
        code, symbol = c.split(":") if c else ("eosio.token", "EOS")
        eos.opening[(a, code, symbol)] = u
        eos.transfers.append((h + 3, code, "someone11111", a, f"0.0007 {symbol}"))
    out["EOS"] = eos_node(eos)

    elf = AelfScenario()
    for _, a, _, _, u in by_net["ELF"]:
        elf.balances[(aelf_address(a), "ELF")] = u
    out["ELF"] = aelf_node(elf)

    stark = StarknetScenario(tip=height["STARKNET"] + 5)
    for _, a, h, c, u in by_net["STARKNET"]:
        stark.set(c or ETH_TOKEN, a, [(h, u), (h + 1, u + 7)])
    out["STARKNET"] = starknet_node(stark)

    sui = SuiScenario(tip=height["SUI"] + 5)
    for _, a, h, c, u in by_net["SUI"]:
        sui.history[(sui_address(a), c or SUI)] = [(h - 1, u), (h + 1, u + 7)]
    out["SUI"] = sui_node(sui)
    return out


@contextmanager
def serving(rows) -> Iterator[PorConfig]:
    """Every network's stub (``servers``) running, and the configuration that reads them."""
    stubs = servers(rows)
    with ExitStack() as stack:
        for s in stubs.values():
            stack.enter_context(s)
        options = {"EOS": {"history_api": stubs["EOS"].url}}
        yield PorConfig(
            networks={n: NetworkSettings(name=n, rpc=[stubs[n].url], backoff=0.01, options=options.get(n, {})) for n in NETWORKS},
            path=Path("por.toml"),
        )


def test_every_issue9_network_fetches_exact_snapshot_values(snapshot) -> None:
    con, sid, rows = snapshot
    assert {r[2] for r in rows} == set(NETWORKS), "the synthetic mix covers every network"
    with serving(rows) as cfg:
        summary = fetch_snapshot(con, cfg, sid, show_progress=False)
    assert {n: (r.errors, r.blocked) for n, r in summary.networks.items()} == {n: (0, "") for n in NETWORKS}
    got = dict(
        ((network, status), n)
        for network, status, n in con.execute(
            "select network, status, count(*) from reconciliation where snapshot_id = ? and list_contains(?, network) group by all", [sid, list(NETWORKS)]
        ).fetchall()
    )
    want = {(n, "match"): sum(1 for r in rows if r[2] == n) for n in NETWORKS if n != "ELF"}
    want[("ELF", "latest_only")] = sum(1 for r in rows if r[2] == "ELF")  # aelf has no state at a height: shown, never counted
    assert got == want
    methods = dict(con.execute("select a.network, list(distinct b.method order by b.method) from balances b join addresses a using (snapshot_id, row_no) where b.snapshot_id = ? group by all", [sid]).fetchall())
    assert methods == {**{n: ["state_at_height"] for n in NETWORKS}, "EOS": ["replayed"], "ELF": ["latest"]}

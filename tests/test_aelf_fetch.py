"""aelf balances (current state, stored as latest) against an aelf Web API stub that parses and checks the
signed protobuf transaction with the protobuf library."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from chains.aelf import codec
from chains.aelf.fetch import AelfFetcher
from chains.common.encoding import b58check_encode
from indexer.config import NetworkSettings, PorConfig
from indexer.fetch import fetch_snapshot
from indexer.models import BalanceRequest
from indexer.registry import registry
from indexer.rpc import run_session
from indexer.store import connect
from tests.fixtures.aelf_node import AelfScenario, aelf_messages, aelf_node
from tests.fixtures.anvil import insert_snapshot
from tests.fixtures.faulty_proxy import FaultyProxy

OWNERS = [hashlib.sha256(bytes([i])).digest() for i in range(20)]


def test_codec_against_the_protobuf_library() -> None:
    M = aelf_messages()
    params = codec.get_balance_input("ELF", OWNERS[0])
    theirs = M["GetBalanceInput"](symbol="ELF")
    theirs.owner.value = OWNERS[0]
    assert params == theirs.SerializeToString()
    ours = codec.transaction(OWNERS[1], OWNERS[2], 123_456_789, b"\x01\x02\x03\x04", "GetBalance", params, b"\x09" * 65)
    tx = M["Transaction"](ref_block_number=123_456_789, ref_block_prefix=b"\x01\x02\x03\x04", method_name="GetBalance", params=params, signature=b"\x09" * 65)
    tx.from_address.value, tx.to_address.value = OWNERS[1], OWNERS[2]
    assert ours == tx.SerializeToString()
    for balance in (0, 1, 2**62 + 7):
        out = M["GetBalanceOutput"](symbol="ELF", balance=balance)
        out.owner.value = OWNERS[0]
        assert codec.decode_get_balance_output(out.SerializeToString(), "ELF", OWNERS[0]) == balance
        with pytest.raises(ValueError):
            codec.decode_get_balance_output(out.SerializeToString(), "ELF", OWNERS[1])  # another owner's answer
        with pytest.raises(ValueError):
            codec.decode_get_balance_output(out.SerializeToString()[:-3], "ELF", OWNERS[0])  # truncated
    text = b58check_encode(OWNERS[0])
    assert codec.address_bytes(f"ELF_{text}_AELF") == codec.address_bytes(text) == codec.address_bytes(f"{text}_tDVV") == OWNERS[0]
    assert [codec.parse_address(a)[1] for a in (f"ELF_{text}_AELF", f"ELF_{text}_tDVV", f"{text}_tDVW", text, f"ELF_{text}")] == ["AELF", "tDVV", "tDVW", None, None]
    for bad in (f"ELF_{text}_tDV0", f"ELF_{text}_mainnet", f"a_b_{text}_AELF"):
        with pytest.raises(ValueError):
            codec.parse_address(bad)


def scenario() -> AelfScenario:
    sc = AelfScenario()
    for i, o in enumerate(OWNERS):
        sc.balances[(o, "ELF")] = 10**8 * (i + 1) + i
    sc.balances[(OWNERS[0], "USDT")] = 5
    return sc


def test_current_balances_are_latest_and_say_so() -> None:
    with aelf_node(scenario()) as node:

        async def go():
            async with run_session():
                f = AelfFetcher(registry().networks["ELF"], NetworkSettings(name="ELF", rpc=[node.url], backoff=0.01))
                await f.preflight({100})
                return await f.fetch([BalanceRequest(f"ELF_{b58check_encode(OWNERS[0])}_AELF", "", 100), BalanceRequest(b58check_encode(OWNERS[0]), "USDT", None), BalanceRequest("ELF_bad_AELF", "", 100)])

        elf, usdt, bad = asyncio.run(go())
    assert (elf.base_units, elf.method, elf.block_height) == (10**8, "latest", 250_000_000) and "current state only" in elf.note
    assert (usdt.base_units, usdt.method, usdt.note) == (5, "latest", "")
    assert not bad.ok and bad.base_units is None


def test_fetch_snapshot_end_to_end_through_a_faulty_proxy(tmp_path: Path) -> None:
    sc = scenario()
    rows = [("ELF", "ELF", "ELF", f"ELF_{b58check_encode(o)}_AELF", 1000) for o in OWNERS]
    with aelf_node(sc) as node, FaultyProxy(node.url, share=0.3, seed=12, faults=("drop", "429", "500", "malformed")) as proxy:
        con = connect(tmp_path / "por.duckdb")
        sid = insert_snapshot(con, rows)
        cfg = PorConfig(networks={"ELF": NetworkSettings(name="ELF", rpc=[proxy.url], backoff=0.01, backoff_max=0.02, retries=6)}, path=Path("por.toml"))
        fetch_snapshot(con, cfg, sid, show_progress=False)
        assert sum(proxy.counts[f] for f in ("drop", "429", "500", "malformed")) > 0
        got = con.execute("select row_no, status, cast(base_units as varchar), error from balances where snapshot_id = ?", [sid]).fetchall()
    assert {r: (s, u) for r, s, u, _ in got} == {n: ("ok", str(sc.balances[(o, "ELF")])) for n, o in enumerate(OWNERS, start=1)}  # cut answers were asked again


def test_a_side_chain_address_is_read_on_its_own_chain_never_as_a_main_chain_zero() -> None:
    """``ELF_…_tDVV`` on the main chain's node reads as a real-looking 0: routed to tDVV's node, else an error row."""
    main, side = AelfScenario(), AelfScenario(chain_id="tDVV", height=180_000_000)
    main.balances[(OWNERS[1], "ELF")] = 5
    side.balances[(OWNERS[0], "ELF")] = 777
    side.balances[(OWNERS[0], "USDT")] = 9
    text = [b58check_encode(o) for o in OWNERS[:2]]
    reqs = [BalanceRequest(f"ELF_{text[0]}_tDVV", "", 100), BalanceRequest(f"ELF_{text[0]}_tDVV", "USDT", 100), BalanceRequest(f"ELF_{text[1]}_AELF", "", 100), BalanceRequest(text[1], "", 100)]

    def fetch(url: str, **options: object):
        async def go():
            async with run_session():
                f = AelfFetcher(registry().networks["ELF"], NetworkSettings(name="ELF", rpc=[url], backoff=0.01, options=options))
                try:
                    return await f.fetch(reqs)
                finally:
                    await f.close()

        return asyncio.run(go())

    with aelf_node(main) as m, aelf_node(side) as s:
        lost, lost_usdt, here, bare = fetch(m.url)
        asked_main = m.counts["requests"]
        routed, routed_usdt, here2, _ = fetch(m.url, chains={"tDVV": s.url})
        wrong, *_ = fetch(m.url, chains={"tDVV": m.url})  # a "tDVV" endpoint that serves AELF
    assert not lost.ok and lost.base_units is None and "chain tDVV" in lost.error and "chains = { tDVV" in lost.error
    assert not lost_usdt.ok and (here.base_units, bare.base_units) == (5, 5)
    assert asked_main == 4  # chainStatus, the Token contract, two GetBalance: the tDVV rows were never asked here
    assert (routed.base_units, routed.block_height, routed.method, routed_usdt.base_units) == (777, 180_000_000, "latest", 9)
    assert routed.source != here2.source and here2.base_units == 5
    assert not wrong.ok and "serves chain AELF" in wrong.error

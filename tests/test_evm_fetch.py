"""The EVM balance adapter against a real anvil: every read path, at the right block,
with failures as errors (never zeros); plus the pure codec checked against eth_abi."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_abi import decode, encode

from chains.evm import codec
from chains.evm.fetch import EvmFetcher, make_fetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest
from indexer.plugins import FetchBlocked
from indexer.registry import registry
from indexer.rpc import run_session
from tests.fixtures.anvil import REPO, Anvil, World, test_contracts
from tests.fixtures.faulty_proxy import FaultyProxy

ETH = registry().networks["ETH"]
MC3 = "0xcA11bde05977b3631167028862bE2a173976CA11"


# ------------------------------------------------------------------------------------------ pure codec

def test_calldata_matches_eth_abi() -> None:
    holder = "0x" + "ab" * 20
    assert codec.balance_of_data(holder) == "0x70a08231" + encode(["address"], [holder]).hex()
    calls = [
        ("0x" + "11" * 20, True, codec.balance_of_data(holder)),
        ("0x" + "22" * 20, False, "0x"),
        ("0x" + "33" * 20, True, "0x" + "ff" * 33),
    ]
    ref = "0x82ad56cb" + encode(["(address,bool,bytes)[]"], [[(t, a, bytes.fromhex(d[2:])) for t, a, d in calls]]).hex()
    assert codec.encode_aggregate3(calls) == ref
    assert codec.encode_aggregate3([]) == "0x82ad56cb" + encode(["(address,bool,bytes)[]"], [[]]).hex()


def test_aggregate3_answer_decoding_is_exact_and_strict() -> None:
    results = [(True, (12345).to_bytes(32, "big")), (False, b"\x08\xc3\x79\xa0" + b"x" * 40), (True, b"")]
    answer = "0x" + encode(["(bool,bytes)[]"], [results]).hex()
    assert codec.decode_aggregate3(answer, 3) == [(ok, "0x" + data.hex()) for ok, data in results]
    with pytest.raises(codec.CodecError, match="3 results for 2"):
        codec.decode_aggregate3(answer, 2)
    with pytest.raises(codec.CodecError):
        codec.decode_aggregate3(answer[:-64], 3)  # truncated
    with pytest.raises(codec.CodecError, match="no data"):
        codec.decode_aggregate3("0x", 1)
    bad_flag = bytearray(bytes.fromhex(answer[2:]))
    first = int.from_bytes(bad_flag[64:96], "big") + 64  # first tuple (offsets count from the array body at 64)
    bad_flag[first + 31] = 2
    with pytest.raises(codec.CodecError, match="bool"):
        codec.decode_aggregate3("0x" + bad_flag.hex(), 3)


def test_uint_and_reader_decoding() -> None:
    assert codec.decode_uint256("0x" + encode(["uint256"], [2**255 + 7]).hex()) == 2**255 + 7
    for bad in ("0x", "0x1234", "zz"):
        with pytest.raises(codec.CodecError):
            codec.decode_uint256(bad)
    out = "0x" + (5).to_bytes(32, "big").hex() + (0).to_bytes(32, "big").hex() + "0001"
    assert codec.decode_reader_output(out, 2) == [(5, 0), (None, 1)]
    with pytest.raises(codec.CodecError):
        codec.decode_reader_output(out[:-2], 2)
    assert codec.encode_reader_input([("", "0x" + "aa" * 20), ("0x" + "bb" * 20, "0x" + "cc" * 20)]) == "0x" + "00" * 20 + "aa" * 20 + "bb" * 20 + "cc" * 20
    with pytest.raises(ValueError):
        codec.normalize_address("0x1234")


def test_committed_reader_bytecode_is_rebuilt_from_its_source(tmp_path: Path) -> None:
    out = tmp_path / "reader.json"
    subprocess.run([str(REPO / "scripts" / "build_reader.sh"), str(out)], check=True, capture_output=True)
    rebuilt = json.loads(out.read_text())
    assert rebuilt["runtime"] == codec.reader_runtime()
    assert rebuilt["source_sha256"] == codec.reader_artifact()["source_sha256"]


# ------------------------------------------------------------------------------------------ against anvil

@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Anvil("--chain-id", "1") as node:
        w = World(node)
        # Multicall3 appears only AFTER the snapshot block, as on a chain that got it late
        node.set_code(MC3, test_contracts()["MiniMulticall3"]["runtime"])
        node.mine(1)
        w.latest_block = node.block_number()
        yield w


def fetch(url: str, requests: list[BalanceRequest], preflight: bool = True, **options: object) -> tuple[list, EvmFetcher]:
    async def go():
        async with run_session():
            f = make_fetcher(ETH, NetworkSettings(name="ETH", rpc=[url], backoff=0.01, options=dict(options)))
            if preflight:
                await f.preflight({r.block for r in requests})
            return await f.fetch(requests), f

    return asyncio.run(go())


def all_requests(w: World, block: int) -> list[BalanceRequest]:
    return [BalanceRequest(h, token, block) for h in w.holders for token in ("", w.usdt)]


@pytest.mark.parametrize("method", ["override", "multicall3", "batch", "single"])
def test_every_path_reads_the_snapshot_block_not_the_tip(world: World, method: str) -> None:
    # Multicall3 has no code at the snapshot block: that path is checked at the latest block only
    blocks = [world.latest_block] if method == "multicall3" else [world.snapshot_block, world.latest_block]
    for block in blocks:
        reqs = all_requests(world, block)
        results, f = fetch(world.node.url, reqs, method=method, chunk_size=5)
        assert [r.base_units for r in results] == [world.expected(r.address, r.contract, block) for r in reqs]
        assert all(r.ok and r.block_height == block and r.source == f"127.0.0.1:{world.node.port}" for r in results)
        assert f.used == {method: len(reqs)}
    # the history really moved, so a read at the wrong block would have failed above
    h = world.holders[0]
    assert world.expected(h, "", world.snapshot_block) != world.expected(h, "", world.latest_block)
    assert world.expected(h, world.usdt, world.snapshot_block) != world.expected(h, world.usdt, world.latest_block)


@pytest.mark.parametrize("method", ["override", "multicall3", "batch", "single"])
def test_bad_tokens_are_errors_never_zero(world: World, method: str) -> None:
    b = world.latest_block
    h = world.holders[2]
    reqs = [BalanceRequest(h, world.usdc, b), BalanceRequest(h, world.uni, b), BalanceRequest(h, world.link, b), BalanceRequest(h, world.usdt, b)]
    results, _ = fetch(world.node.url, reqs, method=method)
    assert [r.ok for r in results] == [False, False, False, True]
    assert all(r.base_units is None and r.error for r in results[:3])
    assert "revert" in results[0].error
    assert "data" in results[1].error or "32 bytes" in results[1].error
    assert results[2].error  # no code at LINK's address: "no contract code" / "no data" depending on the path
    assert results[3].base_units == world.expected(h, world.usdt, b)


def test_automatic_fallbacks_are_chosen_per_block_and_reported(world: World) -> None:
    s, t = world.snapshot_block, world.latest_block
    reqs = all_requests(world, s)[:6] + all_requests(world, t)[:6]
    truth = [world.expected(r.address, r.contract, r.block) for r in reqs]  # type: ignore[arg-type]
    results, f = fetch(world.node.url, reqs)
    assert [r.base_units for r in results] == truth and f.used == {"override": 12}
    with FaultyProxy(world.node.url, reject_overrides=True) as proxy:
        results, f = fetch(proxy.url, reqs)
    assert [r.base_units for r in results] == truth
    assert f.used == {"batch": 6, "multicall3": 6}  # no Multicall3 code at the snapshot block
    assert any("state override unavailable" in n for n in f.fallback_notes) and "multicall3" in f.read_paths
    with FaultyProxy(world.node.url, reject_overrides=True, reject_batches=True) as proxy:
        results, f = fetch(proxy.url, all_requests(world, s)[:6])
    assert [r.base_units for r in results] == truth[:6] and f.used == {"single": 6}


def test_invalid_addresses_are_per_item_errors(world: World) -> None:
    b = world.latest_block
    reqs = [BalanceRequest("0x1234", "", b), BalanceRequest(world.holders[1], "", b), BalanceRequest(world.holders[1], "not-a-contract", b)]
    results, _ = fetch(world.node.url, reqs)
    assert [r.ok for r in results] == [False, True, False]
    assert "not an EVM address" in results[0].error and "not an EVM address" in results[2].error


def test_preflight_blocks_future_blocks_and_wrong_chains(world: World) -> None:
    with pytest.raises(FetchBlocked, match="beyond the node's tip"):
        fetch(world.node.url, [BalanceRequest(world.holders[0], "", world.latest_block + 1000)])
    with Anvil() as other:  # chain id 31337, not Ethereum's 1
        with pytest.raises(FetchBlocked, match="chain id 31337"):
            fetch(other.url, [BalanceRequest(world.holders[0], "", 0)])
        results, _ = fetch(other.url, [BalanceRequest(other.accounts[0], "", 0)], check_chain_id=False)
        assert results[0].base_units == other.balance(other.accounts[0], 0)


def test_preflight_detects_a_node_without_old_state() -> None:
    with Anvil("--chain-id", "1", "--prune-history", "2") as pruned:
        pruned.mine(20)
        with pytest.raises(FetchBlocked, match="no state at block 3"):
            fetch(pruned.url, [BalanceRequest(pruned.accounts[0], "", 3)])
        results, _ = fetch(pruned.url, [BalanceRequest(pruned.accounts[0], "", 20)])
        assert results[0].base_units == pruned.balance(pruned.accounts[0], 20)


def test_chunks_halve_when_a_call_runs_out_of_gas() -> None:
    with Anvil("--chain-id", "1", "--gas-limit", "3000000") as node:
        w = World(node)
        reqs = [BalanceRequest(w.holders[i % 10], w.usdt, w.snapshot_block) for i in range(60)]
        reqs += [BalanceRequest(f"0x{0xBEEF0000 + i:040x}", w.usdt, w.snapshot_block) for i in range(940)]
        # 1,000 cold balanceOf calls (~4.8M gas) need more than the node's 3M eth_call gas: the call must be split
        results, f = fetch(node.url, reqs, method="override", chunk_size=1000)
        assert [r.base_units for r in results] == [w.expected(r.address, r.contract, w.snapshot_block) for r in reqs]
        assert f.chunk < 1000  # the adapter learnt a smaller size


def test_faulty_transport_still_gives_exact_answers(world: World) -> None:
    reqs = all_requests(world, world.snapshot_block)
    with FaultyProxy(world.node.url, share=0.35, seed=3, delay=0.4, max_consecutive=2) as proxy:
        async def go():
            async with run_session():
                f = make_fetcher(ETH, NetworkSettings(name="ETH", rpc=[proxy.url], timeout=0.3, backoff=0.01, retries=6, options={"chunk_size": 3}))
                await f.preflight({world.snapshot_block})
                return await f.fetch(reqs)

        results = asyncio.run(go())
        faults = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert faults > 0
    assert [r.base_units for r in results] == [world.expected(r.address, r.contract, world.snapshot_block) for r in reqs]


def test_case_variants_are_one_read_and_every_result_says_how(world: World) -> None:
    """The runner passes addresses as written; this adapter knows hex is case-insensitive and reads each once."""
    h = world.holders[3]
    s = world.snapshot_block
    reqs = [BalanceRequest(h, "", s), BalanceRequest("0x" + h[2:].upper(), "", s), BalanceRequest(h, world.usdt.upper().replace("0X", "0x"), s), BalanceRequest(h, world.usdt, s)]
    results, f = fetch(world.node.url, reqs)
    assert [r.base_units for r in results] == [world.expected(h, "", s)] * 2 + [world.expected(h, world.usdt, s)] * 2
    assert [r.request for r in results] == reqs  # each result carries its own request
    assert f.used == {"override": 2}
    assert {(r.method, r.note, r.block_height) for r in results} == {("state_at_height", "override", s)}

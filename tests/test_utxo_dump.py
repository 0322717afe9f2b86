"""The dumptxoutset reader against (a) dumps this test WRITES from the format description, with its
own encoders (Core's WriteVarInt, CompressAmount, ScriptCompression, CompactSize) that share no
code with chains/utxo/dump.py, and (b) a REAL dump written by litecoind (legacy layout), checked
coin for coin against the node's own scantxoutset / gettxoutsetinfo at the same height."""

from __future__ import annotations

import asyncio
import random
import struct
from decimal import Decimal
from pathlib import Path

import pytest
from coincurve import PrivateKey

from chains.utxo.dump import DumpError, DumpFetcher, iter_coins, sum_scripts
from chains.utxo.scripts import script_for_address
from chains.utxo.params import chain_params
from indexer.config import Auth, NetworkSettings
from indexer.models import BalanceRequest
from indexer.plugins import FetchBlocked
from indexer.registry import registry
from indexer.rpc import run_session
from tests.fixtures.litecoind import PASSWORD, USER, address_set, litecoind  # noqa: F401  (fixture)

# ---------------------------------------------------------------- the test's own encoder ---------


def write_varint(n: int) -> bytes:
    """serialize.h WriteVarInt (VarIntMode::DEFAULT), transcribed."""
    tmp = []
    length = 0
    while True:
        tmp.append((n & 0x7F) | (0x80 if length else 0x00))
        if n <= 0x7F:
            break
        n = (n >> 7) - 1
        length += 1
    return bytes(reversed(tmp))


def compact_size(n: int) -> bytes:
    if n < 253:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def compress_amount(n: int) -> int:
    """compressor.cpp CompressAmount, transcribed."""
    if n == 0:
        return 0
    e = 0
    while n % 10 == 0 and e < 9:
        n //= 10
        e += 1
    if e < 9:
        d = n % 10
        assert 1 <= d <= 9
        n //= 10
        return 1 + (n * 9 + d - 1) * 10 + e
    return 1 + (n - 1) * 10 + 9


def compress_script(script: bytes) -> bytes:
    """ScriptCompression::Ser: special forms 0–5, else VARINT(size + 6) ‖ script."""
    if len(script) == 25 and script[:3] == b"\x76\xa9\x14" and script[23:] == b"\x88\xac":
        return b"\x00" + script[3:23]
    if len(script) == 23 and script[:2] == b"\xa9\x14" and script[22:] == b"\x87":
        return b"\x01" + script[2:22]
    if len(script) == 35 and script[0] == 33 and script[1] in (2, 3) and script[34] == 0xAC:
        return script[1:34]
    if len(script) == 67 and script[0] == 65 and script[1] == 4 and script[66] == 0xAC:
        return bytes([0x04 | (script[65] & 1)]) + script[2:34]
    return write_varint(len(script) + 6) + script


def coin_bytes(height: int, coinbase: bool, value: int, script: bytes) -> bytes:
    return write_varint(height * 2 + int(coinbase)) + write_varint(compress_amount(value)) + compress_script(script)


def write_dump_v2(path: Path, coins: list[tuple[bytes, int, int, bool, int, bytes]], base_hash: bytes, magic: bytes) -> None:
    """coins: (txid, vout, height, coinbase, value, script); grouped by txid as WriteUTXOSnapshot does."""
    out = bytearray(b"utxo\xff" + struct.pack("<H", 2) + magic + base_hash[::-1] + struct.pack("<Q", len(coins)))
    groups: dict[bytes, list[tuple[int, int, bool, int, bytes]]] = {}
    for txid, vout, height, cb, value, script in coins:
        groups.setdefault(txid, []).append((vout, height, cb, value, script))
    for txid in sorted(groups):
        out += txid + compact_size(len(groups[txid]))
        for vout, height, cb, value, script in sorted(groups[txid]):
            out += compact_size(vout) + coin_bytes(height, cb, value, script)
    path.write_bytes(bytes(out))


def write_dump_legacy(path: Path, coins: list[tuple[bytes, int, int, bool, int, bytes]], base_hash: bytes) -> None:
    out = bytearray(base_hash[::-1] + struct.pack("<Q", len(coins)) + struct.pack("<I", len(coins) + 1))
    for txid, vout, height, cb, value, script in coins:
        out += txid + struct.pack("<I", vout) + coin_bytes(height, cb, value, script)
    path.write_bytes(bytes(out))


# ---------------------------------------------------------------- a synthetic UTXO set ---------

BASE_HEIGHT = 5_000
BTC_MAGIC = bytes.fromhex("f9beb4d9")


def synthetic_set(seed: int = 7) -> tuple[list[tuple[bytes, int, int, bool, int, bytes]], dict[str, str]]:
    """Coins of every script kind (and awkward amounts/vouts) plus mainnet addresses of some of them."""
    rng = random.Random(seed)
    h = [bytes(rng.randrange(256) for _ in range(20)) for _ in range(4)]
    w = bytes(rng.randrange(256) for _ in range(32))
    pub = PrivateKey(bytes([9]) * 32).public_key
    from chains.common.encoding import b58check_encode, segwit_encode

    addresses = {
        "p2pkh": b58check_encode(b"\x00" + h[0]),
        "p2sh": b58check_encode(b"\x05" + h[1]),
        "p2wpkh": segwit_encode("bc", 0, h[2]),
        "p2wsh": segwit_encode("bc", 0, w),
        "p2tr": segwit_encode("bc", 1, w[::-1]),
        "empty": b58check_encode(b"\x00" + h[3]),  # never paid
    }
    by_type = {
        "p2pkh": b"\x76\xa9\x14" + h[0] + b"\x88\xac",
        "p2sh": b"\xa9\x14" + h[1] + b"\x87",
        "p2wpkh": b"\x00\x14" + h[2],
        "p2wsh": b"\x00\x20" + w,
        "p2tr": b"\x51\x20" + w[::-1],
    }
    others = [
        b"\x21" + pub.format(compressed=True) + b"\xac",  # P2PK compressed (special 2/3)
        b"\x41" + pub.format(compressed=False) + b"\xac",  # P2PK uncompressed (special 4/5)
        b"\x6a\x04abcd",  # OP_RETURN-ish raw script
        b"",  # empty script (size 6)
        bytes(rng.randrange(256) for _ in range(300)),  # long raw script (VARINT size > 127)
    ]
    values = [0, 1, 10, 99, 5_000_000_000, 2_100_000_000_000_000, 123_456_789, 10**9, 10**12 + 7, 546]
    coins = []
    for i in range(600):
        kind = rng.choice(list(by_type) + ["other"] * 3)
        script = by_type[kind] if kind != "other" else rng.choice(others)
        txid = bytes(rng.randrange(256) for _ in range(32)) if i % 5 else coins[-1][0] if coins else bytes(32)
        vout = rng.choice([0, 1, 2, 252, 253, 300, 70_000])
        coins.append((txid, vout + i * 100_000, rng.randrange(BASE_HEIGHT + 1), rng.random() < 0.1, rng.choice(values), script))
    # unique outpoints
    coins = list({(c[0], c[1]): c for c in coins}.values())
    return coins, addresses


def expected(coins: list[tuple[bytes, int, int, bool, int, bytes]], script: bytes) -> int:
    return sum(c[4] for c in coins if c[5] == script)


@pytest.mark.parametrize("layout", ["v2", "legacy"])
def test_reader_matches_written_dump_coin_for_coin(tmp_path: Path, layout: str) -> None:
    coins, _ = synthetic_set()
    path = tmp_path / "utxo.dat"
    base = bytes(range(32))
    if layout == "v2":
        write_dump_v2(path, coins, base, BTC_MAGIC)
        order = sorted(coins, key=lambda c: (c[0], c[1]))
    else:
        write_dump_legacy(path, coins, base)
        order = coins
    stream = iter_coins(path, want_uncompressed_p2pk=True)
    header = next(stream)
    assert header.layout == layout and header.coins == len(coins) and header.base_hash == base.hex()
    got = list(stream)
    assert [(s, v, h) for s, v, h in got] == [(c[5], c[4], c[2]) for c in order]


def test_sum_scripts_exact_per_address(tmp_path: Path) -> None:
    coins, addresses = synthetic_set()
    path = tmp_path / "utxo.dat"
    write_dump_v2(path, coins, bytes(32), BTC_MAGIC)
    params = chain_params("BTC", "main")
    wanted = {t: script_for_address(a, params) for t, a in addresses.items()}
    header, sums, totals = sum_scripts(path, set(wanted.values()), base_height=BASE_HEIGHT)
    assert totals.coins == len(coins) and totals.amount == sum(c[4] for c in coins)
    for t, script in wanted.items():
        assert sums[script] == expected(coins, script), t
    assert sums[wanted["empty"]] == 0
    assert sum(sums[wanted[t]] for t in ("p2pkh", "p2sh", "p2wpkh", "p2wsh", "p2tr")) > 0


def test_damaged_dumps_are_refused(tmp_path: Path) -> None:
    coins, _ = synthetic_set()
    good = tmp_path / "good.dat"
    write_dump_v2(good, coins, bytes(32), BTC_MAGIC)
    raw = good.read_bytes()
    cases = {
        "truncated": raw[:-3],
        "trailing": raw + b"\x00",
        "count": raw[:43] + struct.pack("<Q", len(coins) + 1) + raw[51:],
        "version": raw[:5] + struct.pack("<H", 3) + raw[7:],
    }
    for name, data in cases.items():
        p = tmp_path / f"{name}.dat"
        p.write_bytes(data)
        with pytest.raises(DumpError):
            list(iter_coins(p))
    with pytest.raises(DumpError):  # a coin above the base height cannot be in a dump of that height
        sum_scripts(good, {b"x"}, base_height=min(c[2] for c in coins) - 1)


def _fetch(settings: NetworkSettings, requests: list[BalanceRequest], network: str = "BTC") -> list:
    async def go() -> list:
        async with run_session():
            f = DumpFetcher(registry().network(network), settings)
            await f.preflight({r.block for r in requests})
            try:
                return await f.fetch(requests)
            finally:
                await f.close()

    return asyncio.run(go())


def test_dump_fetcher_heights_and_bad_addresses(tmp_path: Path) -> None:
    coins, addresses = synthetic_set()
    path = tmp_path / "utxo.dat"
    write_dump_v2(path, coins, bytes(32), BTC_MAGIC)
    params = chain_params("BTC", "main")
    settings = NetworkSettings(name="BTC", options={"utxo_dump": path, "utxo_dump_height": BASE_HEIGHT})
    reqs = [BalanceRequest(a, "", BASE_HEIGHT) for a in addresses.values()] + [BalanceRequest("bc1qnotanaddress", "", BASE_HEIGHT)]
    results = _fetch(settings, reqs)
    for req, res in zip(reqs[:-1], results):
        assert res.ok and res.block_height == BASE_HEIGHT
        assert res.base_units == expected(coins, script_for_address(req.address, params))
    assert not results[-1].ok and results[-1].base_units is None and "does not decode" in results[-1].error
    with pytest.raises(FetchBlocked, match="as of height 5000"):
        _fetch(settings, [BalanceRequest(addresses["p2pkh"], "", BASE_HEIGHT - 1)])
    with pytest.raises(FetchBlocked, match="latest"):
        _fetch(settings, [BalanceRequest(addresses["p2pkh"], "", None)])
    with pytest.raises(FetchBlocked, match="height"):  # no node, no declared height: refused
        _fetch(NetworkSettings(name="BTC", options={"utxo_dump": path}), [BalanceRequest(addresses["p2pkh"], "", BASE_HEIGHT)])
    with pytest.raises(FetchBlocked, match="magic"):  # a BTC mainnet dump offered for LTC
        _fetch(NetworkSettings(name="LTC", options={"utxo_dump": path, "utxo_dump_height": BASE_HEIGHT}), [], network="LTC")


def test_real_litecoind_dump_matches_the_node(litecoind, tmp_path: Path) -> None:  # noqa: F811
    node = litecoind
    addrs = address_set(b"dump")
    node.pay({a: Decimal("0.12345678") for a, _ in addrs.values()})
    node.mine(1)
    node.pay({addrs["p2wpkh"][0]: Decimal("3"), addrs["p2tr"][0]: Decimal("0.00010001")})
    node.mine(1)
    dump = node.rpc("dumptxoutset", str(tmp_path / "ltc.dat"))
    height = node.height()
    assert dump["base_height"] == height
    info = node.rpc("gettxoutsetinfo")
    settings = NetworkSettings(name="LTC", rpc=[node.url], auth=Auth(USER, PASSWORD), options={"utxo_dump": dump["path"]})
    reqs = [BalanceRequest(a, "", height) for a, _ in addrs.values()] + [BalanceRequest(node.mine_to, "", height)]
    results = _fetch(settings, reqs, network="LTC")
    for req, res in zip(reqs, results):
        scan = node.rpc("scantxoutset", "start", [f"addr({req.address})"])
        assert scan["height"] == height
        assert res.ok and res.block_height == height
        assert res.base_units == int(scan["total_amount"] * 10**8), req.address
    assert results[0].base_units == 12_345_678
    assert results[2].base_units == 312_345_678 and results[4].base_units == 12_355_679
    # every coin was read: totals equal the node's own UTXO-set statistics at that height
    _, _, totals = sum_scripts(Path(dump["path"]), set(), base_height=height)
    assert totals.coins == info["txouts"] == dump["coins_written"]
    assert totals.amount == int(info["total_amount"] * 10**8)


def test_dump_through_the_pipeline(litecoind, tmp_path: Path, con) -> None:  # noqa: F811
    """`por fetch --utxo-dump`: snapshot rows in DuckDB -> fetch_snapshot -> balances, no scan on the node."""
    from indexer.config import PorConfig
    from indexer.fetch import fetch_snapshot
    from tests.fixtures.anvil import insert_snapshot

    node = litecoind
    addrs = address_set(b"pipe")
    node.pay({a: Decimal("0.5") for a, _ in addrs.values()})
    node.mine(1)
    dump = node.rpc("dumptxoutset", str(tmp_path / "pipe.dat"))
    height = dump["base_height"]
    node.pay({a: Decimal("0.1") for a, _ in addrs.values()})  # after the dump: must not count
    node.mine(1)
    rows = [("LTC", "LTC", "LTC", a, height) for a, _ in addrs.values()] + [("LTC", "LTC", "LTC", "rltc1qbroken", height)]
    sid = insert_snapshot(con, rows)
    cfg = PorConfig(networks={"LTC": NetworkSettings(name="LTC", rpc=[node.url], auth=Auth(USER, PASSWORD))})
    summary = fetch_snapshot(con, cfg, sid, adapter_options={"utxo": {"utxo_dump": dump["path"]}}, show_progress=False)
    got = con.execute(
        "select a.address, b.status, b.base_units, b.block_height, b.source from balances b join addresses a using (snapshot_id, row_no) "
        "where b.snapshot_id = ? order by b.row_no",
        [sid],
    ).fetchall()
    assert [g[1:4] for g in got[:-1]] == [("ok", 50_000_000, height)] * len(addrs)
    assert got[-1][1] == "error" and got[-1][2] is None
    assert got[0][4].startswith("utxo-dump:") and summary.networks["LTC"].methods == {"dump": len(addrs)}
    how = con.execute("select distinct status, method, read_block, run_id from balances where snapshot_id = ?", [sid]).fetchall()
    assert sorted(how) == [("error", "dump", None, summary.run_id), ("ok", "dump", height, summary.run_id)]
    assert con.execute("select rows_dump, outcome from runs where run_id = ?", [summary.run_id]).fetchone() == (len(addrs), "errors")
    # a snapshot at another height is refused for every row, never answered from the wrong height
    sid2 = insert_snapshot(con, [("LTC", "LTC", "LTC", a, height + 1) for a, _ in addrs.values()])
    summary = fetch_snapshot(con, cfg, sid2, adapter_options={"utxo": {"utxo_dump": dump["path"]}}, show_progress=False)
    assert "rollback=" in summary.networks["LTC"].blocked
    assert con.execute("select count(*) from balances where snapshot_id = ? and status = 'error'", [sid2]).fetchall()[0][0] == len(addrs)

"""Solana adapter: pure decoders cross-checked against solders on real account bytes, and the
fetcher against a ledger run by the real System / SPL Token / Token-2022 programs (LiteSVM)
behind a JSON-RPC front with Agave's shapes and error bodies. Balances change before, at and
after the snapshot slot; accounts are created after it, closed after it, handed to another owner
after it; owners hold several token accounts of a mint, Token and Token-2022 ones."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.token.state import TokenAccount as SoldersTokenAccount

from chains.solana import codec
from chains.solana.fetch import SolanaFetcher, make_fetcher
from indexer.config import NetworkSettings
from indexer.models import BalanceRequest, Network
from indexer.plugins import FetchBlocked
from indexer.rpc import run_session
from tests.fixtures.faulty_proxy import FaultyProxy
from tests.fixtures.resume import kill_mid_fetch
from tests.fixtures.solana_node import TOKEN, TOKEN_2022, Ledger, SolanaNode

SOL = Network(name="SOL", adapter="solana", chain_id=None, native_asset="SOL", native_decimals=9)
USDT_MINT = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"  # the registry's USDT-SPL mint
SOL_UNIT = 10**9


@dataclass
class World:
    """The scenario, and the truth read from the real state at the snapshot slot."""

    ledger: Ledger
    snapshot_slot: int = 0
    wallets: list[str] = field(default_factory=list)
    usdt: str = USDT_MINT
    t22: str = ""  # a Token-2022 mint
    expected: dict[tuple[str, str], int] = field(default_factory=dict)  # (address, mint) -> base units at the snapshot
    token_accounts: dict[str, list[str]] = field(default_factory=dict)
    closed_after: str = ""
    new_after: str = ""

    def requests(self, block: int | None) -> list[BalanceRequest]:
        return [BalanceRequest(w, m, block) for w in self.wallets for m in ("", self.usdt, self.t22)]

    def current(self, address: str, mint: str) -> int:
        return self.ledger.token_total(address, mint) if mint else self.ledger.balance(address)


def build_world() -> World:
    lg = Ledger()
    auth = Keypair()
    w = [Keypair() for _ in range(6)]
    world = World(lg, wallets=[str(k.pubkey()) for k in w])
    usdt = lg.place_mint(Pubkey.from_string(USDT_MINT), TOKEN, 6, auth.pubkey())
    t22 = lg.create_mint(TOKEN_2022, 6, auth)
    world.t22 = str(t22)

    # before the snapshot
    for k, sol in zip(w[:4], (5, 2, 3, 1)):
        lg.fund(k.pubkey(), sol * SOL_UNIT)
    a1 = lg.create_token_account(usdt, w[0].pubkey())
    a2 = lg.create_token_account(usdt, w[0].pubkey())  # a second USDT account of the same owner
    b1 = lg.create_token_account(usdt, w[1].pubkey())
    b2 = lg.create_token_account(usdt, w[1].pubkey())
    c1 = lg.create_token_account(usdt, w[2].pubkey())
    x1 = lg.create_token_account(t22, w[0].pubkey(), immutable_owner=True)  # Token-2022 with an extension
    x2 = lg.create_token_account(t22, w[1].pubkey())
    lg.mint_to(usdt, a1, auth, 10_000_000_000)
    lg.mint_to(usdt, a2, auth, 500_000_000)
    lg.mint_to(usdt, b1, auth, 1_000_000_000)
    lg.mint_to(usdt, b2, auth, 400_000_000)
    lg.mint_to(t22, x1, auth, 777_000_000)
    lg.advance(3)
    lg.transfer_token(usdt, a1, b1, w[0], 1_234_567)
    lg.transfer_sol(w[0], w[2].pubkey(), 123_456_789)

    # at the snapshot slot itself (at-or-before is inclusive)
    world.snapshot_slot = lg.advance(7)
    lg.transfer_sol(w[1], w[2].pubkey(), SOL_UNIT // 2)
    lg.transfer_token(usdt, b1, c1, w[1], 5_000_000)
    for addr in world.wallets:
        for mint in ("", world.usdt, world.t22):
            world.expected[(addr, mint)] = world.current(addr, mint)

    # after the snapshot: every kind of change
    lg.advance(4)
    lg.transfer_sol(w[0], w[1].pubkey(), SOL_UNIT)  # w0 and w1 change
    lg.fund(w[4].pubkey(), 7 * SOL_UNIT)  # w4 created after the snapshot
    lg.transfer_token(usdt, a1, b1, w[0], 2_000_000_000)
    lg.advance(2)
    lg.transfer_token(usdt, a2, c1, w[0], 500_000_000)
    lg.close_token_account(a2, w[0])  # held 500 USDT at the snapshot, closed since
    a3 = lg.create_token_account(usdt, w[0].pubkey())  # created after the snapshot
    lg.mint_to(usdt, a3, auth, 300_000_000)
    lg.set_token_account_owner(b2, w[1], w[5].pubkey())  # w1's at the snapshot, w5's now
    lg.transfer_token(t22, x1, x2, w[0], 100_000_000)
    lg.advance(3)
    lg.transfer_sol(w[3], w[0].pubkey(), 1)  # w3 changes by one lamport
    world.token_accounts = {"w0": [str(a1), str(a2), str(a3)], "w1": [str(b1), str(b2)]}
    world.closed_after, world.new_after = str(a2), str(a3)
    return world


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture
def node(world: World) -> Iterator[SolanaNode]:
    with SolanaNode(world.ledger) as n:
        yield n


def settings(url: str, **options: object) -> NetworkSettings:
    return NetworkSettings(name="SOL", rpc=[url], backoff=0.01, options=dict(options))


def run_fetch(url: str, requests: list[BalanceRequest], *, latest: bool = False, cfg: NetworkSettings | None = None, **options: object) -> tuple[list, SolanaFetcher]:
    async def go():
        async with run_session():
            f = make_fetcher(SOL, cfg or settings(url, **options))
            if latest:
                tip = await f.tip()
                requests[:] = [BalanceRequest(r.address, r.contract, tip) for r in requests]
            await f.preflight({r.block for r in requests})
            return await f.fetch(requests), f

    return asyncio.run(go())


# ------------------------------------------------------------------------------------------ codec


def test_addresses_match_solders() -> None:
    for _ in range(50):
        pk = Keypair().pubkey()
        assert codec.pubkey_bytes(str(pk)) == bytes(pk)
    assert codec.pubkey_bytes(codec.SYSTEM_PROGRAM) == bytes(32) == bytes(Pubkey.from_string(codec.SYSTEM_PROGRAM))
    from chains.common.encoding import b58encode

    too_long, too_short = b58encode(b"\xff" * 33), b58encode(b"\xff" * 31)
    for bad in ("", "0OIl", "1" * 33, "3yZe7d", too_long, too_short, "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNY0"):
        assert not codec.is_address(bad)
        with pytest.raises(ValueError):
            Pubkey.from_string(bad)


def test_token_account_decoding_matches_solders_on_real_account_bytes(world: World) -> None:
    lg = world.ledger
    seen_2022_ext = 0
    for program in (TOKEN, TOKEN_2022):
        for key, acc in lg.svm.get_program_accounts(program):
            data = bytes(acc.data)
            if len(data) == 82:  # a mint
                with pytest.raises(ValueError):
                    codec.decode_token_account(data)
                continue
            if acc.lamports == 0:
                continue
            ours = codec.decode_token_account(data)
            theirs = SoldersTokenAccount.from_bytes(data[:165])
            assert (ours.mint, ours.owner, ours.amount, ours.state) == (str(theirs.mint), str(theirs.owner), theirs.amount, int(theirs.state))
            if len(data) > 165:
                assert ours.extensions == (7,)  # ImmutableOwner, as the Token-2022 program wrote it
                seen_2022_ext += 1
            # the base64 wire form decodes to the same bytes
            assert codec.account_data({"data": [base64.b64encode(data).decode(), "base64"]}) == data
    assert seen_2022_ext == 1


def test_token_account_decoding_refuses_what_is_not_an_account() -> None:
    base = bytearray(165)
    base[108] = 1
    codec.decode_token_account(bytes(base))
    with pytest.raises(ValueError, match="at least 165"):
        codec.decode_token_account(bytes(base[:100]))
    uninit = bytearray(base)
    uninit[108] = 0
    with pytest.raises(ValueError, match="state 0"):
        codec.decode_token_account(bytes(uninit))
    mint_2022 = bytes(165) + b"\x01" + b"\x03\x00\x20\x00" + bytes(32)  # a Token-2022 mint with an extension
    with pytest.raises(ValueError, match="account type"):
        codec.decode_token_account(mint_2022)
    overrun = bytes(base) + b"\x02" + b"\x07\x00\x10\x00" + bytes(4)
    with pytest.raises(ValueError, match="runs past"):
        codec.decode_token_account(overrun)


def test_transaction_meta_extraction_is_exact(world: World, node: SolanaNode) -> None:
    """Every recorded transaction: lamports and token amounts read back through the wire JSON equal
    what the real programs left in the accounts (recorded by the fixture from the account bytes)."""
    checked = 0
    for sig, rec in world.ledger.txs.items():
        tx = node.getTransaction([sig, {"encoding": "json", "maxSupportedTransactionVersion": 0}])
        for i, key in enumerate(rec.keys):
            assert codec.lamports_in(tx, key, post=True) == rec.post[i]
            assert codec.lamports_in(tx, key, post=False) == rec.pre[i]
        for entry in rec.post_tokens:
            tb = codec.token_amount_in(tx, rec.keys[entry["accountIndex"]], post=True)
            assert tb is not None and tb.amount == int(entry["uiTokenAmount"]["amount"]) and tb.mint == entry["mint"]
            checked += 1
    assert checked > 10
    some = next(iter(world.ledger.txs))
    tx = node.getTransaction([some, {"encoding": "json", "maxSupportedTransactionVersion": 0}])
    assert codec.lamports_in(tx, str(Keypair().pubkey())) is None
    tx["meta"]["postBalances"] = tx["meta"]["postBalances"][:-1]
    with pytest.raises(ValueError, match="balances for"):
        codec.lamports_in(tx, tx["transaction"]["message"]["accountKeys"][0])


# ------------------------------------------------------------------------------------------ fetcher


def test_snapshot_values_are_replayed_exactly(world: World, node: SolanaNode) -> None:
    reqs = world.requests(world.snapshot_slot)
    results, f = run_fetch(node.url, reqs)
    got = {(r.request.address, r.request.contract): r for r in results}
    for key, want in world.expected.items():
        r = got[key]
        assert (r.base_units, r.block_height, r.method, r.error) == (want, world.snapshot_slot, "replayed", ""), key
    # the scenario is meaningful: many values moved after the snapshot, in both directions
    moved = [k for k, v in world.expected.items() if world.current(*k) != v]
    assert len(moved) >= 9
    w0, w1, _, _, w4, w5 = world.wallets
    assert world.expected[(w0, world.usdt)] == 10_000_000_000 - 1_234_567 + 500_000_000  # two accounts, one closed since
    assert world.expected[(w1, world.usdt)] == 1_000_000_000 + 1_234_567 - 5_000_000 + 400_000_000  # incl. the account handed to w5 since
    assert world.expected[(w5, world.usdt)] == 0 and world.current(w5, world.usdt) == 400_000_000
    assert world.expected[(w4, "")] == 0 and world.current(w4, "") == 7 * SOL_UNIT
    assert f.stats["transaction_requests"] > 0 and "replayed" in f.method


def test_latest_values_are_the_current_state(world: World, node: SolanaNode) -> None:
    reqs = world.requests(None)
    results, _ = run_fetch(node.url, reqs, latest=True)
    for r in results:
        assert (r.base_units, r.method, r.block_height) == (world.current(r.request.address, r.request.contract), "latest", world.ledger.slot)


def test_too_many_inputs_halves_the_keys_per_call(world: World) -> None:
    with SolanaNode(world.ledger, max_accounts=2) as n:
        results, f = run_fetch(n.url, world.requests(world.snapshot_slot))
    assert [r.base_units for r in results] == [world.expected[(r.request.address, r.request.contract)] for r in results]
    assert f.per_call <= 2 and any("fewer than" in note for note in f.notes)


def test_node_without_history_gives_latest_values_with_the_reason(world: World) -> None:
    with SolanaNode(world.ledger, history=False) as n:
        results, f = run_fetch(n.url, world.requests(world.snapshot_slot))
        assert n.counts["getTransaction"] == 0
    for r in results:
        assert r.method == "latest" and "-32011" in r.note and r.block_height == world.ledger.slot
        assert r.base_units == world.current(r.request.address, r.request.contract)
    assert "latest" in f.method


def test_ledger_that_starts_after_the_snapshot_is_not_replayed(world: World) -> None:
    with SolanaNode(world.ledger, first_available=world.snapshot_slot + 1) as n:
        results, _ = run_fetch(n.url, world.requests(world.snapshot_slot))
    assert all(r.method == "latest" and "starts at slot" in r.note for r in results)


@pytest.mark.parametrize("code", [-32001, -32004, -32007, -32009, -32015, None])
def test_a_transaction_the_node_cannot_give_makes_only_its_reads_latest(world: World, code: int | None) -> None:
    w0 = world.wallets[0]
    with SolanaNode(world.ledger) as n:
        # w0's last SOL transaction at or before the snapshot slot
        sigs = n.getSignaturesForAddress([w0, {"limit": 1000}])
        boundary = next(e for e in sigs if e["slot"] <= world.snapshot_slot)
        n.unavailable[boundary["signature"]] = code
        reqs = [BalanceRequest(w, "", world.snapshot_slot) for w in world.wallets]
        results, _ = run_fetch(n.url, reqs)
    by = {r.request.address: r for r in results}
    assert by[w0].method == "latest" and by[w0].base_units == world.current(w0, "") and by[w0].block_height == world.ledger.slot
    assert (str(code) if code else "no longer has transaction") in by[w0].note
    for w in world.wallets[1:]:
        assert (by[w].method, by[w].base_units) == ("replayed", world.expected[(w, "")])


def test_rate_limits_and_a_faulty_transport_give_identical_values(world: World) -> None:
    with SolanaNode(world.ledger, rate_limit_every=3) as n:
        results, _ = run_fetch(n.url, world.requests(world.snapshot_slot))
        assert n.counts["429"] > 0
        with FaultyProxy(n.url, share=0.35, seed=5, delay=1.2, max_consecutive=2) as proxy:
            cfg = NetworkSettings(name="SOL", rpc=[proxy.url], timeout=1.0, backoff=0.01, retries=10, options={"calls_per_batch": 3})
            proxied, _ = run_fetch(proxy.url, world.requests(world.snapshot_slot), cfg=cfg)
            faults = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert faults > 0
    want = [world.expected[(r.request.address, r.request.contract)] for r in results]
    assert [r.base_units for r in results] == want, [r.error for r in results if r.error]
    assert [r.base_units for r in proxied] == want, [r.error for r in proxied if r.error]


def test_bad_addresses_and_mints_are_errors_never_zero(world: World, node: SolanaNode) -> None:
    s = world.snapshot_slot
    reqs = [
        BalanceRequest("0x1234", "", s),
        BalanceRequest(world.wallets[0], "not-a-mint", s),
        BalanceRequest(world.wallets[0], str(Keypair().pubkey()), s),  # no such mint: the node refuses
        BalanceRequest(world.wallets[0], "", s),
    ]
    results, _ = run_fetch(node.url, reqs)
    assert [r.base_units for r in results[:3]] == [None, None, None]
    assert "not a Solana address" in results[0].error and "not a Solana address" in results[1].error
    assert "could not find mint" in results[2].error
    assert results[3].base_units == world.expected[(world.wallets[0], "")]


def test_a_token_row_whose_address_is_a_token_account_is_an_error_not_a_zero() -> None:
    """Real token accounts (Token, and Token-2022 with an extension) and a real mint made by the programs in
    LiteSVM, used as the address of token rows: each is an error result naming what the address is, where
    reading it as an owner (it owns no token accounts) would replay to 0. The owner's own rows are unchanged."""
    lg = Ledger()
    auth, owner = Keypair(), Keypair()
    lg.fund(owner.pubkey(), 2 * SOL_UNIT)
    usdt = lg.create_mint(TOKEN, 6, auth)
    t22 = lg.create_mint(TOKEN_2022, 6, auth)
    acct = lg.create_token_account(usdt, owner.pubkey())
    acct22 = lg.create_token_account(t22, owner.pubkey(), immutable_owner=True)
    lg.mint_to(usdt, acct, auth, 4_000_000)
    lg.mint_to(t22, acct22, auth, 9_000_000)
    slot = lg.advance(5)
    lg.advance(5)
    lg.mint_to(usdt, acct, auth, 1)  # history after the slot, so the replay path really runs
    reqs = [
        BalanceRequest(str(acct), str(usdt), slot),
        BalanceRequest(str(acct22), str(t22), slot),
        BalanceRequest(str(usdt), str(usdt), slot),  # the mint itself as a row's address
        BalanceRequest(str(owner.pubkey()), str(usdt), slot),
        BalanceRequest(str(owner.pubkey()), str(t22), slot),
        BalanceRequest(str(acct), "", slot),  # a SOL row of the token account: its lamports, as before
    ]
    with SolanaNode(lg) as node:
        results, _ = run_fetch(node.url, reqs)
    for r, what, program in zip(results[:3], ("a token account", "a token account", "a mint"), ("Token", "Token-2022", "Token")):
        assert (r.base_units, r.ok) == (None, False)
        assert f"{r.request.address} is {what} of the {program} program, not a wallet that owns token accounts" in r.error
    assert [(r.base_units, r.method) for r in results[3:5]] == [(4_000_000, "replayed"), (9_000_000, "replayed")]
    assert results[5].ok and results[5].base_units == lg.balance(acct)


def test_preflight_refuses_slots_beyond_the_tip(world: World, node: SolanaNode) -> None:
    async def go():
        async with run_session():
            f = make_fetcher(SOL, settings(node.url))
            await f.preflight({world.ledger.slot + 1000})

    with pytest.raises(FetchBlocked, match="beyond the node"):
        asyncio.run(go())


# ------------------------------------------------------------------------------------------ end to end

HEADER = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"


def okx_file(world: World, path, extra: list[str] = ()) -> list[tuple[str, str]]:
    """An OKX-format file with SOL and USDT-SPL rows at the snapshot slot (amounts = the truth at the
    snapshot, so reconciliation must say ``match``), one USDC-SPL row (its mint is not on this ledger)
    and one row that is not an address. Returns (coin, address) per detail row, in file order."""
    rows: list[tuple[str, str]] = []
    lines = [HEADER]
    s = world.snapshot_slot
    for w in world.wallets + list(extra):
        for coin, mint, dec in (("SOL", "", 9), ("USDT-SPL", world.usdt, 6)):
            units = world.expected.get((w, mint), 0)
            lines.append(f"{coin},SOL,{s},{w},{units // 10**dec}.{units % 10**dec:0{dec}d},I am an OKX address,0x00,,,,")
            rows.append((coin, w))
    lines.append(f"USDC-SPL,SOL,{s},{world.wallets[0]},1,I am an OKX address,0x00,,,,")
    rows.append(("USDC-SPL", world.wallets[0]))
    lines.append(f"SOL,SOL,{s},0xnot-a-solana-address,1,I am an OKX address,0x00,,,,")
    rows.append(("SOL", "0xnot-a-solana-address"))
    path.write_text("\n".join(lines) + "\n")
    return rows


def sol_config(url: str, **options: object):
    from pathlib import Path

    from indexer.config import PorConfig

    return PorConfig(networks={"SOL": NetworkSettings(name="SOL", rpc=[url], backoff=0.01, options=dict(options))}, path=Path("por.toml"))


def check_balances(world: World, con, sid: int, rows: list[tuple[str, str]]) -> None:
    got = {
        r[0]: r[1:]
        for r in con.execute(
            "select row_no, status, cast(base_units as varchar), block_height, error from balances where snapshot_id = ? and as_of = 'snapshot'", [sid]
        ).fetchall()
    }
    row_nos = [r[0] for r in con.execute("select row_no from addresses where snapshot_id = ? order by row_no", [sid]).fetchall()]
    assert len(row_nos) == len(rows) == len(got)
    assert con.execute("select count(*) - count(distinct (snapshot_id, row_no, as_of)) from balances").fetchone()[0] == 0
    for row_no, (coin, address) in zip(row_nos, rows):
        status, units, block, error = got[row_no]
        if coin == "USDC-SPL":
            assert status == "error" and units is None and "could not find mint" in error
        elif not codec.is_address(address):
            assert status == "error" and units is None and "not a Solana address" in error
        else:
            mint = world.usdt if coin == "USDT-SPL" else ""
            assert (status, int(units), block) == ("ok", world.expected.get((address, mint), 0), world.snapshot_slot), (coin, address)


def test_fetch_snapshot_end_to_end_from_an_okx_file(world: World, node: SolanaNode, tmp_path) -> None:
    from indexer.fetch import fetch_snapshot
    from indexer.ingest import ingest_file
    from indexer.store import connect

    con = connect(tmp_path / "por.duckdb")
    rows = okx_file(world, tmp_path / "por.csv")
    [report] = ingest_file(con, tmp_path / "por.csv")
    sid = report.snapshot_id
    summary = fetch_snapshot(con, sol_config(node.url), sid, show_progress=False, commit_chunk=5)
    check_balances(world, con, sid, rows)
    run = summary.networks["SOL"]
    assert run.blocks == [world.snapshot_slot] and run.errors == 2 and "replayed" in run.method
    # the published amounts are the snapshot truth: every fetched row reconciles
    statuses = dict(con.execute("select status, count(*) from reconciliation where snapshot_id = ? group by status", [sid]).fetchall())
    assert statuses == {"match": 2 * len(world.wallets), "missing": 2}


def test_fetch_snapshot_through_a_faulty_proxy_gives_identical_balances(world: World, node: SolanaNode, tmp_path) -> None:
    from indexer.fetch import fetch_snapshot
    from indexer.ingest import ingest_file
    from indexer.store import connect

    con = connect(tmp_path / "por.duckdb")
    rows = okx_file(world, tmp_path / "por.csv")
    [report] = ingest_file(con, tmp_path / "por.csv")
    with FaultyProxy(node.url, share=0.3, seed=17, delay=1.2, max_consecutive=2) as proxy:
        cfg = sol_config(proxy.url, calls_per_batch=4)
        cfg.networks["SOL"].timeout = 1.0
        cfg.networks["SOL"].retries = 10
        fetch_snapshot(con, cfg, report.snapshot_id, show_progress=False, commit_chunk=3)
        injected = sum(v for k, v in proxy.counts.items() if k != "requests")
    assert injected > 0
    check_balances(world, con, report.snapshot_id, rows)


def test_a_killed_fetch_resumes_with_nothing_lost_or_duplicated(world: World, node: SolanaNode, tmp_path) -> None:
    import signal

    from indexer.fetch import fetch_snapshot
    from indexer.ingest import ingest_file
    from indexer.store import connect

    extra = []
    for i in range(150):  # wallets with no history at all: their current value is their snapshot value
        pk = Keypair().pubkey()
        world.ledger.place_wallet(pk, 10_000 + i)
        world.expected[(str(pk), "")] = 10_000 + i
        extra.append(str(pk))
    db = tmp_path / "por.duckdb"
    con = connect(db)
    rows = okx_file(world, tmp_path / "por.csv", extra)
    [report] = ingest_file(con, tmp_path / "por.csv")
    sid = report.snapshot_id
    con.close()
    with FaultyProxy(node.url, latency=0.03) as proxy:  # a slow provider: the run takes seconds
        code = kill_mid_fetch(db, "SOL", proxy.url, sid, lambda: proxy.counts["requests"], after_requests=40, commit_chunk=4, options={"calls_per_batch": 2})
    assert code == -signal.SIGKILL
    con = connect(db)
    done = con.execute("select count(*) from balances where snapshot_id = ?", [sid]).fetchone()[0]
    assert 0 < done < len(rows)  # killed mid-run, after some chunks were committed
    summary = fetch_snapshot(con, sol_config(node.url), sid, show_progress=False)
    assert summary.networks["SOL"].rows <= len(rows) - done + 2  # only what was missing (+ error rows, retried)
    check_balances(world, con, sid, rows)


def test_a_signature_list_never_vouches_for_a_later_current_read(world: World, node: SolanaNode) -> None:
    """Two fetch calls on one fetcher (two chunks of a run) with a transaction in between: the second
    call's current value is newer than the first call's signature list, so that list must not be
    reused to call the account untouched (the value would be the new current one, not the snapshot's)."""
    w2 = world.wallets[2]
    req = BalanceRequest(w2, "", world.snapshot_slot)

    async def go():
        async with run_session():
            f = make_fetcher(SOL, settings(node.url))
            await f.preflight({world.snapshot_slot})
            first = await f.fetch([req])
            world.ledger.fund(Pubkey.from_string(w2), 42)  # after the snapshot, between the two chunks
            second = await f.fetch([req])
            return first, second

    first, second = asyncio.run(go())
    assert world.current(w2, "") == world.expected[(w2, "")] + 42
    assert [r.base_units for r in (*first, *second)] == [world.expected[(w2, "")]] * 2


@pytest.mark.parametrize("page", [1, 2])
def test_signature_pages_are_followed_back_to_the_slot(world: World, node: SolanaNode, page: int) -> None:
    results, f = run_fetch(node.url, world.requests(world.snapshot_slot), signatures_page=page)
    assert [r.base_units for r in results] == [world.expected[(r.request.address, r.request.contract)] for r in results]
    assert all(r.method == "replayed" for r in results)
    assert node.counts["getSignaturesForAddress"] > f.stats["replayed_accounts"]  # more than one page for some accounts


def test_transactions_without_token_metadata_make_an_error_not_a_zero(world: World) -> None:
    w0 = world.wallets[0]
    with SolanaNode(world.ledger) as n:
        for e in n.getSignaturesForAddress([w0, {"limit": 1000}]):
            if e["slot"] > world.snapshot_slot:
                n.without_token_meta.add(e["signature"])
        results, _ = run_fetch(n.url, [BalanceRequest(w0, world.usdt, world.snapshot_slot), BalanceRequest(world.wallets[2], world.usdt, world.snapshot_slot)])
    assert results[0].base_units is None and "no token balances" in results[0].error
    assert results[1].base_units == world.expected[(world.wallets[2], world.usdt)]

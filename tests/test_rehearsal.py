"""A whole publication rehearsed (issue 18), at 20k rows: every served network at once in one ``por run``, behind
providers with latency, rate limits that answer 429 and 2 % faults (tests/fixtures/rehearsal.py).

What must hold, whatever the timing (this is a functional test; the figures are bench/bench_snapshot.py's):

* a clean run reads every row of every served network, with no error row;
* with 2 % faults (timeouts, 5xx, dropped connections) and the 429s of the limits, the tables are identical;
* ``kill -9`` of the whole process group at three random moments, each followed by ``por fetch``, gives
  identical tables too, and no row committed before a kill is read again by the resume (counted from what
  the providers answered);
* ``runs.requests`` is what the providers saw.
"""

from __future__ import annotations


import duckdb
import pytest

from tests.fixtures.rehearsal import SERVED, Rehearsal, committed_rows, logs_by_network, reread, rng_fractions, tables

ROWS = 20_000
# Limits well above what the suite's machine reaches, so pacing and a few 429s happen without setting the pace;
# the bench runs the real-world limits (tests/fixtures/rehearsal.DEFAULT_LIMITS).
LIMITS = {"jsonrpc": 400.0, "tron": 400.0, "trongrid": 300.0, "solana": 200.0, "hyperion": 200.0}


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    with Rehearsal(tmp_path_factory.mktemp("rehearsal"), rows=ROWS, seed=18, latency=0.0, limits=dict(LIMITS), concurrency=8, timeout=2.0) as r:
        yield r


@pytest.fixture(scope="module")
def clean(rehearsal):
    """The reference run: no faults, every forwarded request logged (to know what a row's read looks like)."""
    db = rehearsal.workdir / "clean.duckdb"
    rehearsal.reset_counts()
    rehearsal.log_requests(True)
    out = rehearsal.run(db)
    assert out.returncode == 0, out.stderr[-3000:]
    logs = logs_by_network(rehearsal.providers)
    rehearsal.log_requests(False)
    return db, tables(db), rehearsal.per_network(), logs


def test_a_clean_run_reads_every_served_row(rehearsal, clean) -> None:
    db, _, seen, _ = clean
    with duckdb.connect(str(db), read_only=True) as con:
        runs = {n: (o, planned, ok, err, req) for n, o, planned, ok, err, req in con.execute(
            "select network, outcome, rows_planned, rows_ok, rows_error, requests from runs").fetchall()}
    served = [n for n in SERVED if n in rehearsal.by_net]
    assert len(served) == len(SERVED) == 21  # the 20k publication holds every network the rehearsal serves
    for n in served:
        outcome, planned, ok, err, requests = runs[n]
        assert (outcome, ok, err) == ("ok", planned, 0), (n, runs[n])
        assert requests == seen[n]["requests"], (n, requests, seen[n])  # runs.requests = what the providers saw


def test_faults_leave_the_tables_identical(rehearsal, clean) -> None:
    _, reference, _, _ = clean
    db = rehearsal.workdir / "faults.duckdb"
    rehearsal.reset_counts()
    rehearsal.set_faults(0.02)
    try:
        out = rehearsal.run(db)
    finally:
        rehearsal.set_faults(0.0)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = rehearsal.per_network()
    faults, requests = sum(v["faults"] for v in seen.values()), sum(v["requests"] for v in seen.values())
    assert faults >= max(10, 0.01 * requests), (faults, requests)  # 2 % of the requests were faults, of every kind
    assert tables(db) == reference


def test_kill_and_resume_three_times_leave_the_tables_identical_and_reread_nothing(rehearsal, clean) -> None:
    _, reference, seen, logs = clean
    total = sum(v["forwarded"] for v in seen.values())
    # a committed row must be recognisable in the providers' requests, or "not read again" proves nothing
    with duckdb.connect(str(clean[0]), read_only=True) as con:
        every = con.execute("select a.network, a.address from balances b join addresses a using (snapshot_id, row_no)").fetchall()
    assert len(reread(logs, every)) >= 0.99 * len(every)

    db = rehearsal.workdir / "killed.duckdb"
    try:
        first = True
        for k, fraction in enumerate(rng_fractions(18)):
            committed = committed_rows(db) if db.exists() else []
            rehearsal.reset_counts()
            rehearsal.log_requests(True)
            code = rehearsal.kill_during_fetch(db, first=first, after_forwarded=int(fraction * total * (0.5 if k else 1.0)))
            first = False
            assert code == -9, f"por ended ({code}) before kill {k + 1}"
            assert not reread(logs_by_network(rehearsal.providers), committed)
            assert committed_rows(db), "a kill after at least one committed chunk"
        committed = committed_rows(db)
        rehearsal.reset_counts()
        rehearsal.log_requests(True)
        out = rehearsal.run(db, first=False)
        assert out.returncode == 0, out.stderr[-3000:]
        assert not reread(logs_by_network(rehearsal.providers), committed)
    finally:
        rehearsal.log_requests(False)
    assert tables(db) == reference


def test_plan_predicts_each_networks_requests_within_ten_percent(rehearsal, clean) -> None:
    """Issue 18's target: ``por plan`` after the fault-free run predicts every network's requests within 10 % of
    what the run recorded (``runs.requests``, less the 429s: a refused request is the limit's, not the work's), and
    shows that run's figures beside its own; TRON's token takes the one event scan there, as the run did."""
    import json

    from tests.fixtures.rehearsal import por

    db = clean[0]
    # --probe: the run asked the providers the same questions (an event count) before choosing each token's path
    out = por("plan", "--db", str(db), "--config", str(rehearsal.config), "--probe", "--format", "json")
    plan = json.loads(out.stdout)
    with duckdb.connect(str(db), read_only=True) as con:
        recorded = {n: req - (rl or 0) for n, req, rl in con.execute(
            "select network, requests, rate_limited from runs where outcome <> 'skipped'").fetchall()}
    predicted = {n["network"]: n for n in plan["networks"]}
    assert set(predicted) == set(recorded) and len(recorded) == 21
    off = {n: (predicted[n]["requests"], recorded[n]) for n in recorded if abs(predicted[n]["requests"] - recorded[n]) > 0.10 * recorded[n]}
    assert not off, off
    for n, item in predicted.items():
        assert item["actual"]["requests"] >= recorded[n]  # the run's own figures, beside the prediction
        assert item["seconds"] == max(s["seconds"] for s in item["services"])
    assert plan["bound"].split("/")[0] == max(plan["networks"], key=lambda n: n["seconds"])["network"]
    assert "one event scan" in predicted["TRON"]["path"], predicted["TRON"]

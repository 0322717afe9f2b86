"""Plans balance reads from SQL, runs each network's adapter, and commits results in chunks.

One module per job: ``plan`` (SQL to work: the rows still to read, the network each is read on,
the networks skipped and why, what each row reads (``target``), shared reads), ``run`` (per-network queue,
concurrency, chunks, preflight, progress, Ctrl-C), ``judge`` (the pure rule for one adapter result),
``write`` (Arrow rows into ``balances`` and the ``runs`` counts, one transaction per chunk) and
``status`` (the rows of ``por networks``). This module keeps the public names.

Why this shape: the database is the run state. The plan is "rows of the
snapshot with no good ``balances`` row for this ``as_of``", so a crash or
Ctrl-C loses at most the chunks in flight and a re-run picks up exactly what is
missing; ``balances`` has a primary key and results go in with ``upsert_arrow``,
so no row is ever written twice.

Decisions a nightly reconciliation job relies on:

* **Error rows are retried.** A re-run fetches rows with no balance row *and* rows whose
  last attempt ended in ``status = 'error'`` (a transient outage must heal itself on the
  next night); ``ok`` rows are kept unless ``refresh=True``.
* **A blocked network is written as error rows**, each carrying the one-sentence reason
  (block beyond the tip, no state at that block, wrong chain…), never as zeros. The
  database itself then says why those reserves are unchecked, even when the run's log is
  lost, and coverage views count them; the next run retries them.
* Rows of networks that are not configured, or have no installed adapter, are not
  touched (no row is written) and are reported in the summary with their counts.
* Identical reads (same address, contract and block, as written) across rows are fetched once
  and shared; every row still gets its own ``balances`` row. Address and contract text is passed
  to adapters exactly as the registry and the file write it: only an adapter knows whether its
  chain's addresses are case-insensitive (EVM lowercases inside its own adapter; base58, bech32-m
  and TON text must not be folded).
* **``as_of`` is what was asked, ``method``/``read_block`` what was got.** Each ok result must say
  how its value was obtained (``BalanceResult.method``); one that does not is an error row naming
  the adapter (the runner never guesses it from the declared methods). A snapshot request answered
  with ``method='latest'`` is stored as an ``ok`` row with the adapter's note, is never counted in a
  snapshot figure by the views, and is planned again on the next run. A snapshot value without a
  block, or valid at a block after the one asked (for every adapter whose ``BlockReference`` counts
  on the asked block's counter: height, slot, ledger index, masterchain seqno, epoch, checkpoint),
  becomes an error row: a value read at the wrong height is never stored as the snapshot value.
  ``judge`` (indexer/fetch/judge.py) is that rule, as a pure function.
* Every run has a ``run_id``; the ``runs`` table (indexer/runs.py) holds one row per run and
  network with what the summary prints, updated with every committed chunk.
* Adapter-specific settings reach adapters only through ``NetworkSettings.options``; command-line
  flags such as ``--rewind`` arrive here as ``adapter_options`` and are merged into the options of
  the named network.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import duckdb

from indexer.config import PorConfig
from indexer.exchange_plugins import exchange_registry
from indexer.fetch import plan
from indexer.fetch.judge import Judgement, judge
from indexer.fetch.plan import FetchError
from indexer.fetch.run import COMMIT_CHUNK, WORKERS, Runner
from indexer.fetch.status import network_status
from indexer.fetch.summary import FetchSummary
from indexer.fetch.write import HUGEINT_MAX, BalanceWriter
from indexer.progress import NO_PROGRESS, Progress
from indexer.runs import NetworkRun
from indexer.store import Reopening, as_handle

__all__ = [
    "COMMIT_CHUNK",
    "HUGEINT_MAX",
    "WORKERS",
    "FetchError",
    "FetchSummary",
    "Judgement",
    "NetworkRun",
    "fetch_snapshot",
    "fetch_snapshot_async",
    "judge",
    "network_status",
]


def fetch_snapshot(
    con: duckdb.DuckDBPyConnection | Reopening,
    config: PorConfig,
    snapshot_id: int | None = None,
    **kwargs: Any,
) -> FetchSummary:
    """Fetch every missing balance of a snapshot (see the module docstring); not inside a running event loop."""
    return asyncio.run(fetch_snapshot_async(con, config, snapshot_id, **kwargs))


async def fetch_snapshot_async(
    con: duckdb.DuckDBPyConnection | Reopening,
    config: PorConfig,
    snapshot_id: int | None = None,
    *,
    at: str = "snapshot",
    networks: list[str] | None = None,
    refresh: bool = False,
    adapter_options: Mapping[str, Mapping[str, Any]] | None = None,
    show_progress: bool = False,
    commit_chunk: int = COMMIT_CHUNK,
    progress: Progress | None = None,
) -> FetchSummary:
    """``fetch_snapshot`` for callers inside a running event loop (a notebook, an async service).

    ``con`` is an open connection (kept open) or a ``store.Reopening`` handle (the file is then
    opened per committed chunk, so readers get in between). Progress goes to ``progress``.

    ``adapter_options`` are options given on the command line per adapter name (``por fetch
    --rewind`` gives ``{"utxo": {"rewind": True}}``), merged over ``[networks.X.options]`` of the
    networks named in ``networks``; with none named, of the snapshot's only network served by that
    adapter (several: FetchError asking for ``--network``, since such options name one chain's node
    or file).
    """
    del show_progress  # progress is injected by the caller; kept so old call sites still work
    db = as_handle(con)
    started = time.monotonic()
    with db.connection() as c:  # the plan is read in one go; the file is then released until the first commit
        selection = plan.select(c, config, snapshot_id, at=at, networks=networks, refresh=refresh, adapter_options=adapter_options)
    summary = selection.summary
    if selection.readers:
        # the coin keys as the snapshot's exchange writes them (HTX's ``stETH``, Binance's pairs); OKX: data/coins.csv
        work = plan.network_plans(selection, exchange_registry(selection.exchange))
        writer = BalanceWriter(db, summary.snapshot_id, at, summary.run_id, commit_chunk)  # type: ignore[arg-type]
        await Runner(writer, progress or NO_PROGRESS).run_all(work, summary)
    summary.seconds = time.monotonic() - started
    return summary

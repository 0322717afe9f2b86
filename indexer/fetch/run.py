"""The run: each network's adapter, its preflight, a queue of chunks read by a few workers, progress, Ctrl-C.

Networks run side by side; within one, ``WORKERS`` chunks are in flight so one chunk's write overlaps
the next ones' reads, and each chunk is committed on its own (``write.BalanceWriter``), so a crash loses
at most the chunks in flight. Commits run on one writer thread, in order, off the event loop, and a worker
reads its next chunk while its last one waits for the writer (up to ``BACKLOG`` chunks per worker): no
network's reads wait on a commit, its own or another network's (a 5,000-row upsert on the loop would stall
every provider's requests in flight meanwhile). **A blocked network is written as error rows**, each carrying the
one-sentence reason (adapter refused its settings, tip unreadable, ``FetchBlocked`` from the preflight:
block beyond the tip, no state at that block, wrong chain…), never as zeros: the database itself then says
why those reserves are unchecked, even when the run's log is lost, and the next run retries them. An
adapter that fails on a chunk gives that chunk's rows as error rows, not a crash. Every network's ``runs``
row is finished whatever happens: ``interrupted`` on Ctrl-C (committed chunks stay), ``failed`` on a bug.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

from indexer import runs as run_table
from indexer.config import ConfigError
from indexer.fetch.plan import NetworkPlan, ReadKey
from indexer.fetch.summary import FetchSummary
from indexer.fetch.write import BalanceWriter
from indexer.models import BalanceRequest, BalanceResult
from indexer.plugins import CALL_READS, AdapterCapabilities, FeedHints, FetchBlocked
from indexer.progress import Progress
from indexer.runs import NetworkRun
from indexer.store import transaction

COMMIT_CHUNK = CALL_READS  # unique reads per committed chunk: the most a crash can lose per worker
WORKERS = 3  # chunks in flight per network (overlaps one chunk's write with the next ones' reads)
BACKLOG = 2  # chunks per worker read and waiting for the writer thread, while the worker reads on


def feeding(hints: FeedHints | None, caps: AdapterCapabilities, commit_chunk: int) -> tuple[int, int]:
    """(reads per ``fetch`` call, calls in flight) for one network: the preflight's hints, else the adapter's declared
    ones, else the runner's defaults. ``por plan`` counts with the same numbers (``indexer.fetch.estimate``)."""
    feed = hints if isinstance(hints, FeedHints) else FeedHints()
    return max(1, feed.request_chunk or caps.feed.request_chunk or commit_chunk), max(1, feed.workers or caps.feed.workers or WORKERS)


class Runner:
    def __init__(self, writer: BalanceWriter, progress: Progress) -> None:
        self.writer = writer
        self.db = writer.db  # store.Reopening or a held connection: the file is taken per committed chunk
        self.at = writer.at
        self.progress = progress

    async def run_all(self, work: dict[str, NetworkPlan], summary: FetchSummary) -> None:
        # imported here for start-up speed: aiohttp costs ~0.15 s, and `por networks` imports this package without reading
        from indexer.rpc import run_session

        runs = [NetworkRun(network=name, adapter=plan.reader.net.adapter, rows=len(plan.rows)) for name, plan in work.items()]
        with self.db.connection() as con, transaction(con):
            for run in runs:
                summary.networks[run.network] = run
                run_table.record_start(con, self.writer.run_id, self.writer.snapshot_id, self.at, run)
        self._commits = ThreadPoolExecutor(1, thread_name_prefix="por-commit")
        try:
            async with run_session():
                await asyncio.gather(*(self._recorded(run, work[run.network]) for run in runs))
        finally:
            self._commits.shutdown(wait=True)  # a commit in flight lands (or not) whole before the run ends

    async def _commit(self, run: NetworkRun, reference, chunk, results, reads, advance) -> None:  # type: ignore[no-untyped-def]
        """``writer.commit`` on the writer thread; its counts reach ``advance`` back on the event loop."""
        counted: list[tuple[int, int]] = []
        await asyncio.get_running_loop().run_in_executor(
            self._commits, lambda: self.writer.commit(run, reference, chunk, results, reads, lambda ok, err: counted.append((ok, err)))
        )
        for ok, err in counted:
            advance(ok, err)

    async def _recorded(self, run: NetworkRun, plan: NetworkPlan) -> None:
        """``_network`` with its ``runs`` row finished whatever happens (Ctrl-C arrives as a cancellation)."""
        try:
            await self._network(run, plan)
            run.outcome = "blocked" if run.blocked else ("errors" if run.errors else "ok")
        except (asyncio.CancelledError, KeyboardInterrupt):
            run.outcome = "interrupted"
            raise
        except Exception as exc:  # a bug or a database error: say so on the row, then let it surface
            run.outcome = "failed"
            run.blocked = run.blocked or f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with self.db.connection() as con:
                run_table.record_finish(con, self.writer.run_id, run, run.outcome)

    async def _network(self, run: NetworkRun, plan: NetworkPlan) -> None:
        from indexer.rpc_tally import tally_requests

        tally_requests(run.http)  # this task's requests (every client the adapter opens) count for this network
        net, settings, factory, caps = plan.reader.net, plan.reader.settings, plan.reader.factory, plan.reader.caps
        writer = self.writer
        t0 = time.monotonic()
        self.progress.start(net.name, len(plan.rows))

        def advance(n_ok: int, n_err: int) -> None:
            run.ok += n_ok
            run.errors += n_err
            self.progress.advance(net.name, n_ok + n_err, n_err)

        fetcher = None
        try:
            try:
                fetcher = factory(net, settings)
            except (ValueError, ConfigError) as exc:
                run.blocked = f"{net.name}: {exc}"
                writer.write_errors(run, plan.rows, run.blocked, "", advance)
                return
            run.source = fetcher.source
            reads, failed = plan.reads, plan.failed
            if self.at == "latest":
                try:
                    tip = await fetcher.tip()
                except Exception as exc:  # noqa: BLE001 - any failure here blocks the network, with its reason
                    run.blocked = f"{net.name}: could not read the current tip ({exc})"
                    writer.write_errors(run, plan.rows, run.blocked, run.source, advance)
                    return
                reads, failed = plan.at_tip(tip)
            run.reads = len(reads)
            run.blocks = sorted({k[2] for k in reads if k[2] is not None})
            writer.write_failed(run, failed, advance)
            if not reads:
                return
            try:
                hints = await fetcher.preflight(set(run.blocks))
            except FetchBlocked as exc:
                run.blocked = str(exc)
                writer.write_errors(run, [(r, k[2]) for k, rr in reads.items() for r, _ in rr], run.blocked, run.source, advance)
                return
            estimate = getattr(fetcher, "estimate", None)
            if estimate is not None:
                # every read, before the first fetch: an adapter with several paths (per-account history or one
                # whole-set scan) chooses here, from the counts, and keeps that path for the whole run; the run
                # talks to the provider anyway, so the adapter may ask it the few questions (``probe``) the choice needs
                try:
                    chosen = await estimate([BalanceRequest(address=a, contract=c, block=b) for a, c, b in reads], probe=True)
                    run.path = chosen.note or chosen.path  # the summary says which path the adapter chose, and why
                except Exception as exc:  # noqa: BLE001 - a failed count leaves the adapter on its default path, said
                    run.path = f"the adapter could not count its reads ({type(exc).__name__}: {exc}): its default path"
            per_call, workers = feeding(hints, caps, writer.commit_chunk)
            keys = list(reads)
            queue: asyncio.Queue[list[ReadKey]] = asyncio.Queue()
            for start in range(0, len(keys), per_call):
                queue.put_nowait(keys[start : start + per_call])

            # Chunks read but not yet committed: each worker hands its chunk to the writer thread and reads the
            # next one meanwhile, up to BACKLOG chunks per worker waiting for the writer (the most a crash loses).
            backlog = asyncio.Semaphore(BACKLOG * workers)
            commits: list[asyncio.Task[None]] = []
            commit_failed = asyncio.Event()  # a chunk that cannot be written stops the reads: the rest would fail too

            async def commit(chunk: list[ReadKey], results: list[BalanceResult]) -> None:
                try:
                    await self._commit(run, caps.block_reference, chunk, results, reads, advance)
                except BaseException:
                    commit_failed.set()
                    raise
                finally:
                    backlog.release()

            async def worker() -> None:
                while not queue.empty() and not commit_failed.is_set():
                    chunk = queue.get_nowait()
                    requests = [BalanceRequest(address=a, contract=c, block=b) for a, c, b in chunk]
                    try:
                        results = await fetcher.fetch(requests)
                        if len(results) != len(requests):
                            raise RuntimeError(f"adapter returned {len(results)} results for {len(requests)} requests")
                    except (FetchBlocked, Exception) as exc:  # noqa: BLE001 - an adapter failure becomes error rows, not a crash
                        reason = f"{net.name} adapter failed: {type(exc).__name__}: {exc}"
                        results = [BalanceResult(r, None, None, error=reason, source=run.source) for r in requests]
                    await backlog.acquire()
                    commits.append(asyncio.ensure_future(commit(chunk, results)))

            try:
                await asyncio.gather(*(worker() for _ in range(workers)))
            finally:
                # every chunk read lands (or fails) before the network's run is finished; then the first failure
                landed = await asyncio.gather(*commits, return_exceptions=True)
                failure = next((x for x in landed if isinstance(x, BaseException)), None)
                if failure is not None:
                    raise failure
            run.source = fetcher.source
        finally:
            run.seconds = time.monotonic() - t0
            self.progress.finish(net.name)
            if fetcher is not None:
                await fetcher.close()

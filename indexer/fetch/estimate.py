"""``por plan``: each network's requests and time before the run, from counts (``BalanceFetcher.estimate``).

Why from the adapters: how many requests a read costs is the adapter's protocol (one multi-read call per 500 EVM
balances, three chain calls and a history page per EOS account, a TronGrid query per TRC-20 holder), so each
adapter counts its own from the same constants and chunking its ``fetch`` uses; the core only adds the pace. An
adapter without ``estimate`` is estimated here from its declared capabilities (``max_batch``, feed hints) and
the line says it is a generic estimate.

Time per service = max(requests / rps, requests × latency / concurrency): a paced service is bound by its rate,
an unpaced one by the round trips it can keep in flight. Networks (and a network's services) run side by side,
so the run takes as long as its slowest service, not the sum. ``latency`` is measured by ``--probe`` (the
preflight's elapsed time over its requests) or ``DEFAULT_LATENCY``; the plan says which.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from indexer.config import ConfigError
from indexer.fetch.plan import NetworkPlan
from indexer.fetch.run import feeding
from indexer.models import BalanceRequest
from indexer.plugins import FeedHints, FetchBlocked, FetchEstimate, ServiceLoad

DEFAULT_LATENCY = 0.1  # s per round trip when not measured: a hosted provider across a continent
GENERIC = "generic estimate from the adapter's capabilities (it has no estimate of its own)"


@dataclass
class ServiceTime:
    name: str
    requests: int
    rps: float | None
    concurrency: int
    seconds: float


@dataclass
class NetworkForecast:
    """One network's line of the plan."""

    network: str
    rows: int
    reads: int
    method: str = ""
    path: str = ""
    note: str = ""
    unknown: str = ""
    generic: bool = False
    services: list[ServiceTime] = field(default_factory=list)
    probe: str | None = None  # "ok", the FetchBlocked sentence, or None (not probed)
    latency: float = DEFAULT_LATENCY
    latency_measured: bool = False
    actual: dict[str, Any] | None = None  # {"requests", "seconds"} of the snapshot's last run

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.services)

    @property
    def seconds(self) -> float:
        return max((s.seconds for s in self.services), default=0.0)

    @property
    def bound(self) -> str:
        """The service that sets this network's time."""
        worst = max(self.services, key=lambda s: s.seconds, default=None)
        return worst.name if worst else ""


def service_seconds(load: ServiceLoad, latency: float) -> float:
    """max(requests / rps, requests × latency / concurrency) (module docstring)."""
    paced = load.requests / load.rps if load.rps else 0.0
    trips = load.requests * latency / max(1, load.concurrency)
    return max(paced, trips)


def generic_estimate(plan: NetworkPlan, requests: Sequence[BalanceRequest], per_call: int) -> FetchEstimate:
    """An adapter without ``estimate``: one request per ``max_batch`` reads (per read where the protocol has no
    batch), in the runner's calls of ``per_call`` reads (``run.feeding``), plus one preflight request per snapshot
    block. A guess from declared capabilities, and said to be one."""
    caps, settings = plan.reader.caps, plan.reader.settings
    per_request = max(1, caps.max_batch) if caps.max_batch else 1
    n = len(requests)
    calls = [min(per_call, n - start) for start in range(0, n, per_call)]
    reads = sum(math.ceil(c / per_request) for c in calls)
    blocks = len({r.block for r in requests})
    method = (caps.native_methods or ("",))[0]
    return FetchEstimate(method, (ServiceLoad("rpc", reads + blocks, settings.rps, settings.concurrency),), note=GENERIC)


async def forecast(plan: NetworkPlan, *, probe: bool, commit_chunk: int) -> NetworkForecast:
    """One network's forecast; with ``probe`` its adapter's preflight and ``tip()`` run first (no balance is read)."""
    from indexer.rpc_tally import RequestTally, tally_requests

    net, settings, caps = plan.reader.net, plan.reader.settings, plan.reader.caps
    out = NetworkForecast(net.name, rows=len(plan.rows), reads=len(plan.reads))
    requests = [BalanceRequest(address=a, contract=c, block=b) for a, c, b in plan.reads]
    try:
        fetcher = plan.reader.factory(net, settings)
    except (ValueError, ConfigError) as exc:
        out.probe = f"{net.name}: {exc}"
        out.unknown = "the adapter refused its settings"
        return out
    hints: FeedHints | None = None
    try:
        if probe:
            tally = RequestTally()
            tally_requests(tally)
            t0 = time.monotonic()
            try:
                hints = await fetcher.preflight({b for _, _, b in plan.reads if b is not None})
                await fetcher.tip()
                out.probe = "ok"
            except FetchBlocked as exc:
                out.probe = str(exc)
            except Exception as exc:  # noqa: BLE001 - a probe that fails says so on its line, it does not stop the plan
                out.probe = f"{net.name}: {type(exc).__name__}: {exc}"
            if tally.requests:
                out.latency, out.latency_measured = (time.monotonic() - t0) / tally.requests, True
        estimate = getattr(fetcher, "estimate", None)
        if estimate is not None:
            est: FetchEstimate = await estimate(requests, probe=probe)
        else:
            est = generic_estimate(plan, requests, feeding(hints, caps, commit_chunk)[0])
            out.generic = True
    finally:
        await fetcher.close()
    out.method, out.path, out.note, out.unknown = est.method, est.path, est.note, est.unknown or out.unknown
    out.services = [
        ServiceTime(s.name, s.requests, s.rps, s.concurrency, round(service_seconds(s, out.latency), 2)) for s in est.services
    ]
    return out


@dataclass
class PlanForecast:
    """Every network's forecast for one snapshot, with the networks that would be skipped and why."""

    snapshot_id: int
    as_of: str
    networks: list[NetworkForecast]
    skipped: dict[str, tuple[int, str]]
    run_id: int | None = None  # the snapshot's last run, whose figures are in ``actual``

    @property
    def total_s(self) -> float:
        return max((n.seconds for n in self.networks), default=0.0)

    @property
    def bound(self) -> str:
        """``NETWORK/service`` of the slowest service: the one that sets the run's time."""
        worst = max(self.networks, key=lambda n: n.seconds, default=None)
        return f"{worst.network}/{worst.bound}" if worst and worst.services else ""


async def forecast_snapshot(con: Any, config: Any, snapshot_id: int | None, *, at: str, probe: bool, commit_chunk: int) -> PlanForecast:
    """The plan of a whole snapshot: every row of a served network, as a first ``por fetch`` reads them (rows
    already read are counted too, so the plan of a finished run stands beside its actual figures). Nothing is
    written; with ``probe`` each adapter's preflight runs, networks side by side."""
    import asyncio

    from indexer.exchange_plugins import exchange_registry
    from indexer.fetch import plan as planning
    from indexer.rpc import run_session

    selection = planning.select(con, config, snapshot_id, at=at, networks=None, refresh=True, adapter_options=None, record=False)
    sid = selection.summary.snapshot_id
    work = planning.network_plans(selection, exchange_registry(selection.exchange)) if selection.readers else {}
    async with run_session():
        found = await asyncio.gather(*(forecast(p, probe=probe, commit_chunk=commit_chunk) for p in work.values()))
    if at == "latest":  # every value of an --at latest run is stored as ``latest``, whatever the adapter reads it by
        for f in found:
            f.method = "latest"
    out = PlanForecast(sid, at, list(found), dict(selection.summary.skipped))
    _attach_actual(con, out)
    return out


def _attach_actual(con: Any, out: PlanForecast) -> None:
    """The requests and seconds of the snapshot's last run (``runs``), per network, where it read that network."""
    row = con.execute(
        "select max(run_id) from runs where snapshot_id = ? and as_of = ? and outcome <> 'skipped'", [out.snapshot_id, out.as_of]
    ).fetchone()
    if not row or row[0] is None:
        return
    out.run_id = int(row[0])
    got = {
        n: (req, rl, secs, outcome)
        for n, req, rl, secs, outcome in con.execute(
            "select network, requests, rate_limited, seconds, outcome from runs where run_id = ?", [out.run_id]
        ).fetchall()
    }
    for f in out.networks:
        if f.network in got and got[f.network][0] is not None:
            req, rl, secs, outcome = got[f.network]
            f.actual = {"requests": int(req), "rate_limited": int(rl or 0), "seconds": round(float(secs or 0.0), 2), "outcome": outcome}

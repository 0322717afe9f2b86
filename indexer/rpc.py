"""The one HTTP layer: a shared aiohttp session, JSON-RPC calls and batches, rate limits,
concurrency, retries with backoff and failover between a network's endpoints.

Why one module: every adapter needs the same hard parts (429s, flaky load
balancers, truncated bodies, batch limits), and getting them right once is the
only way a nightly job survives a bad provider. Adapters never open sessions.

Error model (all subclasses of :class:`RpcError`):

* ``RpcError`` itself — the node answered with a JSON-RPC error object (``code``,
  ``message``, ``data``). Deterministic, not retried (except rate-limit errors).
* :class:`TransportError` and subclasses (:class:`RpcTimeout`, :class:`RateLimited`,
  :class:`ServerError`, :class:`MalformedResponse`, :class:`ConnectionFailed`) —
  transient; retried with exponential backoff + jitter, moving to the next endpoint.
* :class:`RequestTooLarge` — HTTP 413 or "batch too large"/"response size" errors:
  not retried at the same size; :meth:`JsonRpcClient.batch` halves and resends, other
  callers (multi-read ``eth_call``) halve their own chunk.
* :class:`HttpError` — any other non-2xx answer without a JSON-RPC body (401, 403, 404 …): not retried.

Messages never contain URLs with credentials: the endpoint appears as its label
(``host:port`` or ``NAME#n``) and any text from the server goes through ``settings.redact``.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import random
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from indexer.config import NetworkSettings
from indexer.rpc_tally import current_tally

DEFAULT_BATCH_SIZE = 100


class RpcError(Exception):
    """A JSON-RPC error object from the node, or the base of every failure below."""

    def __init__(self, message: str, code: int | None = None, data: Any = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.data = data
        self.endpoint = endpoint

    def __str__(self) -> str:
        where = f"{self.endpoint}: " if self.endpoint else ""
        code = f" (code {self.code})" if self.code is not None else ""
        return f"{where}{self.message}{code}"


class TransportError(RpcError):
    """Transient: the request may succeed if sent again (retried, with failover)."""


class RpcTimeout(TransportError):
    pass


class ConnectionFailed(TransportError):
    pass


class ServerError(TransportError):
    """HTTP 5xx (or 5xx carrying only error objects)."""


class MalformedResponse(TransportError):
    """The body is not the JSON-RPC answer we asked for (truncated, not JSON, missing ids)."""


class RateLimited(TransportError):
    def __init__(self, message: str, code: int | None = None, data: Any = None, endpoint: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, code, data, endpoint)
        self.retry_after = retry_after


class RequestTooLarge(RpcError):
    """The request or its answer is over a node/provider limit: send less per request."""


class HttpError(RpcError):
    """A non-retriable HTTP status without a JSON-RPC body (authentication, wrong path …)."""

    def __init__(self, message: str, status: int, endpoint: str = "", body: Any = None) -> None:
        super().__init__(message, code=status, endpoint=endpoint, data=body)
        self.status = status
        self.body = body  # the decoded JSON error body of a REST answer (Aptos 410, ...), else None


_RATE_LIMIT_MSG = re.compile(r"rate.?limit|too many requests|request limit|limit exceeded|exceeded .*(rate|quota|capacity)|capacity exceeded|throttl", re.I)
_TOO_LARGE_MSG = re.compile(
    r"batch (size )?(is )?too large|batch limit|too many (requests|calls|items) in (a |the )?batch|response (size|is too|too)|"
    r"request entity too large|payload too large|body (is )?too large|exceeds? .*(batch|size) limit|response too big",
    re.I,
)


def is_rate_limit(code: int | None, message: str) -> bool:
    return code in (429, -32029) or bool(_RATE_LIMIT_MSG.search(message or ""))


def is_too_large(code: int | None, message: str) -> bool:
    return code == 413 or bool(_TOO_LARGE_MSG.search(message or ""))


def classify_error(obj: Any, endpoint: str, redact: Any = str) -> RpcError:
    """A JSON-RPC ``error`` member as the matching exception (rate limits and size limits are typed)."""
    if not isinstance(obj, dict):
        return RpcError(redact(str(obj))[:300], endpoint=endpoint)
    code = obj.get("code")
    message = redact(str(obj.get("message", "")))[:500]
    data = obj.get("data")
    if isinstance(code, int) and is_rate_limit(code, message):
        return RateLimited(message, code, data, endpoint)
    if is_too_large(code if isinstance(code, int) else None, message):
        return RequestTooLarge(message, code if isinstance(code, int) else None, data, endpoint)
    return RpcError(message, code if isinstance(code, int) else None, data, endpoint)


# --------------------------------------------------------------------------- the shared session

_sessions: dict[int, aiohttp.ClientSession] = {}


def shared_session() -> aiohttp.ClientSession:
    """The run's HTTP session (one per event loop), created on first use."""
    loop = asyncio.get_running_loop()
    sess = _sessions.get(id(loop))
    if sess is None or sess.closed:
        connector = aiohttp.TCPConnector(limit=256, limit_per_host=64, ttl_dns_cache=300, enable_cleanup_closed=True)
        sess = aiohttp.ClientSession(connector=connector, json_serialize=json.dumps)
        _sessions[id(loop)] = sess
    return sess


async def close_shared_session() -> None:
    loop = asyncio.get_running_loop()
    sess = _sessions.pop(id(loop), None)
    _pacers.pop(id(loop), None)
    if sess is not None and not sess.closed:
        await sess.close()


@asynccontextmanager
async def run_session() -> AsyncIterator[aiohttp.ClientSession]:
    """``async with run_session():`` — everything inside shares one session, closed at the end."""
    try:
        yield shared_session()
    finally:
        await close_shared_session()


# --------------------------------------------------------------------------- rate limiting

SLOW_DOWN = 0.7  # a 429 cuts the endpoint's rate to this share of what it was sending
RECOVER_PER_S = 0.05  # then the rate grows back by this share of the configured limit per second (at least 1 req/s per s)
BURST_S = 0.5  # bursts of at most half a second's requests (see Pacer)
MIN_RATE = 0.5  # requests/s: the floor a run of 429s can push an endpoint to


class Pacer:
    """One endpoint's pace, shared by every client of the run that sends to the same URL.

    Why shared and adaptive: a provider limits an *endpoint* (or a key), not one of our client objects.
    The UTXO adapter keeps three clients on one node, TRON's token-event scan and its per-account
    history share TronGrid, the beacon adapter's execution node may be the ETH network's: separate
    buckets would each send at the full rate. And a configured ``rps`` is the user's guess of their
    plan; the provider's 429 is the truth. So a 429 (1) holds the whole endpoint for its
    ``Retry-After`` (every request waiting on it, not only the one refused, as the header asks) and
    (2) cuts the rate to ``SLOW_DOWN`` of what was being sent; the rate then grows back by
    ``RECOVER_PER_S`` of the limit per second, at least 1 request/s per second, never above the limit (additive increase, multiplicative decrease: the
    scheme TCP uses to find a link's capacity without a signal but loss). Without a configured
    ``rps`` the endpoint is unpaced until its first 429, then paced from the rate it had reached.

    Bursts are half a second's requests (``BURST_S``), where providers allow a second's or more (a token
    bucket over a rolling window, Alchemy's docs say): requests reach the provider a little later than
    they leave, each by its own network delay, and a paced client sending at exactly the provider's
    bucket would be refused whenever one request overtakes the delay of the one before; half a bucket
    of slack absorbs any such jitter under half a second, at the same sustained rate.
    """

    def __init__(self, rps: float | None) -> None:
        self.limit = rps  # the configured ceiling (None: none)
        self.rate = rps  # the pace now (None: unpaced)
        self.capacity = max(1.0, rps * BURST_S) if rps else 1.0
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.hold_until = 0.0
        self._sent: list[float] = []  # send times of the last second (the rate reached, for an unpaced endpoint)
        self._lock = asyncio.Lock()

    def tighten(self, rps: float | None) -> None:
        """A second client configured for the same URL: the stricter limit holds for both."""
        if rps and (self.limit is None or rps < self.limit):
            self.limit = rps
            self.rate = rps if self.rate is None else min(self.rate, rps)
            self.capacity = max(1.0, rps * BURST_S)
            self.tokens = min(self.tokens, self.capacity)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self.hold_until:
                    await asyncio.sleep(self.hold_until - now)
                    continue
                if self.rate is None:
                    self._note_send(now)
                    return
                self._recover(now)
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    self._note_send(now)
                    return
                await asyncio.sleep((1 - self.tokens) / self.rate)

    def _note_send(self, now: float) -> None:
        sent = self._sent
        sent.append(now)
        if len(sent) > 64 and now - sent[0] > 1.0:
            del sent[: next(i for i, t in enumerate(sent) if now - t <= 1.0)]

    def _recover(self, now: float) -> None:
        if self.rate is None:
            return
        ceiling = self.limit if self.limit is not None else float("inf")
        if self.rate < ceiling:
            step = max(1.0, (self.limit or self.rate) * RECOVER_PER_S) * max(0.0, now - self.updated)
            self.rate = min(ceiling, self.rate + step)

    def slow_down(self, retry_after: float | None) -> None:
        """A 429 from this endpoint: hold it for ``retry_after`` seconds and cut its rate."""
        now = time.monotonic()
        if retry_after:
            self.hold_until = max(self.hold_until, now + retry_after)
        # Every refusal cuts, those of a burst answered together too: that is what brings an unpaced client down
        # to the provider's limit within a round trip (cutting once per burst drew 28-33 answers of 429 where
        # tests/test_rpc_pacing.py allows 25), and the rate grows back from there by RECOVER_PER_S.
        reached = float(sum(1 for t in self._sent if now - t <= 1.0))
        base = self.rate if self.rate is not None else max(reached, 1.0)
        self.rate = max(MIN_RATE, base * SLOW_DOWN)
        self.tokens = min(self.tokens, 0.0)  # no burst right after a refusal
        self.updated = now


_pacers: dict[int, dict[str, Pacer]] = {}


def pacer_for(url: str, rps: float | None) -> Pacer:
    """The run's pacer of endpoint ``url`` (one per event loop, like the session); a fresh one outside a loop."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return Pacer(rps)
    table = _pacers.setdefault(id(loop), {})
    pacer = table.get(url)
    if pacer is None:
        pacer = table[url] = Pacer(rps)
    else:
        pacer.tighten(rps)
    return pacer


@dataclass
class Endpoint:
    url: str
    label: str
    pacer: Pacer


@dataclass
class RpcStats:
    requests: int = 0
    items: int = 0
    retries: int = 0
    failovers: int = 0
    halvings: int = 0
    rate_limited: int = 0  # answers that were 429 (or a rate-limit error body)


# --------------------------------------------------------------------------- the client

class JsonRpcClient:
    """JSON-RPC over HTTP to one network, with the network's endpoints tried in order.

    ``call`` and ``batch`` are safe to use concurrently; at most ``settings.concurrency``
    HTTP requests are in flight, each endpoint is held to ``settings.rps`` requests/s by its
    :class:`Pacer` (shared with every other client of the run on the same URL, slowed by 429s).
    A 429 is retried up to ``settings.rate_limit_retries`` times apart from the ``retries``
    budget of other transient failures: an endpoint that asks us to slow down gets slowed down,
    it does not turn rows into errors.
    """

    def __init__(self, settings: NetworkSettings, *, session: aiohttp.ClientSession | None = None, parse_float: Any = None) -> None:
        # parse_float=decimal.Decimal keeps coin-unit amounts (Bitcoin Core's JSON numbers) exact.
        self._parse_float = parse_float
        if not settings.rpc:
            raise ValueError(f"network {settings.name} has no rpc endpoint configured")
        self.settings = settings
        self.endpoints = [
            Endpoint(url, settings.endpoint_label(i), pacer_for(url, settings.rps))
            for i, url in enumerate(settings.rpc)
        ]
        self._active = 0
        self._session = session
        self._sem = asyncio.Semaphore(settings.concurrency)
        self._ids = itertools.count(1)
        self.batch_size = settings.batch_size or DEFAULT_BATCH_SIZE
        self.stats = RpcStats()
        auth = settings.auth
        self._headers = {"Content-Type": "application/json", **settings.headers}
        if auth:  # sent as a header: aiohttp's BasicAuth/auth= are deprecated
            token = base64.b64encode(f"{auth.user}:{auth.password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout)

    @property
    def source(self) -> str:
        """Label of the endpoint currently in use (what ``balances.source`` records)."""
        return self.endpoints[self._active].label

    async def close(self) -> None:
        """Nothing to release: the session belongs to the run (see :func:`run_session`)."""

    # -- public API ---------------------------------------------------------

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One request; returns ``result`` or raises the typed error."""
        payload = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}

        async def once(ep: Endpoint) -> Any:
            body = await self._post(ep, payload)
            if not isinstance(body, dict) or ("result" not in body and "error" not in body):
                raise MalformedResponse("answer is not a JSON-RPC response object", endpoint=ep.label)
            if body.get("error") is not None:
                err = classify_error(body["error"], ep.label, self.settings.redact)
                raise err
            return body["result"]

        return await self._with_retries(once)

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Many calls as JSON-RPC batches of ``self.batch_size``; one entry per call, in order:
        the result, or an :class:`RpcError` for that item. Items that come back rate-limited are
        resent; a batch over the node's size limit is halved (and the smaller size kept).
        Raises only when a whole batch keeps failing in transport after all retries.
        """
        out: list[Any] = [None] * len(calls)
        pending = list(range(len(calls)))
        tasks = []
        size = max(1, self.batch_size)
        for start in range(0, len(pending), size):
            tasks.append(self._batch_chunk(calls, pending[start : start + size], out))
        await asyncio.gather(*tasks)
        return out

    async def rest(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None, *, text: bool = False) -> Any:
        """A plain HTTP JSON call (REST: TRON ``/wallet/*``, Aptos, toncenter, EOS) to ``endpoint + path``,
        with the same session, rate limits, retries and failover as JSON-RPC calls.

        Returns the decoded JSON body of a 2xx answer. 429 and 5xx (and a 2xx body whose text says
        the rate limit was hit, as TronGrid's ``{"Error": "request rate exceeded…"}`` does) are
        retried; any other 4xx raises :class:`HttpError` with the decoded JSON body in ``.body``.
        Errors a protocol reports inside a 2xx body (``{"Error": …}``, ``{"ok": false}``) are the
        adapter's to interpret. ``text=True`` returns a 2xx body as text (aelf answers bare hex).
        """
        verb = method.upper()

        async def once(ep: Endpoint) -> Any:
            url = ep.url.rstrip("/") + "/" + path.lstrip("/")
            return await self._request(ep, verb, url, body, params, rest=True, text=text)

        return await self._with_retries(once)

    # -- internals ----------------------------------------------------------

    async def _batch_chunk(self, calls: Sequence[tuple[str, Sequence[Any]]], idx: list[int], out: list[Any]) -> None:
        attempts = 0
        while idx:
            if len(idx) > self.batch_size:
                half = max(1, self.batch_size)
                await asyncio.gather(*(self._batch_chunk(calls, idx[i : i + half], out) for i in range(0, len(idx), half)))
                return
            try:
                results = await self._send_batch([calls[i] for i in idx])
            except RequestTooLarge:
                if len(idx) == 1:
                    raise
                self.batch_size = max(1, min(self.batch_size, len(idx) // 2))
                self.stats.halvings += 1
                continue
            limited = []
            for i, res in zip(idx, results):
                if isinstance(res, RateLimited):
                    limited.append(i)
                out[i] = res
            if not limited:
                return
            attempts += 1
            if attempts > self.settings.rate_limit_retries:
                return  # the items keep their RateLimited errors
            self.stats.retries += 1
            self._rate_limited(self.endpoints[self._active], None)
            await asyncio.sleep(random.uniform(0.0, min(self.settings.backoff, 1.0)))  # the pacer sets the pace, as in _with_retries
            idx = limited

    async def _send_batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        ids = [next(self._ids) for _ in calls]
        payload = [{"jsonrpc": "2.0", "id": i, "method": m, "params": list(p)} for i, (m, p) in zip(ids, calls)]

        async def once(ep: Endpoint) -> list[Any]:
            body = await self._post(ep, payload)
            if isinstance(body, dict) and body.get("error") is not None:
                # the node refused the batch as a whole (e.g. batch limit) with one error object
                err = classify_error(body["error"], ep.label, self.settings.redact)
                raise err
            if not isinstance(body, list):
                raise MalformedResponse("batch answer is not a JSON array", endpoint=ep.label)
            by_id: dict[Any, Any] = {}
            for item in body:
                if isinstance(item, dict) and "id" in item:
                    by_id[item["id"]] = item
            if any(i not in by_id for i in ids):
                raise MalformedResponse(f"batch answer lacks {sum(i not in by_id for i in ids)} of {len(ids)} ids", endpoint=ep.label)
            results: list[Any] = []
            for i in ids:
                item = by_id[i]
                if item.get("error") is not None:
                    results.append(classify_error(item["error"], ep.label, self.settings.redact))
                elif "result" in item:
                    results.append(item["result"])
                else:
                    raise MalformedResponse("batch item has neither result nor error", endpoint=ep.label)
            if results and all(isinstance(r, RequestTooLarge) for r in results):
                raise results[0]
            return results

        self.stats.items += len(calls)
        return await self._with_retries(once)

    async def _with_retries(self, once: Any) -> Any:
        """Run ``once(endpoint)`` under tenacity: transient failures move to the next endpoint
        (free within the first lap through them) and back off exponentially with jitter per lap.

        Two budgets: ``retries`` transient faults (timeouts, 5xx, dropped connections, bad bodies), and
        ``rate_limit_retries`` 429s. A 429 is the provider pacing us, not a fault: the endpoint's pacer
        holds it for ``Retry-After`` and slows down, and the request waits its turn again."""
        faults = limited = 0

        def wait(state: RetryCallState) -> float:  # tenacity runs it before ``stop``: the counting is here
            nonlocal faults, limited
            self.stats.retries += 1
            if isinstance(state.outcome.exception() if state.outcome else None, RateLimited):
                limited += 1
                # the pacer holds the endpoint for Retry-After and has cut its rate; a short jittered pause
                # keeps the retries of many refused requests from arriving together when the hold ends
                return random.uniform(0.0, min(self.settings.backoff, 1.0))
            faults += 1  # the back-off grows with the faults, not with the 429s before them
            n = len(self.endpoints)
            if n > 1 and faults % n:
                return 0.0  # the first lap through the endpoints is free
            return self._backoff(max(1, faults // n), None)

        def stop(state: RetryCallState) -> bool:
            return faults > self.settings.retries or limited > self.settings.rate_limit_retries

        retrying = AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(TransportError),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                ep = self.endpoints[self._active]
                try:
                    return await once(ep)
                except TransportError:
                    self._failover(ep)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _failover(self, failed: Endpoint) -> None:
        """Move to the next endpoint of the network (once per failure, even under concurrency)."""
        if len(self.endpoints) > 1 and self.endpoints[self._active] is failed:
            self._active = (self._active + 1) % len(self.endpoints)
            self.stats.failovers += 1

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with full jitter (AWS style), never shorter than Retry-After."""
        s = self.settings
        cap = min(s.backoff_max, s.backoff * (2 ** (attempt - 1)))
        wait = random.uniform(cap / 2, cap) if cap > 0 else 0.0
        if retry_after:
            wait = max(wait, min(retry_after, s.backoff_max * 6))
        return wait

    async def _post(self, ep: Endpoint, payload: Any) -> Any:
        """One JSON-RPC HTTP POST, its failures mapped onto the typed errors."""
        return await self._request(ep, "POST", ep.url, payload, None, rest=False)

    async def _request(self, ep: Endpoint, verb: str, url: str, payload: Any, params: dict[str, Any] | None, *, rest: bool, text: bool = False) -> Any:
        """One HTTP request, its failures mapped onto the typed errors; a rate-limit answer slows the endpoint."""
        try:
            return await self._request_once(ep, verb, url, payload, params, rest=rest, text=text)
        except RateLimited as exc:
            self._rate_limited(ep, exc.retry_after)
            raise

    def _rate_limited(self, ep: Endpoint, retry_after: float | None) -> None:
        """``ep`` answered that we send too fast (a 429, or rate-limit error bodies inside a batch): slow it down and
        count it once (``RpcStats``, and the network's tally that becomes ``runs.rate_limited``)."""
        ep.pacer.slow_down(retry_after)
        self.stats.rate_limited += 1
        tally = current_tally()
        if tally is not None:
            tally.rate_limited += 1

    async def _request_once(self, ep: Endpoint, verb: str, url: str, payload: Any, params: dict[str, Any] | None, *, rest: bool, text: bool = False) -> Any:
        session = self._session or shared_session()
        async with self._sem:  # a slot first, then the endpoint's turn: a turn is never spent waiting for a slot
            await ep.pacer.acquire()
            self.stats.requests += 1
            tally = current_tally()
            if tally is not None:
                tally.requests += 1
            try:
                kwargs: dict[str, Any] = {"headers": self._headers, "timeout": self._timeout}
                if payload is not None:
                    kwargs["json"] = payload
                if params:
                    kwargs["params"] = {k: str(v) for k, v in params.items() if v is not None}
                async with session.request(verb, url, **kwargs) as resp:
                    status = resp.status
                    raw = await resp.read()
                    retry_after = _retry_after(resp.headers.get("Retry-After"))
            except asyncio.TimeoutError:
                raise RpcTimeout(f"no answer within {self.settings.timeout:g} s", endpoint=ep.label) from None
            except aiohttp.ClientPayloadError as exc:
                raise MalformedResponse(f"truncated answer ({type(exc).__name__})", endpoint=ep.label) from None
            except (aiohttp.ClientConnectionError, aiohttp.ClientOSError, ConnectionError) as exc:
                raise ConnectionFailed(f"connection failed ({type(exc).__name__})", endpoint=ep.label) from None
            except aiohttp.ClientError as exc:
                raise ConnectionFailed(f"HTTP client error ({type(exc).__name__})", endpoint=ep.label) from None
        if status == 429:
            raise RateLimited("HTTP 429 Too Many Requests", 429, endpoint=ep.label, retry_after=retry_after)
        if status == 413:
            raise RequestTooLarge("HTTP 413 request entity too large", 413, endpoint=ep.label)
        if text and 200 <= status < 300:
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise MalformedResponse(f"answer is not text ({len(raw)} bytes)", endpoint=ep.label) from None
        try:
            body = json.loads(raw, parse_float=self._parse_float)
        except (ValueError, UnicodeDecodeError):
            body = None
            if status >= 500:
                raise ServerError(f"HTTP {status}", status, endpoint=ep.label) from None
            if status >= 400:
                snippet = self.settings.redact(raw[:120].decode("utf-8", "replace")).strip()
                raise HttpError(f"HTTP {status}: {snippet}" if snippet else f"HTTP {status}", status, endpoint=ep.label) from None
            raise MalformedResponse(f"answer is not JSON ({len(raw)} bytes)", endpoint=ep.label) from None
        if rest:
            return self._rest_body(ep, status, body, retry_after)
        if status >= 500 and _all_errors(body) and not _node_error(body):
            raise ServerError(f"HTTP {status}", status, endpoint=ep.label)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            err = body["error"]
            if is_rate_limit(err.get("code") if isinstance(err.get("code"), int) else None, str(err.get("message", ""))):
                raise RateLimited(self.settings.redact(str(err.get("message", "rate limited")))[:300], err.get("code"), endpoint=ep.label, retry_after=retry_after)
        if status >= 400 and not isinstance(body, (dict, list)):
            raise HttpError(f"HTTP {status}", status, endpoint=ep.label)
        return body

    def _rest_body(self, ep: Endpoint, status: int, body: Any, retry_after: float | None) -> Any:
        """Map a decoded REST answer: 5xx retried, other 4xx typed with their body, rate-limit texts retried."""
        text = ""
        if isinstance(body, dict):
            for k in ("Error", "error", "message", "msg"):
                if isinstance(body.get(k), str):
                    text = body[k]
                    break
        if text and is_rate_limit(None, text) or re.search(r"request rate exceeded|rate exceeded", text, re.I):
            raise RateLimited(self.settings.redact(text)[:300], status, endpoint=ep.label, retry_after=retry_after)
        if status >= 500:
            raise ServerError(f"HTTP {status}" + (f": {self.settings.redact(text)[:200]}" if text else ""), status, endpoint=ep.label)
        if status >= 400:
            msg = f"HTTP {status}" + (f": {self.settings.redact(text)[:200]}" if text else "")
            raise HttpError(msg, status, endpoint=ep.label, body=body)
        return body


# Bitcoin Core < 28 (and litecoind) answers every RPC error with HTTP 500 and a JSON-RPC error body.
# Such an answer is the node's verdict (bad parameter, unknown block, ...): surface its code and message
# instead of retrying it as a transient server fault. -28 ("warming up") is the transient exception.
_NODE_WARMING_UP = -28


def _node_error(body: Any) -> bool:
    err = body.get("error") if isinstance(body, dict) else None
    return isinstance(err, dict) and isinstance(err.get("code"), int) and err["code"] != _NODE_WARMING_UP and "message" in err


def _all_errors(body: Any) -> bool:
    if isinstance(body, dict):
        return body.get("error") is not None or "result" not in body
    if isinstance(body, list):
        return all(not isinstance(b, dict) or b.get("error") is not None for b in body)
    return True


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None

"""USD prices for the snapshots: ``por prices import FILE`` (offline) and ``por prices fetch`` (public price APIs).

Why a table of prices and not a live lookup: a snapshot's USD value must be reproducible, so every
price used is a row (asset, time, exact decimal, source) and the views value each snapshot at the
latest price at or before its publication time (``reserves_usd``). Fetching is cached in the same
database: every question asked of an API is recorded in ``price_requests`` (with its answer: a price,
"no data", or nothing on a transport failure, which is retried next time), so a rerun asks nothing twice.

Sources, tried in the order of ``[prices] sources`` (default DefiLlama, then CoinGecko):

* DefiLlama ``GET /prices/historical/{timestamp}/{coins}?searchWidth=…`` answers many coins in one
  request, ``{"coins": {"coingecko:bitcoin": {"price": 68000.1, "symbol": "BTC", "timestamp": …,
  "confidence": 0.99}}}``. We ask at ``T - width`` with ``searchWidth = width`` so the window it searches,
  ``[T - 2·width, T]``, ends at the snapshot time T: the price found is never from after the snapshot.
* CoinGecko ``GET /coins/{id}/history?date=dd-mm-yyyy`` gives ``market_data.current_price.usd`` at
  00:00 UTC of that date (no ``market_data`` when it has none); one request per coin and day.

JSON numbers are parsed as :class:`~decimal.Decimal` (``parse_float``), never floats; ``usd_text`` keeps
the API's digits, ``usd``/``usd_units`` hold them truncated to 18 decimals (1e-18 USD).
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from indexer.config import ConfigError, NetworkSettings, PorConfig, _parse_network
from indexer.errors import PorError
from indexer.resources import resource_dir
from indexer.store import transaction, upsert_arrow

USD_SCALE = 18
SOURCES = ("defillama", "coingecko")
DEFAULTS: dict[str, dict[str, Any]] = {
    # Public endpoints; the free tiers allow ~30 requests/min (CoinGecko) and more (DefiLlama).
    "defillama": {"rpc": "https://coins.llama.fi", "rps": 2, "concurrency": 2},
    "coingecko": {"rpc": "https://api.coingecko.com/api/v3", "rps": 0.4, "concurrency": 1},
}
SEARCH_WIDTH_HOURS = 4
FRESH = timedelta(days=1)  # a price at most this old at the snapshot time makes a fetch unnecessary


class PriceError(PorError):
    """A price file or setting cannot be used; one sentence for the user (the database is unchanged)."""


# ------------------------------------------------------------------------------------------ parsing (pure)
def parse_usd(text: str) -> tuple[Decimal, str, int]:
    """``(value, exact text, units of 1e-18 USD)`` for a non-negative decimal price; ValueError otherwise.

    Text with more than 18 decimals keeps its digits in the text; the value and units are truncated.
    """
    raw = text.strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"price {raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise ValueError(f"price {raw!r} is not a finite number")
    if value < 0:
        raise ValueError(f"price {raw!r} is negative")
    units = int(value.scaleb(USD_SCALE))  # int() truncates toward zero: exact for <= 18 decimals
    exact = format(value, "f")
    return Decimal(units).scaleb(-USD_SCALE), exact, units


def parse_time(text: str) -> datetime:
    """A price time: ``YYYY-MM-DD`` (00:00 UTC), ISO 8601 with ``Z``/offset, a naive ISO time (UTC), or Unix seconds."""
    raw = text.strip()
    if raw.isdigit():
        return datetime.fromtimestamp(int(raw), timezone.utc)
    try:
        if len(raw) == 10:
            d = date.fromisoformat(raw)
            return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
        at = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"time {raw!r} is not a date, an ISO 8601 time or Unix seconds") from None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


@cache
def price_ids() -> dict[str, str]:
    """asset -> CoinGecko coin id (DefiLlama takes the same id as ``coingecko:<id>``)."""
    with (resource_dir("data") / "price_ids.csv").open(newline="") as f:
        return {row["asset"].strip().upper(): row["coingecko_id"].strip() for row in csv.DictReader(f) if row["coingecko_id"].strip()}


def _table(rows: list[tuple[str, datetime, Decimal, str, int, str]]) -> pa.Table:
    return pa.table(
        {
            "asset": pa.array([r[0] for r in rows], pa.string()),
            "at": pa.array([r[1] for r in rows], pa.timestamp("us", tz="UTC")),
            "usd": pa.array([r[2] for r in rows], pa.decimal128(38, USD_SCALE)),
            "usd_text": pa.array([r[3] for r in rows], pa.string()),
            "usd_units": pa.array([str(r[4]) for r in rows], pa.string()),
            "source": pa.array([r[5] for r in rows], pa.string()),
        }
    )


_PRICE_CAST = "* replace (cast(usd_units as hugeint) as usd_units)"


# ------------------------------------------------------------------------------------------ import
def import_prices(con: duckdb.DuckDBPyConnection, path: Path, source: str = "import") -> int:
    """Load an ``asset,at,usd`` CSV as prices of ``source``; all or nothing. Returns rows loaded.

    Any bad line (missing cell, unknown time format, negative or non-numeric price, a duplicate
    (asset, at)) refuses the whole file with the first reasons and their line numbers.
    """
    try:
        f = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise PriceError(f"{path} could not be read: {exc.strerror}") from None
    rows: list[tuple[str, datetime, Decimal, str, int, str]] = []
    problems: list[str] = []
    seen: dict[tuple[str, datetime], int] = {}
    with f:
        reader = csv.reader(f)
        header = [h.strip().lower() for h in next(reader, [])]
        if header[:3] != ["asset", "at", "usd"]:
            raise PriceError(f"{path}: the first line must be the header asset,at,usd (found {','.join(header) or 'nothing'})")
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != 3:
                problems.append(f"line {line}: expected 3 cells, found {len(cells)}")
                continue
            asset = cells[0].strip().upper()
            if not asset:
                problems.append(f"line {line}: empty asset")
                continue
            try:
                at = parse_time(cells[1])
                usd, text, units = parse_usd(cells[2])
            except ValueError as exc:
                problems.append(f"line {line}: {exc}")
                continue
            if (asset, at) in seen:
                problems.append(f"line {line}: {asset} at {at.isoformat()} is also on line {seen[(asset, at)]}")
                continue
            seen[(asset, at)] = line
            rows.append((asset, at, usd, text, units, source))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise PriceError(f"{path} was refused: {'; '.join(problems[:5])}{more}")
    if rows:
        with transaction(con):
            upsert_arrow(con, "prices", _table(rows), select=_PRICE_CAST)
    return len(rows)


# ------------------------------------------------------------------------------------------ fetch
@dataclass
class PriceSettings:
    sources: list[str]
    endpoints: dict[str, NetworkSettings]
    search_width_hours: int = SEARCH_WIDTH_HOURS


def price_settings(cfg: PorConfig | None, env: Any = None) -> PriceSettings:
    """``[prices]`` from por.toml: ``sources = [...]`` and one ``[prices.<source>]`` table per source with
    the same keys as a network (``rpc`` base URL, ``rps``, ``retries``, ``headers`` for API keys, …)."""
    raw = dict(cfg.prices) if cfg else {}
    env = os.environ if env is None else env
    sources = raw.pop("sources", list(SOURCES))
    width = raw.pop("search_width_hours", SEARCH_WIDTH_HOURS)
    if not isinstance(sources, list) or any(s not in SOURCES for s in sources) or not sources:
        raise ConfigError(f"[prices] sources must be a list of {', '.join(SOURCES)}")
    unknown = set(raw) - set(SOURCES)
    if unknown:
        raise ConfigError(f"[prices] has unknown key(s) {', '.join(sorted(unknown))}; known: sources, search_width_hours, {', '.join(SOURCES)}")
    endpoints = {}
    for name in SOURCES:
        table = {**DEFAULTS[name], **(raw.get(name) or {})}
        endpoints[name] = _parse_network(name, table, env, "[prices]")
    return PriceSettings(list(sources), endpoints, int(width))


@dataclass
class FetchReport:
    requests: int = 0  # HTTP requests sent (retries included)
    prices: int = 0  # price rows written
    cached: int = 0  # (asset, time) pairs answered from the database
    missing: list[str] = field(default_factory=list)  # one line per (asset, time) left without a price

    def __str__(self) -> str:
        tail = f"; no price for {len(self.missing)}: {', '.join(self.missing[:8])}{' …' if len(self.missing) > 8 else ''}" if self.missing else ""
        return f"{self.prices} prices stored from {self.requests} requests; {self.cached} already known{tail}"


def needed_prices(
    con: duckdb.DuckDBPyConnection, snapshot_ids: list[int] | None = None
) -> tuple[int, list[tuple[str, datetime]]]:
    """(pairs in scope, the (asset, snapshot time) pairs without a price in the FRESH window up to the snapshot time)."""
    where = "" if not snapshot_ids else f"where t.snapshot_id in ({','.join(str(int(s)) for s in snapshot_ids)})"
    rows = con.execute(
        f"""
        select distinct r.asset, t.published_at
        from reserve_ratios r join snapshot_times t on t.snapshot_id = r.snapshot_id
        {where}
        """
    ).fetchall()
    out = []
    for asset, at in rows:
        at = at.astimezone(timezone.utc)
        known = con.execute(
            'select 1 from prices where asset = ? and "at" <= ? and "at" > ?', [asset, at, at - FRESH]
        ).fetchall()
        if not known:
            out.append((asset, at))
    return len(rows), sorted(out, key=lambda x: (x[1], x[0]))


def fetch_prices(
    con: duckdb.DuckDBPyConnection,
    settings: PriceSettings,
    snapshot_ids: list[int] | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> FetchReport:
    """Fetch the missing (asset, snapshot time) prices from the configured sources, in order."""
    in_scope, needed = needed_prices(con, snapshot_ids)
    report = FetchReport(cached=in_scope - len(needed))
    ids = price_ids()
    todo = []
    for asset, at in needed:
        if asset in ids:
            todo.append((asset, at))
        else:
            report.missing.append(f"{asset}@{at:%Y-%m-%d %H:%M} (no id in data/price_ids.csv)")
    for source in settings.sources:
        if not todo:
            break
        todo = asyncio.run(_run_source(con, settings, source, todo, ids, report, on_progress))
    for asset, at in todo:
        report.missing.append(f"{asset}@{at:%Y-%m-%d %H:%M}")
    return report


async def _run_source(con, settings: PriceSettings, source: str, todo, ids, report: FetchReport, on_progress=None):
    """Ask ``source`` for every (asset, time) in ``todo``; return those still without a price.

    Answers are committed every :data:`FLUSH_EVERY` requests and when the run stops for any reason
    (Ctrl-C included), so an interrupted fetch resumes without asking again what it already knows.
    """
    from indexer.rpc import JsonRpcClient, RpcError, run_session

    done = _requests_done(con, source)
    results = _Results(con, source, report, on_progress)
    try:
        async with run_session() as session:
            client = JsonRpcClient(settings.endpoints[source], session=session, parse_float=Decimal)
            try:
                if source == "defillama":
                    await _defillama(client, todo, ids, settings.search_width_hours, done, RpcError, results)
                else:
                    await _coingecko(client, todo, ids, done, RpcError, results)
            finally:
                report.requests += client.stats.requests
    finally:
        results.flush()
    left = []
    for asset, at in todo:
        if not con.execute('select 1 from prices where asset = ? and "at" <= ? and "at" > ?', [asset, at, at - FRESH]).fetchall():
            left.append((asset, at))
    return left


FLUSH_EVERY = 20


class _Results:
    """Answers of one source, written to ``prices``/``price_requests`` in small all-or-nothing batches."""

    def __init__(self, con, source: str, report: FetchReport, on_progress=None) -> None:
        self.con, self.source, self.report, self.on_progress = con, source, report, on_progress
        self.prices: list[tuple[str, datetime, Any]] = []
        self.answered: dict[str, tuple[str, str]] = {}  # request_key -> (status, detail)
        self.requests_done = 0
        self.requests_total = 0  # set by the source before it starts asking

    def answer(self) -> None:
        """One request finished: report progress, flush every FLUSH_EVERY requests."""
        self.requests_done += 1
        if self.on_progress:
            self.on_progress(self.source, self.requests_done, self.requests_total)
        if self.requests_done % FLUSH_EVERY == 0:
            self.flush()

    def flush(self) -> None:
        rows = []
        for asset, at, value in self.prices:
            try:
                usd, text, units = parse_usd(str(value))
            except ValueError as exc:  # a negative or non-numeric "price" is not stored
                self.report.missing.append(f"{asset}@{at:%Y-%m-%d %H:%M} ({self.source}: {exc})")
                continue
            rows.append((asset, at, usd, text, units, self.source))
        keys = list(self.answered.items())
        self.prices, self.answered = [], {}
        if not rows and not keys:
            return
        with transaction(self.con):
            if rows:
                upsert_arrow(self.con, "prices", _table(rows), select=_PRICE_CAST)
            if keys:
                upsert_arrow(
                    self.con,
                    "price_requests",
                    pa.table(
                        {
                            "source": [self.source] * len(keys),
                            "request_key": [key for key, _ in keys],
                            "status": [answer[0] for _, answer in keys],
                            "detail": [answer[1] for _, answer in keys],
                        }
                    ),
                )
        self.report.prices += len(rows)


def _requests_done(con, source: str) -> set[str]:
    return {r[0] for r in con.execute("select request_key from price_requests where source = ?", [source]).fetchall()}


async def _defillama(client, todo, ids, width_h: int, done: set[str], RpcError, out: _Results) -> None:
    by_time: dict[datetime, list[str]] = defaultdict(list)
    for asset, at in todo:
        key = f"coingecko:{ids[asset]}@{int(at.timestamp())}"
        if key not in done:
            by_time[at].append(asset)
    width = width_h * 3600
    out.requests_total = sum(-(-len({ids[a] for a in assets}) // 50) for assets in by_time.values())

    async def one(at: datetime, assets: list[str]) -> None:
        coins = sorted({f"coingecko:{ids[a]}" for a in assets})
        for start in range(0, len(coins), 50):  # URL length: 50 coins per request
            chunk = coins[start : start + 50]
            try:
                body = await client.rest("GET", f"/prices/historical/{int(at.timestamp()) - width}/{','.join(chunk)}", params={"searchWidth": f"{width_h}h"})
            except RpcError:
                continue  # nothing recorded: asked again next run
            finally:
                out.answer()
            found = body.get("coins", {}) if isinstance(body, dict) else {}
            for coin in chunk:
                entry = found.get(coin)
                key = f"{coin}@{int(at.timestamp())}"
                if not isinstance(entry, dict) or entry.get("price") is None or entry.get("timestamp") is None:
                    out.answered[key] = ("no_data", "not in the answer")
                    continue
                ts = datetime.fromtimestamp(int(entry["timestamp"]), timezone.utc)
                for a in assets:
                    if f"coingecko:{ids[a]}" == coin:
                        out.prices.append((a, ts, entry["price"]))
                out.answered[key] = ("ok", f"{entry['price']} at {ts.isoformat()}")

    await asyncio.gather(*(one(at, assets) for at, assets in by_time.items()))


async def _coingecko(client, todo, ids, done: set[str], RpcError, out: _Results) -> None:
    from indexer.rpc import HttpError

    wanted: dict[tuple[str, date], list[str]] = defaultdict(list)
    for asset, at in todo:
        wanted[(ids[asset], at.date())].append(asset)

    wanted = {k: v for k, v in wanted.items() if f"{k[0]}@{k[1]:%d-%m-%Y}" not in done}
    out.requests_total = len(wanted)

    async def one(coin_id: str, day: date, assets: list[str]) -> None:
        key = f"{coin_id}@{day:%d-%m-%Y}"
        try:
            body = await client.rest("GET", f"/coins/{coin_id}/history", params={"date": f"{day:%d-%m-%Y}", "localization": "false"})
        except HttpError as exc:
            if exc.status == 404:
                out.answered[key] = ("no_data", str(exc)[:200])
            return
        except RpcError:
            return
        finally:
            out.answer()
        usd = ((body or {}).get("market_data") or {}).get("current_price", {}).get("usd") if isinstance(body, dict) else None
        if usd is None:
            out.answered[key] = ("no_data", "no market_data for that date")
            return
        at = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        for a in assets:
            out.prices.append((a, at, usd))
        out.answered[key] = ("ok", f"{usd}")

    await asyncio.gather(*(one(cid, day, assets) for (cid, day), assets in wanted.items()))

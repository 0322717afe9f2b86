"""``por synth``: a realistic synthetic OKX file — the built-in default for demos and benchmarks.

Deterministic per seed (same seed, same bytes), 12-column layout with a summary
section, a network mix shaped like OKX's (mostly EVM, BTC and TRON rows), and
real signatures from each family's plugin signer, by fresh keys derived from the seed.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timezone
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from indexer.models import Coin, Registry, from_base_units
from indexer.plugins import signer_for

MESSAGE = "I am an OKX address"
DETAIL_HEADER = [
    "coin", "Type", "Network", "Snapshot Height", "address", "amount", "message",
    "signature1", "signature2", "redeem script/public key", "EOA1", "EOA2",
]  # fmt: skip

# Typical magnitude of one address's holding, in coin units (log-uniform up to this).
SCALE = {"BTC": 50, "ETH": 500, "USDT": 2_000_000, "USDC": 1_000_000, "TRX": 5_000_000, "OKB": 50_000}
CHUNK = 5_000


def mix_coins(reg: Registry) -> tuple[list[str], list[float]]:
    """The registry's synthetic mix (``data/synth_mix.csv``) restricted to coins whose scheme has a signer installed
    (so every signature is real)."""
    keys, weights = [], []
    for key, weight in reg.synth_mix:
        coin = reg.coin(key)
        if coin and signer_for(coin.family):
            keys.append(key)
            weights.append(weight)
    return keys, weights


def _amount_units(rng: random.Random, asset: str, decimals: int) -> int:
    top = SCALE.get(asset, 100_000)
    value = 10 ** rng.uniform(-3, 0) * top * rng.random()
    units = int(value * 10**min(decimals, 8)) * 10 ** max(decimals - 8, 0)
    return units + rng.randrange(10 ** min(decimals, 4))  # full-precision tail digits


def _rows_chunk(args: tuple[int, int, int, list[str], list[float], int | None, dict[str, Coin], dict[str, int]]) -> list[tuple[list[str], int]]:
    """Rows [start, start+count) — each depends only on (seed, index, month), so chunks can run anywhere."""
    seed, start, count, keys, weights, month, coins, heights = args
    out = []
    for i in range(start, start + count):
        rng = random.Random(f"{seed}:{i}")
        key = rng.choices(keys, weights)[0]
        coin = coins[key]
        assert coin.decimals is not None
        signer = signer_for(coin.family)
        assert signer is not None
        cells = signer(coin, MESSAGE, hashlib.sha256(f"por-synth:{seed}:{i}".encode()).digest())
        units = _amount_units(rng, coin.asset, coin.decimals)
        if month is not None:  # the same address holds a little more or less from month to month
            units = units * random.Random(f"{seed}:{i}:{month}").randrange(80, 121) // 100
        row = [
            coin.key, "Non Staking", coin.network, str(heights.get(coin.network, 1_000_000)), cells["address"],
            from_base_units(units, coin.decimals), MESSAGE, cells.get("signature1", ""), cells.get("signature2", ""),
            cells.get("script_or_pubkey", ""), cells.get("eoa1", ""), cells.get("eoa2", ""),
        ]  # fmt: skip
        out.append((row, units))
    return out


def _heights(reg: Registry) -> dict[str, int]:
    """network -> its sample height (``data/networks.csv``: a fixed plausible height; the demo is about reserves)."""
    return {n.name: n.sample_height for n in reg.networks.values() if n.sample_height is not None}


def synth_rows(
    reg: Registry, rows: int, seed: int, workers: int | None = None, *, first: int = 0, month: int | None = None
) -> Iterator[tuple[list[str], int]]:
    """Rows ``first .. first+rows-1`` of the seed's endless sequence (``month`` varies their amounts)."""
    keys, weights = mix_coins(reg)
    if not keys:
        raise RuntimeError("no signature plugin is installed, so no real signatures can be made")
    coins, heights = {k: reg.coins[k] for k in keys}, _heights(reg)
    tasks = [
        (seed, first + start, min(CHUNK, rows - start), keys, weights, month, coins, heights) for start in range(0, rows, CHUNK)
    ]
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            yield from _rows_chunk(task)
        return
    with ProcessPoolExecutor(workers) as pool:
        for chunk in pool.map(_rows_chunk, tasks):
            yield from chunk


def write_synth_file(
    reg: Registry,
    out: Path,
    rows: int,
    seed: int = 1,
    liabilities_out: Path | None = None,
    workers: int | None = None,
    *,
    first: int = 0,
    month: int | None = None,
) -> dict[str, int]:
    """Write the file; return the number of rows per coin key (``reg``: the core registry, OKX's coin keys)."""
    detail_path = Path(str(out) + ".detail.tmp")
    totals: dict[str, int] = defaultdict(int)
    counts: dict[str, int] = defaultdict(int)
    with open(detail_path, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(DETAIL_HEADER)
        for row, units in synth_rows(reg, rows, seed, workers, first=first, month=month):
            writer.writerow(row)
            totals[row[0]] += units
            counts[row[0]] += 1
    asset_totals: dict[str, int] = defaultdict(int)
    asset_scale: dict[str, int] = {}
    for key, units in totals.items():
        coin = reg.coin(key)
        assert coin and coin.decimals is not None
        asset_scale[coin.asset] = max(asset_scale.get(coin.asset, 0), coin.decimals)
    for key, units in totals.items():
        coin = reg.coin(key)
        asset_totals[coin.asset] += units * 10 ** (asset_scale[coin.asset] - coin.decimals)
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["coin", "snapshot height", "amount"])
        for asset in sorted(asset_totals):
            writer.writerow([f"{asset}(ALL)", "-", from_base_units(asset_totals[asset], asset_scale[asset])])
        for key in sorted(totals):
            coin = reg.coin(key)
            writer.writerow([key, _heights(reg).get(coin.network, 1_000_000), from_base_units(totals[key], coin.decimals)])
        f.write("\n")
        with open(detail_path) as detail:
            while chunk := detail.read(1 << 20):
                f.write(chunk)
    detail_path.unlink()
    if liabilities_out:
        rng = random.Random(f"{seed}:liabilities" + (f":{month}" if month is not None else ""))
        with open(liabilities_out, "w", newline="") as f:
            f.write("asset,amount\n")
            for asset in sorted(asset_totals):
                # Reserves between 95% and 130% of liabilities: some assets under-collateralised on purpose.
                permille = rng.randrange(950, 1300)
                owed = asset_totals[asset] * 1000 // permille
                f.write(f"{asset},{from_base_units(owed, asset_scale[asset])}\n")
    return dict(counts)


SERIES_START = datetime(2026, 1, 1, 8, tzinfo=timezone.utc)


def series_times(months: int, start: datetime = SERIES_START) -> list[datetime]:
    """One publication time per month from ``start`` (same day and hour each month)."""
    out = []
    for m in range(months):
        y, mo = divmod(start.month - 1 + m, 12)
        out.append(start.replace(year=start.year + y, month=mo + 1))
    return out


def write_synth_series(
    reg: Registry,
    out_dir: Path, rows: int, months: int, seed: int = 1, workers: int | None = None, churn: float = 0.1
) -> list[tuple[Path, Path]]:
    """``months`` monthly files ``okx_por_<YYYYMMDDHH>.csv`` (+ ``liabilities_<YYYYMMDDHH>.csv``) in ``out_dir``.

    Month ``m`` holds rows ``m*shift .. m*shift+rows-1`` of the seed's sequence (``shift = churn*rows``):
    consecutive months share most addresses (their amounts move by -20..+20 %), the oldest ``shift``
    addresses leave and ``shift`` new ones appear, so series and two-date comparisons have real movement.
    The publication time is in the name, as OKX names its files, and ``por ingest`` reads it from there.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    shift = max(1, int(rows * churn))
    written = []
    for m, at in enumerate(series_times(months)):
        stamp = at.strftime("%Y%m%d%H")
        path, liab = out_dir / f"okx_por_{stamp}.csv", out_dir / f"liabilities_{stamp}.csv"
        write_synth_file(reg, path, rows, seed, liab, workers, first=m * shift, month=m)
        written.append((path, liab))
    return written

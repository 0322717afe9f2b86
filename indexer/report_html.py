"""``por report --format html``: one self-contained HTML page for a snapshot and the series around it.

Why one file with plotly.js inlined: the page is mailed, archived and opened offline next to the
audit, so it must need no network. Charts are Plotly figures (a maintained library, rendered by its
own JS); tables carry the exact amounts as text. Chart values are floats because a chart is a
picture; every number a reader copies comes from a table cell printed from the exact DECIMAL/HUGEINT.

Sections: reserves per asset (the report's columns and headers: published, claimed where an audit page is
loaded, on-chain, verified, liabilities, ratios, coverage; USD), ratio and reserves over the exchange's snapshots, USD composition,
coverage by network and by method, signature verdicts, and reconciliation mismatches by size.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from indexer.results import AUDIT_COLUMNS, figure_label, percent_text

MAX_MISMATCHES = 200
# The reserves table: the columns of reserve_ratios, under the same names and headers as ``por report``'s table
# (``figure_label``): published (the file), claimed (the audit page), on-chain (read), verified (on-chain, proven rows).
RESERVE_COLUMNS = (
    "asset", "liabilities", "published_reserves", "claimed_reserves", "onchain_reserves", "verified_reserves",
    "claimed_custody_reserves", "ratio_published", "ratio_claimed", "ratio_onchain", "coverage_onchain",
    "coverage_onchain_published", "ratio_verified", "coverage_verified", "ratio_onchain_with_custody", "rows", "rows_fetched",
)  # fmt: skip
TOP_ASSETS = 12
METHOD_ORDER = ("state_at_height", "dump", "replayed", "latest", "error", "missing")
METHOD_COLORS = {
    "state_at_height": "#2e7d32",
    "dump": "#66bb6a",
    "replayed": "#9ccc65",
    "latest": "#ffb300",
    "error": "#e53935",
    "missing": "#9e9e9e",
}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "select 1 from information_schema.columns where table_name = ? and column_name = ? and table_schema = current_schema()",
            [table, column],
        ).fetchall()
    )


def _text(value: Any) -> str:
    """A cell as text: exact decimals without trailing zeros, ratios to 4 places, — for NULL."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        s = format(value, "f")
        s = s.rstrip("0").rstrip(".") if "." in s else s
        whole, _, frac = s.partition(".")
        sign = "-" if whole.startswith("-") else ""
        whole = f"{int(whole.lstrip('-') or 0):,}"
        return f"{sign}{whole}.{frac}" if frac else f"{sign}{whole}"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _usd(value: Any) -> str:
    if value is None:
        return "—"
    d = Decimal(value)
    return f"{'-' if d < 0 else ''}${abs(d):,.2f}"


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = []
    for r in rows:
        cells = []
        for key, _ in columns:
            v = r.get(key)
            if key.endswith("_usd") and isinstance(v, Decimal):
                text = _usd(v)
            elif key.startswith("coverage_") and isinstance(v, Decimal):
                text = percent_text(v)  # truncated: 100 % only when every row was read
            else:
                text = _text(v)
            cls = ' class="num"' if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}" class="empty">no rows</td></tr>')
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


# ------------------------------------------------------------------------------------------ data
def report_data(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> dict[str, Any]:
    """Everything the page shows, as plain rows (also usable from a notebook)."""
    snap = _rows(con, "select s.*, t.published_at as effective_time, t.time_source from snapshots s join snapshot_times t using (snapshot_id) where snapshot_id = ?", [snapshot_id])
    if not snap:
        raise ValueError(f"there is no snapshot {snapshot_id} in this database")
    # the report's own columns (the view's names), those this database's view has: a page of an older database, read
    # as it is, shows what it holds
    figures = [c for c in RESERVE_COLUMNS if _has_column(con, "reserve_ratios", c)]
    reserves = _rows(
        con,
        f"""select {', '.join(f'rr.{c}' for c in figures)}, u.price_usd, u.published_usd, u.verified_usd, u.own_token
            from reserve_ratios rr
            left join reserves_usd u on u.snapshot_id = rr.snapshot_id and u.asset = rr.asset
            where rr.snapshot_id = ?
            order by u.published_usd desc nulls last, rr.liabilities is null, rr.published_reserves desc nulls last, rr.asset""",
        [snapshot_id],
    )
    if not any(r.get(c) is not None for r in reserves for c in AUDIT_COLUMNS):  # no audit page: no empty claimed columns
        figures = [c for c in figures if c not in AUDIT_COLUMNS]
    exchange = snap[0]["exchange"]
    series = _rows(
        con,
        """select snapshot_id, published_at, asset, published, verified, liabilities,
                  ratio_published, ratio_onchain, ratio_verified, published_usd, verified_usd, own_token
           from snapshot_series where lower(exchange) = lower(?) order by published_at, snapshot_id, asset""",
        [exchange],
    )
    totals = _rows(con, "select * from snapshot_usd_totals where lower(exchange) = lower(?)", [exchange])
    coverage = _rows(
        con, "select network, method, rows from coverage_by_method where snapshot_id = ? order by network, method", [snapshot_id]
    )
    verdicts = _rows(
        con,
        """select coalesce(s.status, 'not checked') as status, count(*) as rows
           from addresses a left join signatures s using (snapshot_id, row_no)
           where a.snapshot_id = ? group by 1 order by 2 desc""",
        [snapshot_id],
    )
    mismatch_count = con.execute(
        "select count(*) from reconciliation where snapshot_id = ? and status = 'mismatch'", [snapshot_id]
    ).fetchall()[0][0]
    mismatches = _rows(
        con,
        f"""select r.network, r.coin, a.asset, r.address, r.published_amount, r.onchain_amount, r.difference,
                   por_usd(r.difference_base_units, c.decimals, u_price.usd_units) as difference_usd,
                   r.block_height, r.signature_status
            from reconciliation r
            join addresses a on a.snapshot_id = r.snapshot_id and a.row_no = r.row_no
            left join coins c on c.coin_key = a.coin
            left join reserves_usd u on u.snapshot_id = r.snapshot_id and u.asset = a.asset
            left join price_points u_price on u_price.asset = a.asset and u_price."at" = u.price_at
            where r.snapshot_id = ? and r.status = 'mismatch'
            order by abs(por_usd(r.difference_base_units, c.decimals, u_price.usd_units)) desc nulls last,
                     abs(r.difference) desc, r.row_no
            limit {MAX_MISMATCHES}""",
        [snapshot_id],
    )
    return {
        "snapshot": snap[0],
        "reserves": reserves,
        "reserve_columns": [*figures, "price_usd", "published_usd", "verified_usd", "own_token"],
        "series": series,
        "totals": totals,
        "coverage": coverage,
        "verdicts": verdicts,
        "mismatches": mismatches,
        "mismatch_count": int(mismatch_count),
    }


# ------------------------------------------------------------------------------------------ charts
DAY_MS = 86_400_000


def time_axis(times: list[Any]) -> dict[str, Any]:
    """The x axis of a chart over snapshot times: dates when the snapshots are a day or more apart (monthly files),
    date and minute when closer; one snapshot gets a two-day window with a tick per day. Left to itself Plotly
    zooms into a lone point down to ticks like ``00:28:22.8425``."""
    xs = sorted({t for t in times if t is not None})
    apart = len(xs) < 2 or min(b - a for a, b in zip(xs, xs[1:])) >= timedelta(days=1)
    axis: dict[str, Any] = {"tickformat": "%Y-%m-%d" if apart else "%Y-%m-%d %H:%M", "type": "date"}
    if len(xs) == 1:
        day = xs[0].replace(hour=0, minute=0, second=0, microsecond=0)
        axis.update(range=[day - timedelta(days=1), day + timedelta(days=2)], dtick=DAY_MS, tick0=day)
    return axis


def _figures(data: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(anchor, title, plotly Figure) for each chart; imports plotly lazily (``por --help`` stays fast)."""
    import plotly.graph_objects as go

    layout = dict(template="plotly_white", height=380, margin=dict(l=60, r=20, t=40, b=40), legend=dict(orientation="h"))
    figs = []
    series = data["series"]
    latest_usd: dict[str, float] = {}
    for r in series:
        if r["published_usd"] is not None:
            latest_usd[r["asset"]] = float(r["published_usd"])
    assets = sorted({r["asset"] for r in series}, key=lambda a: (-latest_usd.get(a, 0.0), a))[:TOP_ASSETS]

    ratio = go.Figure()
    palette = ["#1565c0", "#e53935", "#2e7d32", "#f9a825", "#6a1b9a", "#00838f", "#ef6c00", "#5d4037", "#c2185b", "#455a64", "#7cb342", "#3949ab"]
    for i, asset in enumerate(assets):
        pts = [r for r in series if r["asset"] == asset]
        color = palette[i % len(palette)]
        for key, dash, label in (("ratio_published", "solid", "published"), ("ratio_verified", "dash", "verified")):
            ys = [_f(r[key]) for r in pts]
            if any(y is not None for y in ys):
                ratio.add_trace(
                    go.Scatter(
                        x=[r["published_at"] for r in pts], y=ys, mode="lines+markers", name=f"{asset} {label}",
                        legendgroup=asset, line=dict(color=color, dash=dash),
                    )
                )  # fmt: skip
    ratio.add_hline(y=1.0, line_dash="dash", line_color="#e53935")
    ratio.update_xaxes(**time_axis([r["published_at"] for r in series]))
    ratio.update_layout(title="Reserve ratio per asset: published (solid), verified (dashed)", yaxis_title="reserves / liabilities", **layout)
    figs.append(("ratio", "Ratio over the snapshots", ratio))

    reserves = go.Figure()
    if latest_usd:
        for asset in assets:
            pts = [r for r in series if r["asset"] == asset]
            reserves.add_trace(go.Bar(x=[r["published_at"] for r in pts], y=[_f(r["published_usd"]) for r in pts], name=asset))
        verified = {}
        for r in series:
            if r["verified_usd"] is not None:
                verified[r["published_at"]] = verified.get(r["published_at"], 0.0) + float(r["verified_usd"])
        if verified:
            xs = sorted(verified)
            reserves.add_trace(go.Scatter(x=xs, y=[verified[x] for x in xs], name="verified (all assets)", mode="lines+markers", line=dict(color="black")))
        reserves.update_layout(barmode="stack", title="Published reserves in USD per snapshot", yaxis_title="USD", **layout)
    else:
        for asset in assets:
            pts = [r for r in series if r["asset"] == asset]
            reserves.add_trace(go.Scatter(x=[r["published_at"] for r in pts], y=[_f(r["published"]) for r in pts], name=asset, mode="lines+markers"))
        reserves.update_layout(title="Published reserves per asset (coin units; no prices loaded)", yaxis_type="log", **layout)
    reserves.update_xaxes(**time_axis([r["published_at"] for r in series]))
    figs.append(("reserves", "Reserves over the snapshots", reserves))

    priced = [r for r in data["reserves"] if r["published_usd"] is not None and r["published_usd"] > 0]
    comp = go.Figure()
    if priced:
        comp.add_trace(
            go.Pie(
                labels=[r["asset"] + (" (own token)" if r["own_token"] else "") for r in priced],
                values=[float(r["published_usd"]) for r in priced],
                hole=0.45,
                sort=True,
            )
        )
    comp.update_layout(title="USD composition of the published reserves (own token marked)", **layout)
    if not priced:
        comp.update_layout(xaxis_visible=False, yaxis_visible=False)
        comp.add_annotation(text="no prices loaded: run `por prices import FILE` or `por prices fetch`", showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    figs.append(("composition", "USD composition", comp))

    cov = go.Figure()
    networks = sorted({r["network"] for r in data["coverage"]})
    for method in METHOD_ORDER:
        counts = {r["network"]: r["rows"] for r in data["coverage"] if r["method"] == method}
        if counts:
            cov.add_trace(go.Bar(y=networks, x=[counts.get(n, 0) for n in networks], name=method, orientation="h", marker_color=METHOD_COLORS[method]))
    cov.update_layout(showlegend=True, barmode="stack", title="Balances per network by how they were read", xaxis_title="rows", **{**layout, "height": max(300, 24 * len(networks) + 120)})
    figs.append(("coverage", "Coverage by network and method", cov))

    sig = go.Figure(go.Bar(x=[r["status"] for r in data["verdicts"]], y=[r["rows"] for r in data["verdicts"]], marker_color="#1565c0"))
    sig.update_layout(title="Ownership signature verdicts", yaxis_title="rows", **layout)
    figs.append(("signatures", "Signature verdicts", sig))
    return figs


# ------------------------------------------------------------------------------------------ page
CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Liberation Sans", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.meta { color: #555; font-size: 13px; } table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 3px 6px; } th { background: #f5f5f5; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.empty { color: #888; font-style: italic; } .chart { min-height: 300px; } .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
.totals td:first-child { font-weight: 600; }
"""


def render_html(con: duckdb.DuckDBPyConnection, snapshot_id: int) -> str:
    """The page as one string: plotly.js inlined once, then one ``<div>`` per figure."""
    import plotly.offline

    data = report_data(con, snapshot_id)
    snap = data["snapshot"]
    title = f"Proof of Reserves: {snap['exchange']} snapshot {snapshot_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{CSS}</style>",
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script>',
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="meta">'
        + html.escape(
            f"published {_text(snap['effective_time'])} (from {snap['time_source']}); file {snap['source_file']} "
            f"({snap['layout']}, {snap['row_count']:,} rows); page written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by por-indexer"
        )
        + "</p>",
        "<h2>Reserves per asset</h2>",
        _table(data["reserves"], [(c, figure_label(c)) for c in data["reserve_columns"]], "reserves"),
        "<h2>USD totals per snapshot</h2>",
        _table(
            data["totals"],
            [
                ("snapshot_id", "snapshot"), ("published_at", "published"), ("assets_priced", "assets priced"),
                ("assets", "assets"), ("published_usd", "published USD"), ("verified_usd", "verified USD"),
                ("liabilities_usd", "liabilities USD"), ("clean_published_usd", "clean published USD"),
                ("clean_verified_usd", "clean verified USD"), ("share_verified", "share verified"),
                ("ratio_published_usd", "ratio published (USD)"),
            ],  # fmt: skip
            "totals",
        ),
    ]
    for anchor, heading, fig in _figures(data):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.append(
            f'<div class="chart" id="chart-{anchor}">'
            + fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"plot-{anchor}", config={"displaylogo": False, "responsive": True})
            + "</div>"
        )
    parts.append(f"<h2>Reconciliation mismatches ({data['mismatch_count']:,}; largest first, at most {MAX_MISMATCHES})</h2>")
    parts.append(
        _table(
            data["mismatches"],
            [
                ("network", "network"), ("coin", "coin"), ("address", "address"), ("published_amount", "published"),
                ("onchain_amount", "on-chain"), ("difference", "difference"), ("difference_usd", "difference USD"),
                ("block_height", "block"), ("signature_status", "signature"),
            ],  # fmt: skip
            "mismatches",
        )
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html_report(con: duckdb.DuckDBPyConnection, snapshot_id: int, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(con, snapshot_id), encoding="utf-8")
    return out

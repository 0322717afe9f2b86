"""Turns one PoR text into column batches: detail rows, summary totals and rejected rows.

Pure: no database here. The caller decides what to do with each batch, which
keeps this testable on strings and lets the loader stream into DuckDB.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from indexer.ingest.amounts import AmountError, from_base_units, split_decimal, to_base_units
from indexer.models import DETAIL_FIELDS, Coin, Layout
from indexer.models import Registry

NULL_MARKERS = frozenset({"null", "\\n"})  # compared lower-cased, after stripping
BATCH_ROWS = 100_000
SNIFF_BYTES = 8192

ADDRESS_SCHEMA = pa.schema(
    [
        ("row_no", pa.int64()),
        ("coin", pa.string()),
        ("asset", pa.string()),
        ("network", pa.string()),
        ("row_type", pa.string()),
        ("snapshot_height", pa.int64()),
        ("address", pa.string()),
        ("published_amount", pa.string()),
        ("published_base_units", pa.string()),  # exact integer text; CAST to HUGEINT on insert
        ("message", pa.string()),
        ("signature1", pa.string()),
        ("signature2", pa.string()),
        ("script_or_pubkey", pa.string()),
        ("eoa1", pa.string()),
        ("eoa2", pa.string()),
        ("network_published", pa.string()),
        ("coin_known", pa.bool_()),
        ("audit_status", pa.string()),
        ("null_cells", pa.string()),
        ("custodian", pa.string()),
        # What the registry said at ingest, so a later registry fix cannot rescale or re-sign this row.
        # Filled per batch from the coin key (vectorised), not in the per-row loop.
        ("family", pa.string()),
        ("contract", pa.string()),
        ("decimals", pa.int32()),
        ("form", pa.string()),
    ]
)
_RESOLVED = ("family", "contract", "decimals", "form")
ERROR_SCHEMA = pa.schema([("row_no", pa.int64()), ("line_text", pa.string()), ("reason", pa.string())])
TOTALS_SCHEMA = pa.schema(
    [
        ("row_no", pa.int64()),
        ("coin", pa.string()),
        ("snapshot_height", pa.string()),
        ("amount", pa.string()),
        ("scale", pa.int32()),
        ("base_units", pa.string()),
        ("asset", pa.string()),  # set when the row totals a whole asset (ASSET(ALL), or a two-column summary row)
        # A per-coin-key row: the coin keys the exchange's coin map makes the same holding (same asset, network,
        # contract and form: HTX's summary writes USDT-ERC20 where its detail writes USDT-ETH). NULL for an asset row.
        ("covers", pa.list_(pa.string())),
    ]
)
FIRST_REASONS = 5  # rejected lines quoted when a whole file is refused for them


class NotAPorFile(ValueError):
    """The input is not a PoR file at all; the message is one sentence for the user."""


class EmptyPorFile(NotAPorFile):
    """A PoR header with nothing under it: refused, so it never becomes an empty default snapshot."""


class EveryRowRefused(EmptyPorFile):
    """Detail rows, and every one refused: nothing the file claims could be loaded, so it is not a snapshot."""


def first_reasons(stats: ParseStats) -> str:
    """The first refused lines as ``line 7: too few cells ...; line 9: ...`` (for a message)."""
    shown = "; ".join(f"line {line:,}: {reason}" for line, reason in stats.first_errors)
    more = stats.errors - len(stats.first_errors)
    return shown + (f"; {more:,} more" if more > 0 else "")


_OPEN, _CLOSE = "[{", "]}"


def split_cells(raw: str) -> tuple[list[str], bool]:
    """Split one record on commas, except inside unquoted ``[...]``/``{...}`` and inside CSV quotes.

    OKX's VerifyAddress keeps ``[aa,bb]`` as one cell and its audit verifier keeps ``{..,..}``
    (SPEC §1.5); csv.reader would split both and shift every later cell one column right.
    A quoted cell keeps the CSV rules (``""`` is a quote). Returns (cells, brackets balanced).
    Only rows that contain a bracket come here, so speed matters little.
    """
    cells: list[str] = []
    buf: list[str] = []
    depth = 0
    quoted = False
    i, n = 0, len(raw)
    while i < n:
        ch = raw[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and raw[i + 1] == '"':
                    buf.append('"')
                    i += 1
                else:
                    quoted = False
            else:
                buf.append(ch)
        elif ch == '"' and not buf and depth == 0:
            quoted = True
        elif ch == "," and depth == 0:
            cells.append("".join(buf))
            buf = []
        else:
            if ch in _OPEN:
                depth += 1
            elif ch in _CLOSE and depth:
                depth -= 1
            buf.append(ch)
        i += 1
    cells.append("".join(buf))
    return cells, depth == 0 and not quoted


@dataclass
class ParseStats:
    layout: str = ""
    rows: int = 0
    errors: int = 0
    totals: int = 0
    heights: set[int] = field(default_factory=set)
    first_errors: list[tuple[int, str]] = field(default_factory=list)  # (line, reason) of the first refused lines


Sink = Callable[[str, pa.RecordBatch], None]  # ("addresses" | "ingest_errors" | "published_totals", batch)


class _Lines:
    """Feeds csv.reader while remembering each record's physical lines and first line number."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self.line_no = 0
        self.buffer: list[str] = []

    def __iter__(self) -> Iterator[str]:
        for line in self._text:
            self.line_no += 1
            self.buffer.append(line)
            yield line

    def take(self) -> tuple[int, str]:
        """(first line number, raw text) of the record csv.reader just produced."""
        raw = "".join(self.buffer)
        start = self.line_no - len(self.buffer) + 1
        self.buffer.clear()
        return start, raw.rstrip("\r\n")


def open_text(binary: IO[bytes]) -> IO[str]:
    head = binary.peek(SNIFF_BYTES) if hasattr(binary, "peek") else b""
    if b"\x00" in head[:SNIFF_BYTES]:
        raise NotAPorFile("it is a binary file, not a CSV text")
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


class _CoinInfo:
    __slots__ = ("key", "asset", "network", "decimals", "known")

    def __init__(self, key: str, asset: str, network: str, decimals: int | None, known: bool) -> None:
        self.key, self.asset, self.network, self.decimals, self.known = key, asset, network, decimals, known


def _no_layout(cells: list[str]) -> None:
    """No exchange plugin claims the file: no header is one of its layouts."""
    return None


class PorReader:
    """Parses one member. Call ``run(text, sink)``; read ``stats`` afterwards."""

    def __init__(self, reg: Registry, batch_rows: int | None = None, exchange=None) -> None:
        """``exchange`` (an ``indexer.plugins.ExchangePlugin``) supplies the header recognition (its layouts) and
        (coin, network) resolution; None (a file no installed plugin claims) recognises no header, so the file is
        refused with the reason a reader gives (empty, not text, no known header)."""
        self.reg = reg
        self.exchange = exchange
        self._detect = exchange.layout if exchange is not None else _no_layout
        self._summary_width = exchange.summary_width if exchange is not None else _no_layout
        self.batch_rows = batch_rows or BATCH_ROWS
        self.stats = ParseStats()
        self._coin_cache: dict[tuple[str, str, str], _CoinInfo] = {}
        self._audit_keys = self._index_audit_keys(reg)
        self._detail_errors = 0
        self._family_override = ""  # the layout's own family (Layout.family), set with the layout
        self._registry_arrays: tuple[pa.Array, list[pa.Array]] | None = None
        self._cols: dict[str, list] = {n: [] for n in ADDRESS_SCHEMA.names}
        self._errors: dict[str, list] = {n: [] for n in ERROR_SCHEMA.names}
        self._sink: Sink | None = None  # where full batches of rejected rows go as they fill (``_reject``)
        self._holdings: dict[tuple[str, str, str, str], list[str]] | None = None

    # ---- public -------------------------------------------------------------------------
    def run(self, text: IO[str], sink: Sink) -> ParseStats:
        lines = _Lines(text)
        reader = csv.reader(lines)
        head = self.read_head(reader, lines, sink)
        if head is None:
            return self.stats
        layout, summary = head
        self.read_detail_rows(reader, lines, layout, sink)
        return self.finish(sink, summary)

    def read_head(self, reader: Iterator[list[str]], lines: _Lines, sink: Sink) -> tuple[Layout, tuple[dict, dict] | None] | None:
        """Header and summary section: (detail layout, summary rows), or None for a summary-only file (already sunk).

        Reads exactly up to the detail header's last line, so a caller can hand what follows to another parser.
        """
        try:
            first = self._next_nonblank(reader, lines)
        except UnicodeDecodeError:
            raise NotAPorFile("it is not UTF-8 text") from None
        if first is None:
            raise NotAPorFile("it is empty")
        _, _, header = first
        layout_prefix = ""
        summary: tuple[dict, dict] | None = None
        summary_width = self._summary_width(header)
        if summary_width:
            layout_prefix = "summary+"
            detail_header, summary = self._read_summary(reader, lines, summary_width)
            if detail_header is None:
                self.stats.layout = "summary"
                if not self.stats.totals and not self.stats.errors:
                    raise EmptyPorFile("has a summary header and no rows")
                self._flush_summary(sink, summary)
                return None
            header = detail_header
        layout = self._detect(header)
        if layout is None:
            shown = ",".join(header)[:80]
            raise NotAPorFile(f"its header {shown!r} is not a known PoR layout" + ("" if self.exchange is not None else " (no installed exchange plugin recognises it)"))
        self.stats.layout = layout_prefix + layout.name
        self._family_override = layout.family
        return layout, summary

    def read_detail_rows(self, reader: Iterator[list[str]], lines: _Lines, layout: Layout, sink: Sink) -> None:
        """The row path over ``lines``: rows kept in this reader's pending columns, flushed by ``finish``."""
        try:
            self._read_detail(reader, lines, layout, sink)
        except UnicodeDecodeError as exc:
            raise NotAPorFile(f"it is not UTF-8 text (after line {lines.line_no}: {exc.reason})") from None
        except csv.Error as exc:
            raise NotAPorFile(f"its CSV is unreadable at line {lines.line_no}: {exc}") from None

    def finish(self, sink: Sink, summary: tuple[dict, dict] | None) -> ParseStats:
        """Flush pending detail rows; refuse a detail section with no row; then the summary rows."""
        self._flush(sink, "addresses", ADDRESS_SCHEMA, self._cols)
        self._flush(sink, "ingest_errors", ERROR_SCHEMA, self._errors)
        if not self.stats.rows and self._detail_errors == 0:
            raise EmptyPorFile("has a header and no rows")
        if not self.stats.rows:
            n = self._detail_errors
            rows = "its only detail row was" if n == 1 else f"all {n:,} of its detail rows were"
            raise EveryRowRefused(f"has no row that could be loaded: {rows} refused ({first_reasons(self.stats)})")
        if summary is not None:  # after the detail rows, so an empty file is refused before anything is written
            self._flush_summary(sink, summary)
        return self.stats

    # ---- sections -----------------------------------------------------------------------
    @staticmethod
    def _next_nonblank(reader: Iterator[list[str]], lines: _Lines) -> tuple[int, str, list[str]] | None:
        for cells in reader:
            row_no, raw = lines.take()
            if any(c.strip() for c in cells):
                return row_no, raw, cells
        return None

    def _flush_summary(self, sink: Sink, summary: tuple[dict, dict]) -> None:
        cols, errors = summary
        self._flush(sink, "published_totals", TOTALS_SCHEMA, cols)
        self._flush(sink, "ingest_errors", ERROR_SCHEMA, errors)

    def _read_summary(self, reader: Iterator[list[str]], lines: _Lines, width: int) -> tuple[list[str] | None, tuple[dict, dict]]:
        """The summary section's rows (kept in memory: a few hundred at most) and the detail header after it."""
        cols: dict[str, list] = {n: [] for n in TOTALS_SCHEMA.names}
        errors: dict[str, list] = {n: [] for n in ERROR_SCHEMA.names}
        detail_header = None
        for cells in reader:
            row_no, raw = lines.take()
            if not any(c.strip() for c in cells):
                if cols["row_no"] or errors["row_no"]:
                    nxt = self._next_nonblank(reader, lines)
                    detail_header = nxt[2] if nxt else None
                    break
                continue
            if self._detect(cells) is not None:  # a detail header without the blank line
                detail_header = cells
                break
            self._summary_row(row_no, raw, [c.strip() for c in cells], cols, errors, width)
        return detail_header, (cols, errors)

    def _summary_row(self, row_no: int, raw: str, cells: list[str], cols: dict, errors: dict, width: int) -> None:
        def reject(reason: str) -> None:
            errors["row_no"].append(row_no)
            errors["line_text"].append(raw)
            errors["reason"].append(reason)
            self.stats.errors += 1
            if len(self.stats.first_errors) < FIRST_REASONS:
                self.stats.first_errors.append((row_no, reason))

        n = len(cells)
        cells = cells + [""] * (width - n)
        if any(cells[width:]):
            expected = "3 (coin, snapshot height, amount)" if width == 3 else "2 (coin, amount)"
            return reject(f"summary row has {n} cells, expected {expected}")
        if width == 3:
            coin, height, amount = cells[:3]
        else:
            (coin, amount), height = cells[:2], None  # today's two-column summary carries no height
        if not coin:
            return reject("summary row has an empty coin")
        try:
            split_decimal(amount)
        except AmountError as exc:
            return reject(f"bad amount: {exc}")
        asset = self._summary_asset(coin, per_asset_layout=width == 2)
        scale = self._asset_scale(asset) if asset else self._coin_scale(coin)
        units = None
        if scale is not None:
            try:
                units = str(to_base_units(amount, scale))
            except AmountError as exc:
                return reject(f"bad amount: {exc}")
        cols["row_no"].append(row_no)
        cols["coin"].append(coin.upper())
        cols["snapshot_height"].append(height)
        cols["amount"].append(amount)
        cols["scale"].append(scale)
        cols["base_units"].append(units)
        cols["asset"].append(asset)
        cols["covers"].append(None if asset else self._same_holding(coin))
        self.stats.totals += 1

    def _same_holding(self, coin_text: str) -> list[str]:
        """The coin keys that are the same holding as ``coin_text`` in this registry (itself included): same asset,
        network, contract and form. A key the registry lacks, or one without an asset and network, is only itself."""
        if self._holdings is None:
            self._holdings = {}
            for c in self.reg.coins.values():
                if c.asset and c.network:
                    self._holdings.setdefault((c.asset, c.network, c.contract or "", c.form or ""), []).append(c.key)
        coin = self.reg.coin(coin_text.upper())
        if coin is None or not (coin.asset and coin.network):
            return [coin_text.upper()]
        return sorted(self._holdings[(coin.asset, coin.network, coin.contract or "", coin.form or "")])

    def _summary_asset(self, coin: str, *, per_asset_layout: bool) -> str | None:
        """The asset a summary row totals, or None when it totals one coin key.

        ``ASSET(ALL)`` always totals an asset. A two-column summary has one row per asset
        (``BTC``, ``USDT``), so its text is an asset name there, unless no coin counts toward
        an asset of that name and it is a coin key instead (``USDT-TRC20``).
        """
        upper = coin.upper()
        if upper.endswith("(ALL)"):
            return upper[: -len("(ALL)")]
        if per_asset_layout and (any(c.asset == upper for c in self.reg.coins.values()) or self.reg.coin(upper) is None):
            return upper
        return None

    def _asset_scale(self, asset: str) -> int | None:
        """The finest decimals among the asset's coin keys, so the total is exact at that scale."""
        scales = [c.decimals for c in self.reg.coins.values() if c.asset == asset and c.decimals is not None]
        return max(scales) if scales else None

    def _coin_scale(self, coin: str) -> int | None:
        found = self.reg.coin(coin.upper())
        return found.decimals if found else None

    def _read_detail(self, reader: Iterator[list[str]], lines: _Lines, layout: Layout, sink: Sink) -> None:
        """The row path: cells are read by index and column appends are pre-bound.

        The columnar engine sends here only the lines its vectorised checks did not pass, so every
        rejection keeps the reason, line number and text this loop has always given.
        """
        cols, errors = self._cols, self._errors
        self._sink = sink
        index = layout.columns
        fields = [(f, index[f]) for f in DETAIL_FIELDS if f in index]
        positions = [i for _, i in fields]
        field_names = [f for f, _ in fields]
        width, min_cells, required = layout.width, layout.min_cells, layout.required
        required_at = [(f, field_names.index(f)) for f in required]
        padding = [""] * len(DETAIL_FIELDS)
        is_audit = layout.name == "audit"
        in_base_units = layout.amounts_in_base_units
        slot = {f: field_names.index(f) if f in field_names else None for f in DETAIL_FIELDS}
        s_coin, s_type, s_net, s_height, s_addr, s_amount = (slot[f] for f in ("coin", "row_type", "network", "snapshot_height", "address", "amount"))
        s_msg, s_sig1, s_sig2, s_script, s_eoa1, s_eoa2 = (slot[f] for f in ("message", "signature1", "signature2", "script_or_pubkey", "eoa1", "eoa2"))
        s_asset, s_status, s_cust = slot["asset"], slot["audit_status"], slot["custodian"]
        out = [cols[n].append for n in ADDRESS_SCHEMA.names if n not in _RESOLVED]
        (a_row, a_coin, a_asset, a_net, a_type, a_height, a_addr, a_amount, a_units, a_msg, a_sig1, a_sig2, a_script,
         a_eoa1, a_eoa2, a_netpub, a_known, a_status, a_nulls, a_cust) = out  # fmt: skip
        markers = NULL_MARKERS | layout.null_markers
        extra_markers = tuple(layout.null_markers)
        amount_optional = layout.amount_optional
        fixed_cells = [text for _, text in layout.fixed]  # cells every row has and the file does not write
        row_nos = cols["row_no"]
        stats, heights, batch_rows = self.stats, self.stats.heights, self.batch_rows
        coin_info = self._audit_coin if is_audit else (self._pair_coin if layout.pair_coins else self._coin)
        for cells in reader:
            row_no, raw = lines.take()
            if "[" in raw or "{" in raw:  # rare: csv.reader split inside brackets (SPEC §1.5)
                cells, balanced = split_cells(raw)
                if not balanced:
                    self._reject(errors, row_no, raw, "a '[' or '{' is never closed, so the row's cells cannot be told apart")
                    continue
            n = len(cells)
            if n < min_cells or n > width:
                if not any(c.strip() for c in cells):
                    continue  # a blank line or a row of empty cells carries nothing
                if n < min_cells:
                    self._reject(errors, row_no, raw, f"too few cells: {n}, the {layout.name} layout needs at least {min_cells}")
                    continue
                # More cells than the header: some cell held a separator, and which one cannot be known,
                # so the row is refused rather than read with its cells in the wrong columns.
                self._reject(errors, row_no, raw, f"too many cells: {n}, the header has {width}")
                continue
            if n < width:
                cells = cells + padding[: width - n]
            if fixed_cells:
                cells = cells + fixed_cells
            v = [cells[i].strip() for i in positions]
            nulls = None
            lowered = raw.lower()
            if "null" in lowered or "\\n" in lowered or (extra_markers and any(m in lowered for m in extra_markers)):  # cheap pre-filter
                for j, cell in enumerate(v):
                    if cell and cell.lower() in markers:
                        v[j] = ""
                        nulls = f"{nulls},{field_names[j]}" if nulls else field_names[j]
            missing = [f for f, j in required_at if not v[j]]
            if missing:
                self._reject(errors, row_no, raw, "empty " + ", ".join(m.replace("_", " ") for m in missing))
                continue
            published_network = v[s_net] if s_net is not None else ""
            info = coin_info(v[s_asset] if is_audit else v[s_coin], published_network)
            height = None
            if s_height is not None:
                height_text = v[s_height]
                if height_text and height_text != "-":
                    if not (height_text.isascii() and height_text.isdigit()) or int(height_text) >= 2**63:  # BIGINT column
                        self._reject(errors, row_no, raw, f"bad snapshot height: {height_text!r}")
                        continue
                    height = int(height_text)
                    heights.add(height)
            amount: str | None = None
            units: str | None = None
            if not is_audit and not (amount_optional and not v[s_amount]):  # an absent amount stays NULL, never 0
                amount = v[s_amount]
                try:
                    if in_base_units:
                        if not (amount.isascii() and amount.isdigit()):
                            raise AmountError(f"{amount!r} is not an integer number of base units")
                        units = str(int(amount))
                        amount = from_base_units(int(amount), info.decimals) if info.decimals is not None else None
                    elif info.decimals is not None:
                        units = str(to_base_units(amount, info.decimals))
                    else:
                        split_decimal(amount)
                except AmountError as exc:
                    self._reject(errors, row_no, raw, f"amount {exc} ({info.key})" if "decimals;" in str(exc) else f"bad amount: {exc}")
                    continue
            a_row(row_no)
            a_coin(info.key)
            a_asset(info.asset)
            a_net(info.network)
            a_type(v[s_type] or None if s_type is not None else None)
            a_height(height)
            a_addr(v[s_addr])
            a_amount(amount)
            a_units(units)
            a_msg(v[s_msg] if s_msg is not None else "")
            a_sig1(v[s_sig1] if s_sig1 is not None else "")
            a_sig2(v[s_sig2] if s_sig2 is not None else "")
            a_script(v[s_script] if s_script is not None else "")
            a_eoa1(v[s_eoa1] if s_eoa1 is not None else "")
            a_eoa2(v[s_eoa2] if s_eoa2 is not None else "")
            a_netpub(published_network or None)
            a_known(info.known)
            a_status(v[s_status] or None if s_status is not None else None)
            a_nulls(nulls)
            a_cust((v[s_cust] or None) if s_cust is not None else None)
            stats.rows += 1
            if len(row_nos) >= batch_rows:
                self._flush(sink, "addresses", ADDRESS_SCHEMA, cols)

    def _coin(self, coin_text: str, published_network: str) -> _CoinInfo:
        cache_key = (coin_text, published_network, "")
        info = self._coin_cache.get(cache_key)
        if info is None:
            coin = self.reg.coin(coin_text)
            network = self.reg.resolve_network(coin_text, published_network)
            keyed_by_network = self._network_keyed(coin_text, coin, published_network)
            if keyed_by_network is not None:
                info = keyed_by_network
            elif coin is None:
                info = _CoinInfo(coin_text.upper(), coin_text.upper(), network, None, False)
            else:
                info = _CoinInfo(coin.key, coin.asset or coin.key, network, coin.decimals, True)
            self._coin_cache[cache_key] = info
        return info

    def _network_keyed(self, coin_text: str, coin: Coin | None, published_network: str) -> _CoinInfo | None:
        """An OKX row keyed the new way (SPEC §2.0): the coin cell names the asset, the Network cell the chain.

        ``USDT`` on ``OKB-X1`` is USDT on X Layer, not the Omni USDT the key ``USDT`` names alone; reading it
        on the key's chain would read another chain's balance. So when the Network cell names a registry
        network other than the key's, the row takes the one registry coin of that asset on that network.
        With none, or with several (X Layer has bridged USDT and USD₮0), no contract is guessed: the row
        keeps the asset and network with no coin facts, and the fetch records it as an error row.
        Only for an exchange whose plugin says its Network cell names the chain (``network_keyed``: OKX).
        """
        if not published_network or self.exchange is None or not self.exchange.network_keyed:
            return None
        net = self.reg.network(published_network)
        if net is None or (coin is not None and (not coin.network or net.name == coin.network)):
            return None
        asset = (coin.asset or coin.key).upper() if coin is not None else coin_text.strip().upper()
        candidates = self._audit_keys.get((asset, net.name), [])
        if len(candidates) == 1:
            found = self.reg.coins[candidates[0]]
            return _CoinInfo(found.key, asset, net.name, found.decimals, True)
        if coin is None:
            return None  # an unknown key on a known network: read as before (asset and network from the row)
        decimals = net.native_decimals if not candidates and net.is_native(asset) else None
        return _CoinInfo(coin.key, asset, net.name, decimals, False)

    def _pair_coin(self, coin_text: str, network_text: str) -> _CoinInfo:
        """A row that names its coin and network apart (Binance): the exchange plugin maps the pair to a key."""
        cache_key = (coin_text, network_text, "pair")
        info = self._coin_cache.get(cache_key)
        if info is None:
            key = self.exchange.pair_key(coin_text, network_text, self.reg) if self.exchange is not None and self.exchange.pair_key else None
            coin = self.reg.coin(key) if key else None
            if coin is None:
                network = self.reg.resolve_network(network_text, network_text)
                info = _CoinInfo(coin_text.upper(), coin_text.upper(), network, None, False)
            else:
                info = _CoinInfo(coin.key, coin.asset or coin_text.upper(), coin.network, coin.decimals, True)
            self._coin_cache[cache_key] = info
        return info

    def _audit_coin(self, asset_text: str, network_text: str) -> _CoinInfo:
        """Audit rows name an asset and a network; the coin key is the registry coin for that pair.

        OKX's audit verifier keys the algorithm on the network column; when no coin
        matches the pair we keep that column as the key, which selects the same family.
        """
        cache_key = (asset_text, network_text, "audit")
        info = self._coin_cache.get(cache_key)
        if info is None:
            asset = asset_text.upper()
            network = self.reg.resolve_network(network_text, network_text)
            candidates = self._audit_keys.get((asset, network), [])
            key = network_text if network_text in candidates else (candidates[0] if candidates else network_text)
            coin = self.reg.coin(key)
            decimals = coin.decimals if coin and coin.asset == asset else None
            info = _CoinInfo(coin.key if coin else key, asset, network, decimals, coin is not None)
            self._coin_cache[cache_key] = info
        return info

    @staticmethod
    def _index_audit_keys(reg: Registry) -> dict[tuple[str, str], list[str]]:
        index: dict[tuple[str, str], list[str]] = {}
        for coin in reg.coins.values():
            if coin.asset and coin.network:
                index.setdefault((coin.asset, coin.network), []).append(coin.key)
        return {k: sorted(v, key=len) for k, v in index.items()}

    # ---- plumbing -----------------------------------------------------------------------
    def _reject(self, errors: dict, row_no: int, raw: str, reason: str) -> None:
        """Record a refused detail line; a full batch goes to the sink at once, so a file of refused rows
        holds one batch of them in memory, as a file of good rows does."""
        errors["row_no"].append(row_no)
        errors["line_text"].append(raw)
        errors["reason"].append(reason)
        self.stats.errors += 1
        self._detail_errors += 1
        if len(self.stats.first_errors) < FIRST_REASONS:
            self.stats.first_errors.append((row_no, reason))
        if len(errors["row_no"]) >= self.batch_rows and self._sink is not None:
            self._flush(self._sink, "ingest_errors", ERROR_SCHEMA, errors)

    def _registry_columns(self) -> tuple[pa.Array, list[pa.Array]]:
        """The registry as Arrow columns (coin keys; family, contract, decimals), built once per reader."""
        if self._registry_arrays is None:
            coins = list(self.reg.coins.values())
            keys = pa.array([c.key for c in coins], pa.string())
            values = [
                pa.array([c.family for c in coins], pa.string()),
                pa.array([c.contract for c in coins], pa.string()),
                pa.array([c.decimals for c in coins], pa.int32()),
                pa.array([c.form or None for c in coins], pa.string()),
            ]
            self._registry_arrays = (keys, values)
        return self._registry_arrays

    def address_batch(self, arrays: list[pa.Array]) -> pa.RecordBatch:
        """An ``addresses`` batch from its parsed columns (schema order, without the registry ones), plus those."""
        keys, (family, contract, decimals, form) = self._registry_columns()
        coin = arrays[ADDRESS_SCHEMA.names.index("coin")]
        if pa.types.is_dictionary(coin.type):
            at = pc.take(pc.index_in(coin.dictionary, value_set=keys), coin.indices)  # null for a coin the registry lacks
        else:
            at = pc.index_in(coin, value_set=keys)
        # A row whose coin the reader could not resolve (``known`` false) takes no registry facts even when its
        # key text is a registry key: ``USDT`` on an unresolved network must not inherit Omni USDT's contract.
        at = pc.if_else(arrays[ADDRESS_SCHEMA.names.index("coin_known")], at, pa.scalar(None, at.type))
        # Dictionary-encoded: a handful of distinct strings over 100k rows costs an index each, not a copy.
        arrays = [*arrays, pa.DictionaryArray.from_arrays(at, family), pa.DictionaryArray.from_arrays(at, contract), pc.take(decimals, at),
                  pa.DictionaryArray.from_arrays(at, form)]  # fmt: skip
        if self._family_override:
            arrays[ADDRESS_SCHEMA.names.index("family")] = _constant_dictionary(self._family_override, len(at))
        elif self.exchange is not None and self.exchange.row_family is not None:  # OKX: the Network cell chooses the scheme
            arrays[ADDRESS_SCHEMA.names.index("family")] = self.exchange.row_family(
                arrays[ADDRESS_SCHEMA.names.index("family")], arrays[ADDRESS_SCHEMA.names.index("network_published")]
            )
        return pa.RecordBatch.from_arrays(arrays, names=ADDRESS_SCHEMA.names)

    def _flush(self, sink: Sink, table: str, schema: pa.Schema, cols: dict[str, list]) -> None:
        if not cols[schema.names[0]]:
            return
        if table == "addresses":
            sink(table, self.address_batch([pa.array(cols[n], schema.field(n).type) for n in schema.names if n not in _RESOLVED]))
        else:
            sink(table, pa.RecordBatch.from_arrays([pa.array(cols[n], schema.field(n).type) for n in schema.names], schema=schema))
        for values in cols.values():
            values.clear()


def _constant_dictionary(text: str, n: int) -> pa.DictionaryArray:
    """``text`` on every one of ``n`` rows, dictionary-encoded like the registry columns it replaces."""
    return pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), pa.array([text], pa.string()))

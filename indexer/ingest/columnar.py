"""The ingest engine: the detail section parsed by pyarrow's CSV reader in byte blocks, checked in Arrow compute.

Why: a Python loop over 700k rows costs ~9 s; pyarrow splits the same file in well under one. The row
path (``PorReader``) stays the one authority on what a row means: every line a vectorised
check does not pass with certainty (a bad amount, an empty address, a bracket cell, a wrong
cell count, non-ASCII text, ...) is handed to it, so ``ingest_errors`` keeps its line
numbers, texts and reasons, and a row the fast path accepts is exactly what the row path
would have produced. Memory is bounded by the block size: each block becomes one Arrow batch
given to the sink and is dropped.

Line numbers must stay exact, so a block is parsed with quoting off and only when every
physical line is one record. A cell written whole in quotes with no quote inside (Binance writes
``""`` for "no custodian" on every row) is unquoted in Arrow, as ``csv.reader`` would; any other
quote (one that may open a cell spanning lines), a bare CR or non-UTF-8 bytes hands the rest of
the member, from that block on, to the row path. Blank lines (pyarrow reads them as rows of
empty cells) are dropped and the block parsed again with their numbers kept (the row path skips
them too).

Exchange dialects are the layout's data (``Layout``): extra null markers (HTX's ``-``), an
optional amount (NULL, never 0), a custodian column, coins named by (coin, network) pairs.

The layout is a column mapping (``Layout.columns``: field -> cell index), so any layout the
header recognition returns is read here; layouts whose amounts are base units (legacy7) take
the row path (2022 files, a few thousand rows), and so do layouts with cells the file does not write
(``Layout.fixed``: OKX's ETH staking file, one row per validator).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Iterator
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from indexer.models import DETAIL_FIELDS, Layout
from indexer.ingest.reader import NULL_MARKERS, SNIFF_BYTES, NotAPorFile, ParseStats, PorReader, Sink, _Lines
from indexer.models import Registry

BLOCK_BYTES = 32 << 20
FIRST_BLOCK_BYTES = 4 << 20
# Python's str.strip() removes exactly these from an ASCII string; the fast path only sees ASCII rows.
_ASCII_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"
_AMOUNT = r"^(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]*))?$"  # a subset of split_decimal's grammar; the rest takes the row path
_HEIGHT = r"^[0-9]{1,18}$"  # fits int64; longer digit runs take the row path
_ZEROS = pa.array(["0" * k for k in range(80)])
_QUOTE = re.compile(b'"')
_arange_cache: list[pa.Array] = [pa.array([], pa.int64())]


def _line_numbers(first: int, n: int) -> pa.Array:
    """first, first + 1, ..., first + n - 1 as int64 (a cached 0..n-1 shifted: a Python range per block costs ~10 ms)."""
    if len(_arange_cache[0]) < n:
        _arange_cache[0] = pa.array(range(max(n, 2 * len(_arange_cache[0]))), pa.int64())
    return pc.add(_arange_cache[0].slice(0, n), pa.scalar(first, pa.int64()))


def _case_variants(markers: frozenset[str]) -> pa.Array:
    """Every ASCII-case spelling of the lower-cased markers: the row path compares ``cell.lower()``; Arrow looks up exactly."""
    spelled: set[str] = set()
    for marker in markers:
        spelled |= {"".join(c) for c in itertools.product(*[{ch, ch.upper()} for ch in marker])}
    return pa.array(sorted(spelled), pa.string())

Progress = Callable[[int, int], None]  # (rows loaded so far in this member, bytes read so far)


class _Chain(io.RawIOBase):
    """``prefix`` then the rest of ``stream``: hands the row path the bytes from a block onwards."""

    def __init__(self, prefix: bytes, stream: IO[bytes]) -> None:
        self._prefix = memoryview(prefix)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self._prefix:
            n = min(len(buffer), len(self._prefix))
            buffer[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _NumberedLines(_Lines):
    """``_Lines`` over (line number, text) pairs that need not be adjacent: the fallback lines of a block."""

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        super().__init__(io.StringIO())
        self._pairs = pairs

    def __iter__(self) -> Iterator[str]:
        for line_no, text in self._pairs:
            self.line_no = line_no
            self.buffer.append(text)
            yield text


def _head_lines(binary: IO[bytes]) -> Iterator[str]:
    """The member's lines for the header/summary section, read one at a time so the stream stops right after them."""
    first = True
    while True:
        raw = binary.readline()
        if not raw:
            return
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        body = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1] if raw.endswith(b"\n") else raw
        if b"\r" in body:
            raise _Irregular  # a bare CR is a line break to the row path; restart there
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _Irregular from None


def _split_lines(block: bytes) -> list[str]:
    """The block's lines as the row path numbers them (CR LF or LF; a regular block has no bare CR)."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    return [line.decode("utf-8").removesuffix("\r") for line in lines]


def _unquoted(cells: list[pa.Array]) -> list[pa.Array] | None:
    """Cells written whole in quotes (``""``, ``"Ceffu"``) unquoted as csv.reader does; None when any other quote is
    present (inside a cell, or opening one that may span lines): the row path must read that text."""
    out = []
    for column in cells:
        data = column.buffers()[2]
        if data is None or not _QUOTE.search(data):  # a byte scan of the column's text, no per-cell kernel
            out.append(column)
            continue
        quotes = pc.count_substring(column, '"')
        whole = pc.and_(pc.equal(quotes, 2), pc.and_(pc.starts_with(column, '"'), pc.ends_with(column, '"')))
        if not pc.all(pc.or_(pc.equal(quotes, 0), whole)).as_py():
            return None
        out.append(pc.if_else(whole, pc.utf8_slice_codeunits(column, 1, -1), column))
    return out


class _Irregular(Exception):
    """The header section holds something only the row path reads the same way (bare CR, bad UTF-8)."""


class ColumnarReader(PorReader):
    """Parses one member from its bytes. ``run_binary(open_member, sink)``; ``stats`` afterwards."""

    def __init__(self, reg: Registry, block_bytes: int | None = None, on_progress: Progress | None = None, exchange=None) -> None:
        super().__init__(reg, exchange=exchange)
        self.block_bytes = block_bytes or BLOCK_BYTES
        self.on_progress = on_progress
        self.fallback_lines = 0  # lines the vectorised checks handed to the row path (for tests and benchmarks)
        self._marker_arrays: dict[frozenset[str], pa.Array] = {}

    def run_binary(self, open_member: Callable[[], IO[bytes]], sink: Sink) -> ParseStats:
        with open_member() as binary:
            head = binary.peek(SNIFF_BYTES) if hasattr(binary, "peek") else b""
            if b"\x00" in head[:SNIFF_BYTES]:
                raise NotAPorFile("it is a binary file, not a CSV text")
            lines = _Lines(_head_lines(binary))  # type: ignore[arg-type]
            try:
                found = self.read_head(csv.reader(lines), lines, sink)
            except _Irregular:
                found = False
            if found is False:  # nothing was sunk yet: the row path reads the whole member
                binary.close()
                self.stats = ParseStats()
                with open_member() as again:
                    return self.run(io.TextIOWrapper(again, encoding="utf-8-sig", newline=""), sink)
            if found is None:
                return self.stats
            layout, summary = found
            self._read_blocks(binary, lines.line_no, layout, sink)
            return self.finish(sink, summary)

    # ---- blocks ---------------------------------------------------------------------------
    def _read_blocks(self, binary: IO[bytes], last_line: int, layout: Layout, sink: Sink) -> None:
        """Cut the detail bytes at line ends, parse each block; the first irregular block hands over to the row path."""
        carry = b""
        read = 0
        size = min(self.block_bytes, FIRST_BLOCK_BYTES)  # the writer waits for the first block: keep it small
        while True:
            chunk = binary.read(size)
            size = self.block_bytes
            read += len(chunk)
            if not chunk and not carry:
                return
            if chunk:
                cut = chunk.rfind(b"\n") + 1
                if cut == 0:  # no line end in this chunk: keep reading
                    carry += chunk
                    continue
                block = b"".join((carry, memoryview(chunk)[:cut]))  # one copy
                carry = chunk[cut:]
            else:
                block, carry = carry, b""
            done = None if layout.amounts_in_base_units or layout.fixed or not self._regular(block) else self._block(block, last_line, layout, sink)
            if done is None:
                self._row_path_rest(block + carry, binary, last_line, layout, sink)
                return
            last_line = done
            if self.on_progress:
                self.on_progress(self.stats.rows, read)

    @staticmethod
    def _regular(block: bytes) -> bool:
        """Lines end where the row path ends them (no bare CR) and the text is UTF-8. Quotes are judged after the parse."""
        if b"\r" in block and block.count(b"\r") != block.count(b"\r\n"):
            return False
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                return False
        return True

    def _row_path_rest(self, rest: bytes, binary: IO[bytes], last_line: int, layout: Layout, sink: Sink) -> None:
        text = io.TextIOWrapper(io.BufferedReader(_Chain(rest, binary), 1 << 20), encoding="utf-8", newline="")
        lines = _Lines(text)
        lines.line_no = last_line
        self.read_detail_rows(csv.reader(lines), lines, layout, sink)

    def _row_path_lines(self, pairs: list[tuple[int, str]], layout: Layout, sink: Sink) -> None:
        if pairs:
            self.fallback_lines += len(pairs)
            lines = _NumberedLines(pairs)
            self.read_detail_rows(csv.reader(lines), lines, layout, sink)

    @staticmethod
    def _parse(data: bytes, layout: Layout) -> tuple[pa.Table, list[str]]:
        """The block's cells, all text, quoting off; and the lines pyarrow set aside for a wrong cell count."""
        invalid: list[str] = []

        def on_invalid(row: pv.InvalidRow) -> str:
            invalid.append(row.text or "")
            return "skip"

        names = [f"c{i}" for i in range(layout.width)]
        table = pv.read_csv(
            pa.py_buffer(data),
            read_options=pv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pv.ParseOptions(quote_char=False, ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        ).combine_chunks()
        return table, invalid

    @staticmethod
    def _has_empty_rows(table: pa.Table) -> bool:
        """A row whose every cell is empty: a blank line (pyarrow keeps it as a row, the row path skips it) or a row of commas."""
        empty = None
        for column in table.columns:
            cell_empty = pc.equal(pc.binary_length(column), 0)
            empty = cell_empty if empty is None else pc.and_(empty, cell_empty)
            if not pc.any(empty).as_py():
                return False
        return empty is not None

    def _block(self, block: bytes, last_line: int, layout: Layout, sink: Sink) -> int | None:
        """Parse one block; returns the number of its last line, or None (nothing sunk) when its quotes need the row path."""
        n_lines = block.count(b"\n") + (0 if block.endswith(b"\n") else 1)
        first = last_line + 1
        lines: list[str] | None = None  # the block's lines, split in Python only when a rare case needs them
        numbers: list[int] | None = None  # line numbers of the parsed lines when not simply first, first + 1, ...
        table, invalid = self._parse(block, layout)
        if self._has_empty_rows(table):
            # Blank lines carry nothing on the row path, and it does not number them as rows: drop them, keep the numbers.
            split = _split_lines(block)
            kept = [i for i, line in enumerate(split) if line]
            lines, numbers = [split[i] for i in kept], [first + i for i in kept]
            if not lines:
                return last_line + n_lines
            table, invalid = self._parse("\n".join(lines).encode() + b"\n", layout)
        quoted = b'"' in block
        if quoted and any('"' in text for text in invalid):
            return None  # a quote on a line of the wrong cell count may open a cell that spans lines
        fallback: list[tuple[int, str]] = []
        if invalid:  # wrong cell counts: find their lines (rare, so a Python pass over this block is fine)
            if lines is None:
                lines, numbers = _split_lines(block), list(range(first, first + n_lines))
            assert numbers is not None
            bad = [i for i, line in enumerate(lines) if line.count(",") != layout.width - 1]
            fallback = [(numbers[i], lines[i]) for i in bad]
            numbers = [numbers[i] for i in sorted(set(range(len(lines))) - set(bad))]
        if table.num_rows != (len(numbers) if numbers is not None else n_lines):  # never seen: the row path is always right
            if quoted:
                return None  # line by line would split a quoted cell that spans lines
            self._row_path_lines(list(zip(range(first, first + n_lines), _split_lines(block))), layout, sink)
            return last_line + n_lines
        line_nos = pa.array(numbers, pa.int64()) if numbers is not None else _line_numbers(first, n_lines)
        raw = [table.column(i).chunk(0) if table.column(i).num_chunks else pa.array([], pa.string()) for i in range(layout.width)]
        cols = _unquoted(raw) if quoted else raw
        if cols is None:
            return None
        ok, batch = self._vectorised(block, cols, line_nos, layout)
        if batch is not None and batch.num_rows:
            self.stats.rows += batch.num_rows
            sink("addresses", batch)
        if ok is not None:
            rejected = pc.invert(ok)
            text = pc.binary_join_element_wise(*[c.filter(rejected) for c in raw], ",")  # quoting is off: the line as written
            fallback += zip(line_nos.filter(rejected).to_pylist(), text.to_pylist())
        fallback.sort()
        self._row_path_lines(fallback, layout, sink)
        return last_line + n_lines

    # ---- the vectorised row --------------------------------------------------------------
    def _vectorised(self, block: bytes, cells: list[pa.Array], line_nos: pa.Array, layout: Layout) -> tuple[pa.Array | None, pa.RecordBatch | None]:
        """(rows that passed, or None when all did; their ``addresses`` batch). Mirrors ``PorReader._read_detail``."""
        n = len(line_nos)
        if n == 0:
            return None, None
        checks: list[pa.Array] = []
        if b"[" in block or b"{" in block:  # bracket cells are split by split_cells on the row path
            for c in cells:
                checks.append(pc.invert(pc.match_substring_regex(c, r"[\[{]")))
        index = layout.columns
        fields = [f for f in DETAIL_FIELDS if f in index]
        if not block.isascii():  # str.strip() and str.lower() on other scripts: the row path decides
            for f in fields:
                checks.append(pc.string_is_ascii(cells[index[f]]))
        v = {f: pc.utf8_trim(cells[index[f]], _ASCII_WHITESPACE) for f in fields}
        null_cells = pa.nulls(n, pa.string())
        pieces = []
        markers = self._markers(layout)
        for f in fields:
            marked = pc.is_in(v[f], value_set=markers)
            if pc.any(marked).as_py():
                v[f] = pc.if_else(marked, "", v[f])
                pieces.append(pc.if_else(marked, f + ",", ""))
        if pieces:  # the row path's comma-joined names of the cells that held a null marker
            joined = pc.utf8_rtrim(pc.binary_join_element_wise(*pieces, ""), ",")
            null_cells = pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
        for f in layout.required:
            checks.append(pc.greater(pc.utf8_length(v[f]), 0))
        is_audit = layout.name == "audit"
        empty = pa.repeat(pa.scalar("", pa.string()), n)
        published_network = v.get("network", empty)
        info_of = self._audit_coin if is_audit else (self._pair_coin if layout.pair_coins else self._coin)
        key, asset, network, decimals, known = self._resolve(v["asset"] if is_audit else v["coin"], published_network, info_of)
        height = pa.nulls(n, pa.int64())
        if "snapshot_height" in v:
            h = v["snapshot_height"]
            numeric = pc.match_substring_regex(h, _HEIGHT)
            checks.append(pc.or_(numeric, pc.is_in(h, value_set=pa.array(["", "-"]))))
            height = pc.if_else(numeric, pc.cast(pc.if_else(numeric, h, "0"), pa.int64()), pa.scalar(None, pa.int64()))
        amount = pa.nulls(n, pa.string())
        units = pa.nulls(n, pa.string())
        if not is_audit:
            amount = v["amount"]
            parts = pc.extract_regex(amount, _AMOUNT)  # null where the amount is not plain digits[.digits]
            absent = pc.equal(amount, "") if layout.amount_optional else None  # no claimed amount: NULL, never 0
            checks.append(pc.is_valid(parts) if absent is None else pc.or_(pc.is_valid(parts), absent))
            whole = pc.fill_null(pc.struct_field(parts, "whole"), "0")
            # Trailing zeros carry no value (Binance writes 18 places for every coin); any other digit past the
            # coin's decimals would need rounding, which the row path refuses with its reason.
            frac = pc.utf8_rtrim(pc.fill_null(pc.struct_field(parts, "frac"), ""), "0")
            pad = pc.subtract(pc.cast(decimals, pa.int64()), pc.utf8_length(frac).cast(pa.int64()))
            checks.append(pc.or_kleene(pc.is_null(decimals), pc.greater_equal(pad, 0)))
            zeros = pc.take(_ZEROS, pc.if_else(pc.greater_equal(pad, 0), pad, 0).fill_null(0))
            digits = pc.utf8_ltrim(pc.binary_join_element_wise(whole, frac, zeros, ""), "0")
            digits = pc.if_else(pc.equal(digits, ""), "0", digits)
            units = pc.if_else(pc.is_null(decimals), pa.scalar(None, pa.string()), digits)
            if absent is not None and pc.any(absent).as_py():
                amount = pc.if_else(absent, pa.scalar(None, pa.string()), amount)
                units = pc.if_else(absent, pa.scalar(None, pa.string()), units)
        ok = None
        for check in checks:
            ok = check if ok is None else pc.and_kleene(ok, check)
        if ok is not None:
            ok = pc.fill_null(ok, False)  # a check that could not be computed is a check not passed
        if ok is not None and pc.all(ok).as_py():
            ok = None
        keep = (lambda a: a) if ok is None else (lambda a: a.filter(ok))
        kept_height = keep(height)
        self.stats.heights.update(pc.unique(kept_height.drop_null()).to_pylist())

        def text(field: str) -> pa.Array:
            return keep(v[field]) if field in v else keep(empty)

        def or_null(field: str) -> pa.Array:  # the row path's ``v[s] or None``
            if field not in v:
                return keep(pa.nulls(n, pa.string()))
            kept = keep(v[field])
            return pc.if_else(pc.equal(kept, ""), pa.scalar(None, pa.string()), kept)

        arrays = [
            keep(line_nos), keep(key), keep(asset), keep(network), pc.dictionary_encode(or_null("row_type")), kept_height,
            text("address"), keep(amount), keep(units), pc.dictionary_encode(text("message")), text("signature1"),
            text("signature2"), text("script_or_pubkey"), text("eoa1"), text("eoa2"), pc.dictionary_encode(or_null("network")),
            keep(known), or_null("audit_status"), keep(null_cells), or_null("custodian"),
        ]  # fmt: skip
        return ok, self.address_batch(arrays)

    def _markers(self, layout: Layout) -> pa.Array:
        """The texts that mean "absent" in this layout, in every case spelling (built once per layout)."""
        if layout.null_markers not in self._marker_arrays:
            self._marker_arrays[layout.null_markers] = _case_variants(NULL_MARKERS | layout.null_markers)
        return self._marker_arrays[layout.null_markers]

    def _resolve(self, coin: pa.Array, published_network: pa.Array, info_of: Callable) -> tuple[pa.Array, ...]:
        """Registry facts per row, computed once per distinct (coin text, network text) pair."""
        coins = pc.dictionary_encode(coin)
        nets = pc.dictionary_encode(published_network)
        width = max(len(nets.dictionary), 1)
        combo = pc.add(pc.multiply(coins.indices.cast(pa.int64()), width), nets.indices.cast(pa.int64()))
        distinct = pc.unique(combo)
        at = pc.index_in(combo, value_set=distinct)
        coin_texts, net_texts = coins.dictionary.to_pylist(), nets.dictionary.to_pylist()
        infos = [info_of(coin_texts[c // width], net_texts[c % width]) for c in distinct.to_pylist()]
        # Dictionary-encoded: a few distinct strings a block; DuckDB takes them in without a copy per row.
        return (
            pa.DictionaryArray.from_arrays(at, pa.array([i.key for i in infos], pa.string())),
            pa.DictionaryArray.from_arrays(at, pa.array([i.asset for i in infos], pa.string())),
            pa.DictionaryArray.from_arrays(at, pa.array([i.network for i in infos], pa.string())),
            pc.take(pa.array([i.decimals for i in infos], pa.int32()), at),
            pc.take(pa.array([i.known for i in infos], pa.bool_()), at),
        )

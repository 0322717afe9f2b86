"""Arrow batches written to a temporary file as they come, read back later as one stream.

Why: a member's address rows stream into DuckDB as one ``INSERT`` while the parser runs, and one connection
runs one statement at a time, so the rejected rows the same pass produces cannot go into ``ingest_errors``
until that statement ends. Held in memory they grew with the file (4M refused Binance rows: 1.6 GB); spilled
here, compressed, they take one batch of memory on the way out and on the way into DuckDB, like the rows.
"""

from __future__ import annotations

import os
import tempfile
from types import TracebackType

import pyarrow as pa

_CODEC = "lz4" if pa.Codec.is_available("lz4") else None


class Spill:
    """Append tables of one schema (``write``), then stream them back once (``reader``). The file is made on the
    first write (a member without rejected rows makes none) and removed on ``close``."""

    def __init__(self) -> None:
        self.rows = 0
        self._path: str | None = None
        self._file: pa.OSFile | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None
        self._source: pa.OSFile | None = None

    def write(self, table: pa.Table) -> None:
        if self._writer is None:
            fd, self._path = tempfile.mkstemp(prefix="por-ingest-", suffix=".arrows")
            os.close(fd)
            self._file = pa.OSFile(self._path, "wb")
            self._writer = pa.ipc.new_stream(self._file, table.schema, options=pa.ipc.IpcWriteOptions(compression=_CODEC))
        self._writer.write_table(table)
        self.rows += table.num_rows

    def reader(self) -> pa.RecordBatchReader | None:
        """The tables written, in order, as a stream (None when nothing was written)."""
        if self._writer is None:
            return None
        self._writer.close()
        assert self._file is not None and self._path is not None
        self._file.close()
        self._source = pa.OSFile(self._path, "rb")  # read, not mapped: mapped pages would count as the process's memory
        return pa.ipc.open_stream(self._source)

    def close(self) -> None:
        for handle in (self._writer, self._file, self._source):
            if handle is not None:
                try:
                    handle.close()
                except (OSError, pa.ArrowException):
                    pass  # already closed
        self._writer = self._file = self._source = None
        if self._path is not None:
            try:
                os.unlink(self._path)
            except FileNotFoundError:
                pass
            self._path = None

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

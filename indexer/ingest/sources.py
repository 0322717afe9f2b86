"""Opens what the user points at — plain text, gzip, or a zip of several files — as members.

Formats are recognised by their magic bytes, not their file names, because
published archives are routinely renamed.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# A zip starts with a local file header (or, empty, with the end record); its directory sits at the very end.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
# What reading a cut or corrupted archive raises: zipfile's own errors (no directory, bad CRC), zlib's on a
# broken deflate stream, gzip's CRC/length checks, EOFError at a cut gzip or deflate stream.
DAMAGE = (zipfile.BadZipFile, zlib.error, gzip.BadGzipFile, EOFError)


class DamagedArchive(ValueError):
    """A zip or gzip that is cut short or corrupted; the message is one sentence for the user."""


def damage_message(path: Path, exc: BaseException) -> str:
    """One sentence for an archive that failed while being read (``exc`` is one of ``DAMAGE``)."""
    kind = "gzip file" if _magic(path)[:2] == b"\x1f\x8b" else "zip"
    detail = str(exc) or type(exc).__name__
    return f"{path.name} is a truncated or damaged {kind} ({detail})"


def _magic(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(4)


@dataclass(frozen=True)
class Member:
    """One PoR text inside the user's file (the file itself, or one zip entry)."""

    name: str
    open: Callable[[], IO[bytes]]
    inner: str = ""  # its name inside the archive ("" for the file itself)
    size: int | None = None  # uncompressed bytes when known without reading (progress ETA); None for gzip

    @property
    def source_member(self) -> str:
        """What a row's ``source_member`` says: the archive entry, or the file's own name."""
        return self.inner or self.name


def members(path: Path) -> Iterator[Member]:
    """The PoR texts in ``path``. A zip without its central directory (cut short: the directory is written
    last) raises ``DamagedArchive``; it would otherwise be read as one binary text."""
    magic = _magic(path)
    if magic[:2] == b"\x1f\x8b":
        yield Member(f"{path.name}", lambda: gzip.open(path, "rb"))  # size unknown: ISIZE is modulo 2**32
    elif magic in _ZIP_MAGIC and not zipfile.is_zipfile(path):
        raise DamagedArchive(f"{path.name} is a truncated or damaged zip (its central directory, written last, is missing or unreadable)")
    elif magic[:2] == b"PK" and zipfile.is_zipfile(path):  # PK\x05\x06 starts an archive with no entry
        with zipfile.ZipFile(path) as zf:
            sizes = {
                i.filename: i.file_size
                for i in zf.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")
            }
        for name in sorted(sizes):
            yield Member(f"{path.name}:{name}", _zip_opener(path, name), inner=name, size=sizes[name])
    else:
        yield Member(path.name, lambda: open(path, "rb"), size=path.stat().st_size)


def _zip_opener(path: Path, name: str) -> Callable[[], IO[bytes]]:
    def opener() -> IO[bytes]:
        zf = zipfile.ZipFile(path)
        inner = zf.open(name)
        if inner.read(2) == b"\x1f\x8b":  # a gzip inside the zip
            inner.close()
            return gzip.GzipFile(fileobj=zf.open(name))
        inner.close()
        return zf.open(name)

    return opener

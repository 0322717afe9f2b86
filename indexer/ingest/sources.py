"""Opens what the user points at — plain text, gzip, or a zip of several files — as members.

Formats are recognised by their magic bytes, not their file names, because
published archives are routinely renamed.
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Member:
    """One PoR text inside the user's file (the file itself, or one zip entry)."""

    name: str
    open: Callable[[], IO[bytes]]

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.open() as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def members(path: Path) -> Iterator[Member]:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] == b"\x1f\x8b":
        yield Member(f"{path.name}", lambda: gzip.open(path, "rb"))
    elif magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as zf:
            names = [
                i.filename
                for i in zf.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/") and not Path(i.filename).name.startswith(".")
            ]
        for name in sorted(names):
            yield Member(f"{path.name}:{name}", _zip_opener(path, name))
    else:
        yield Member(path.name, lambda: open(path, "rb"))


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

"""One pass over each member before anything is loaded: what the publication is, and whether its text was cut.

Why one pass for both: the duplicate check must read every byte anyway, so how the text ends (a row cut in
the middle by a download that stopped, ``head -c``) is learnt on the way, and a cut file is refused before
a snapshot id is taken or a row is written.

**Content, not bytes.** The same publication re-saved with CRLF line ends, with or without a UTF-8 BOM, with
or without a final line end, or re-zipped (under another member name, or with LF turned into CRLF as
``zip -l`` does) is the same publication. ``content_sha256`` is the SHA-256 of the member's text with its
BOM dropped, every CR LF and lone CR made LF, and the trailing line ends made one; a text that already is
so (LF, no BOM, one final LF: what OKX, HTX and Binance publish) digests to exactly its bytes' SHA-256,
so ``file_sha256`` (the bytes as given) and ``content_sha256`` agree for it. A zip's members are combined
by their sorted digests, independent of member names and order (``publication_digest``).

**A cut row.** A text that does not end with a line end ends with a complete row or with a cut one. The
row is cut when its quotes or brackets are left open, or when it has fewer cells than the line before it
(a writer writes every row of a section with the same cells; trailing empty cells included, as OKX's
``,,`` shows). A cut inside the last cell of a row (HTX's signature, OKX's ``eoa2``) cannot be told from
a complete row; no layout puts the amount last, so the amount of such a row is whole.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import IO

from indexer.ingest.reader import split_cells

CHUNK = 1 << 20
TAIL_BYTES = 256 << 10  # the end of the text kept to find its last two lines (rows are a few hundred bytes)
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class MemberScan:
    """What one pass over a member's text found."""

    file_sha256: str  # its bytes as given (decompressed)
    content_sha256: str  # its normalised text (see the module docstring)
    ends_with_line_end: bool
    last_line: str | None  # the last non-blank line (None: the text is blank)
    line_before: str | None  # the non-blank line before it
    last_line_no: int  # the last line's number (as the readers number lines: CR LF, LF or CR end a line)


class _Scanner:
    """Feeds both digests and keeps the text's end, chunk by chunk.

    One SHA-256 pass for a text that is already normal (LF, no BOM, no CR): the two streams are the same bytes
    up to the trailing line ends, which are held back from ``raw`` and added at the end (as written for the
    file digest, as one LF for the content digest). At the first BOM or CR the streams part: the content digest
    continues from a copy of the shared state, and each byte goes to both from then on.
    """

    def __init__(self) -> None:
        self.raw = hashlib.sha256()
        self.content: hashlib._Hash | None = None  # None: shared with ``raw`` (the bytes are the normalised text so far)
        self._started = False
        self._carry = b""  # (apart) a CR that may be the first half of a CR LF, or a text shorter than a BOM
        self._line_ends = 0  # trailing LFs of the normalised text not yet digested (it ends with exactly one)
        self._any = False
        self._last: deque[bytes] = deque()  # the last pieces of normalised text, TAIL_BYTES or more (the text's end)
        self._kept = 0
        self.lines = 0  # LFs seen in the normalised text

    def update(self, chunk: bytes) -> None:
        if self.content is None:
            first = not self._started
            self._started = True
            if not (first and _BOM[: len(chunk)] == chunk[: len(_BOM)]) and b"\r" not in chunk:
                self._keep(chunk)
                self._digest(self.raw, chunk)
                return
            self.content = self.raw.copy()  # the streams part here: what both hold so far is the same
            self.raw.update(b"\n" * self._line_ends)  # the file digest takes the held-back LFs; the content keeps them pending
            self._started = not first
        self.raw.update(chunk)
        data = self._carry + chunk if self._carry else chunk
        self._carry = b""
        if not self._started:
            if len(data) < len(_BOM) and _BOM.startswith(data):
                self._carry = data  # too short to tell whether it is a BOM
                return
            data = data.removeprefix(_BOM)
            self._started = True
        if data.endswith(b"\r"):
            self._carry, data = b"\r", data[:-1]
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        self._keep(data)
        self._digest(self.content, data)

    def _keep(self, data: bytes) -> None:
        if data:
            self.lines += data.count(b"\n")
            self._last.append(data)  # a reference, not a copy
            self._kept += len(data)
            while self._kept - len(self._last[0]) >= TAIL_BYTES:
                self._kept -= len(self._last.popleft())

    def _digest(self, digest, data: bytes) -> None:
        """Add normalised text to ``digest``, holding back a trailing run of LFs (digested only if more text follows)."""
        end = len(data)
        while end and data[end - 1] == 0x0A:
            end -= 1
        if not end:
            self._line_ends += len(data)
            return
        if self._line_ends:
            digest.update(b"\n" * self._line_ends)
        digest.update(memoryview(data)[:end])
        self._any = True
        self._line_ends = len(data) - end

    def finish(self) -> MemberScan:
        if self.content is None:
            raw, content = self.raw.copy(), self.raw.copy()
            raw.update(b"\n" * self._line_ends)  # the bytes as given
        else:
            carry, self._carry = self._carry, b""
            if not self._started:  # a text shorter than a BOM: its bytes are its text
                self._started = True
                carry = carry.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
                self._keep(carry)
                self._digest(self.content, carry)
            elif carry:
                self._keep(b"\n")  # a final lone CR ends a line
                self._digest(self.content, b"\n")
            raw, content = self.raw, self.content
        if self._any:
            content.update(b"\n")
        tail = b"".join(self._last)[-TAIL_BYTES:].rstrip(b" \t")
        ends = not tail or tail.endswith(b"\n")
        lines = [line for line in tail.split(b"\n") if line.strip()]
        last = lines[-1].decode("utf-8", "replace") if lines else None
        before = lines[-2].decode("utf-8", "replace") if len(lines) > 1 else None
        last_no = self.lines + 1 - (len(tail) - len(tail.rstrip(b"\n")))  # the line numbers the readers give
        return MemberScan(raw.hexdigest(), content.hexdigest(), ends, last, before, last_no)


def scan(binary: IO[bytes]) -> MemberScan:
    """Read ``binary`` to its end once: both digests and how the text ends."""
    scanner = _Scanner()
    while chunk := binary.read(CHUNK):
        scanner.update(chunk)
    return scanner.finish()


def publication_digest(digests: list[str]) -> str:
    """One member: its own digest (a bare file and the same file zipped are one publication).
    Several: the SHA-256 of their sorted digests, independent of member names and order."""
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(sorted(digests)).encode()).hexdigest()


def cut_row(found: MemberScan) -> str | None:
    """Why the text ends in the middle of a row (one clause for the user), or None when it does not."""
    if found.ends_with_line_end or found.last_line is None:
        return None
    cells, closed = split_cells(found.last_line)
    where = f"its last line ({found.last_line_no:,}) has no line end"
    if not closed:
        return f"{where} and leaves a quote or bracket open: the file ends in the middle of a row"
    if found.line_before is not None:
        before, _ = split_cells(found.line_before)
        if len(cells) < len(before):
            return f"{where} and {len(cells)} cells where the line before it has {len(before)}: the file ends in the middle of a row"
    return None

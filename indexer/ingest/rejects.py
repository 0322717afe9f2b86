"""``--max-rejected N|P%``: how many refused rows a file may have and still load.

Why: a nightly job must not take a file that is mostly refused rows for a publication. By default a file
loads with the rows that pass and its refused rows recorded in ``ingest_errors``; with a limit, a file
with more refused rows than it allows is refused whole, like an unreadable one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_COUNT = re.compile(r"\d+")
_PERCENT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)%")


@dataclass(frozen=True)
class RejectLimit:
    """At most ``count`` refused rows, or at most ``percent`` % of the rows read (loaded + refused)."""

    text: str
    count: int | None = None
    percent: Decimal | None = None

    @classmethod
    def parse(cls, text: str) -> RejectLimit:
        """``"100"`` or ``"0.5%"``; ValueError with one sentence otherwise."""
        value = text.strip()
        if _COUNT.fullmatch(value):
            return cls(value, count=int(value))
        found = _PERCENT.fullmatch(value)
        if found:
            try:
                percent = Decimal(found.group(1))
            except InvalidOperation:
                percent = Decimal(-1)
            if 0 <= percent <= 100:
                return cls(value, percent=percent)
        raise ValueError(f"--max-rejected takes a number of rows (100) or a percentage of the rows read (0.5%), not {text!r}")

    def exceeded(self, rejected: int, read: int) -> bool:
        """True when ``rejected`` of ``read`` rows is more than the limit allows (exact: no float)."""
        if self.count is not None:
            return rejected > self.count
        assert self.percent is not None
        return Decimal(rejected) * 100 > self.percent * Decimal(read)

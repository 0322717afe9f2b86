"""Publication time and version from OKX's file and archive names (SPEC §1: ``okx_por_<YYYYMMDDHH>[_v<n>].csv``,
``por_csv_<YYYYMMDDHH>_V<n>.zip``).

Why: series over months need each snapshot's publication time, and the name is the one place OKX
states it for the wallet file. Minimal on purpose: a fuller parser of every layout may supersede it.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import PurePath

_NAME = re.compile(r"(?:^|[^0-9A-Za-z])(?:okx_por|por_csv)_(?:eth_staking_)?(\d{10})(?:_[vV](\d+))?(?=[._]|$)")


def published_from_name(name: str) -> tuple[datetime | None, int | None]:
    """``(publication time in UTC, version)`` read from a PoR file or archive name, or ``(None, None)``.

    ``okx_por_2026050108.csv`` -> (2026-05-01 08:00 UTC, None); ``por_csv_2026050108_V2.zip`` -> (…, 2).
    A name whose digits are not a real date and hour gives ``(None, None)``: a wrong time is worse than none.
    """
    base = PurePath(name.replace("\\", "/")).name
    m = _NAME.search(base)
    if not m:
        return None, None
    digits = m.group(1)
    try:
        at = datetime(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]), int(digits[8:10]), tzinfo=timezone.utc)
    except ValueError:
        return None, None
    return at, int(m.group(2)) if m.group(2) else None

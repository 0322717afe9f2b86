"""What OKX's file names say (SPEC §1.1a): the snapshot hour and a version, as ``Publication``.

OKX names a publication by its snapshot hour and a version: ``por_csv_2026063016_V2.zip``,
``okx_por_2026063016_V2.csv``, ``okx_por_2026063016.csv.zip``, ``okx_por_2026063016_v2.csv.zip``; the ETH staking
member ``okx_por_eth_staking_2026063016.csv`` states its hour too.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import PurePosixPath

from indexer.models import Publication

_NAME = re.compile(r"^(?:por_csv|okx_por)_(?:eth_staking_)?(\d{10})(?:_[vV](\d+))?(?:\.|$)")


def publication_name(name: str) -> Publication | None:
    """Date, version and default label from an OKX file or archive name; None for any other name (or an impossible date)."""
    found = _NAME.match(PurePosixPath(name).name)
    if not found:
        return None
    stamp, version_text = found.groups()
    try:
        at = datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    version = int(version_text) if version_text is not None else None
    label = at.strftime("%Y-%m-%d %H:00 UTC") + (f" V{version}" if version is not None else "")
    return Publication(at, version, label)


def publication(file_name: str, members: list[str]) -> Publication | None:
    """The archive's own name decides; else the first member named like a publication."""
    for name in (file_name, *members):
        found = publication_name(name.rsplit(":", 1)[-1])
        if found:
            return found
    return None

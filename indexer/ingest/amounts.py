"""Exact decimal text <-> base-unit integers: the ingest's name for ``indexer.models``' amount functions.

They live in ``indexer.models`` so plugins parse amounts with the same code (plugins may import only the
plugin-facing core); this module keeps the ingest's imports where the parsing is used.
"""

from __future__ import annotations


from indexer.models import AmountError, from_base_units, split_decimal, to_base_units

__all__ = ["AmountError", "from_base_units", "split_decimal", "to_base_units"]

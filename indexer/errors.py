"""``PorError``: the one base of every error a caller of the API can fix (bad input, a missing file, a setting).

Why a module of its own: the errors are raised deep in the core (the configuration, ingest, the store, fetch's
plan, the series, export, prices, liabilities), and a script should need one ``except por.PorError`` for all of
them, as the README says, without the API catching and re-wrapping each (which would lose the specific type).
Each specific class subclasses this one; ``tests/test_api_script.py`` walks them.
"""

from __future__ import annotations


class PorError(ValueError):
    """Something the caller can fix; the message is one sentence saying what to do."""

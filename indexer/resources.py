"""Where the registry (``data/``) and the SQL views (``queries/``) are read from.

The repository keeps ``data/`` and ``queries/`` at its top level (the layout users
edit and review), while an installed wheel carries them inside the package as
``indexer/_data`` and ``indexer/_queries`` (``setup.py`` maps them at build time).
Both are found through ``importlib.resources`` so a ``pip install .`` or a wheel
works from any directory; a source checkout or an editable install, where the
package directory is the checkout's ``indexer/``, falls back to the top-level
folders beside it.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

# The folder name in the repository -> the name it is installed under inside the package.
PACKAGED = {"data": "_data", "queries": "_queries"}


def resource_dir(name: str) -> Traversable:
    """The directory holding ``data`` or ``queries``: the packaged copy first, else the checkout's."""
    packaged = files("indexer") / PACKAGED[name]
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        f"por-indexer's {name}/ is neither installed as indexer/{PACKAGED[name]} nor beside the package at {checkout}; "
        "reinstall the package (pip install .)"
    )

"""OKX's network-keyed verification table (``networks.csv`` in this package): the Network cell chooses the scheme.

Why: since mid-2026 OKX's own VerifyAddress and audit verifier pick the signature
scheme, the address derivation and the message header from a row's **Network**
column, no longer from its coin key (SPEC §2.0; the public mirror's
``common/network.go``). Today's files carry network names (``BSC``, ``OKB-X1``,
``OKC``, ``ETH_ROBINHOOD``) where the older files carried coin keys
(``BABYDOGE-BSC``, ``OKB-X1-USDT``, ``OKB-OKC20``), and a coin key alone can name
the wrong chain (``USDT`` is Omni in the coin table, but ``USDT`` on network
``OKB-X1`` is an X Layer token). The coin-keyed registry (``data/coins.csv``)
stays the fallback for rows whose Network cell names no network of this table
(older files, legacy layouts).

The table is data: one row per normalised network name with its scheme (the
signature family), the address type and the header constant, each row citing the
file and commit it was read from. Names are normalised as OKX's tool does:
trim, upper-case, ``-`` becomes ``_``.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from indexer.plugins import NetworkScheme

FILE = "networks.csv"


def normalize(cell: str) -> str:
    """OKX's NormalizeNetwork: trim, upper-case, '-' -> '_'."""
    return cell.strip().upper().replace("-", "_")


def load_schemes(data_dir: Traversable | Path | None = None) -> dict[str, NetworkScheme]:
    """normalised network -> scheme, from this package's ``networks.csv`` (or the one in ``data_dir``)."""
    data_dir = files(__package__) if data_dir is None else data_dir
    out: dict[str, NetworkScheme] = {}
    with (data_dir / FILE).open(newline="") as f:
        for rec in csv.DictReader(f):
            name = normalize(rec["network"])
            if name != rec["network"]:
                raise ValueError(f"{FILE}: {rec['network']!r} is not written normalised ({name!r})")
            if name in out:
                raise ValueError(f"{FILE}: network {name} is listed twice")
            out[name] = NetworkScheme(name, rec["scheme"], rec["address_type"], rec["header"], rec["source"], rec.get("note") or "")
    return out


@cache
def schemes() -> dict[str, NetworkScheme]:
    """The process-wide table (read once)."""
    return load_schemes()


def scheme_of(network_cell: str) -> NetworkScheme | None:
    """The scheme the row's Network cell selects, or None (empty or unknown: the coin key decides)."""
    return schemes().get(normalize(network_cell)) if network_cell else None


def family_by_network(network_published: pa.Array) -> pa.Array:
    """Per row, the scheme family its Network cell selects (null where the cell names no network): vectorised.

    Ingest stores this family with the row, so the scheme a snapshot was judged under is
    fixed at ingest like the coin-keyed one (a later table change does not re-judge it).
    """
    if pa.types.is_dictionary(network_published.type):
        dictionary, indices = network_published.dictionary, network_published.indices
    else:
        encoded = pc.dictionary_encode(network_published)
        dictionary, indices = encoded.dictionary, encoded.indices
    table = schemes()
    families = pa.array([_family_of(text, table) for text in dictionary.to_pylist()], pa.string())
    return pc.take(families, indices)


def overlay_family(coin_family: pa.Array, network_published: pa.Array) -> pa.Array:
    """The family ingest stores: the one the Network cell selects where it names a network, else the coin key's."""
    by_network = family_by_network(network_published)
    if by_network.null_count == len(by_network):
        return coin_family
    merged = pc.if_else(pc.is_valid(by_network), by_network, coin_family.cast(pa.string()))
    return pc.dictionary_encode(merged)


def _family_of(text: str | None, table: dict[str, NetworkScheme]) -> str | None:
    found = table.get(normalize(text)) if text else None
    return found.family if found is not None else None

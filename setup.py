"""Package layout that pyproject.toml cannot express: the top-level ``data/`` and ``queries/``
folders of the repository are installed *inside* the ``indexer`` package, as ``indexer/_data``
and ``indexer/_queries``, so an installed ``por`` finds its registry and views with
``importlib.resources`` from any directory (see ``indexer/resources.py``).

Everything else (metadata, dependencies, scripts, entry points) lives in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["indexer", "indexer.*", "chains", "chains.*", "exchanges", "exchanges.*", "por", "por.*"]), "indexer._data", "indexer._queries"],
    package_dir={"indexer._data": "data", "indexer._queries": "queries"},
    package_data={
        "indexer._data": ["*.csv"],
        "indexer._queries": ["*.sql"],
        "chains.evm": ["balance_reader.json", "BalanceReader.sol"],
        "exchanges.okx": ["*.csv"],  # networks.csv
        "exchanges.htx": ["*.csv"],  # coins.csv
        "exchanges.binance": ["*.csv"],  # coins.csv
    },
    include_package_data=False,
)

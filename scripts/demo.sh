#!/usr/bin/env bash
# Installs por-indexer into .venv and runs the main job on the built-in default:
# a synthetic OKX file with real signatures, ingested, verified and reported (no network access).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
mkdir -p out
cd out
exec ../.venv/bin/por run --db demo.duckdb

"""The house's layers hold, checked by tools rather than by reading: import-linter's contracts and fresh imports.

``lint-imports`` checks the contracts in ``[tool.importlinter]`` (pyproject.toml): the core imports no plugin,
plugins import only the plugin-facing core modules, chains and exchanges do not import each other, no cycles
between the modules of a package. A cycle import-linter cannot see (one that only bites in a given import order)
shows up when every module is imported into a fresh interpreter, and when each plugin is imported alone first.
"""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("indexer", "chains", "exchanges", "por")


def _lint_imports() -> str:
    exe = shutil.which("lint-imports", path=os.path.dirname(sys.executable)) or shutil.which("lint-imports")
    assert exe, "import-linter is a [test] dependency: pip install -e '.[test]'"
    return exe


def test_every_layer_contract_is_kept() -> None:
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and "BROKEN" not in done.stdout, done.stdout[-4000:] + done.stderr[-2000:]
    # every contract the issue asks for is there, so a deleted contract cannot pass silently
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert {c["type"] for c in contracts} >= {"forbidden", "independence", "acyclic_siblings"}
    assert done.stdout.count(" KEPT") == len(contracts), done.stdout


def test_a_core_module_that_imports_a_plugin_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: the same contracts over a copy of the tree whose core imports a chain are broken."""
    for name in (*PACKAGES, "pyproject.toml"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    verify = tmp_path / "indexer" / "verify.py"
    verify.write_text(verify.read_text() + "\nimport chains.evm.codec  # noqa: E402,F401\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run([_lint_imports(), "--no-cache"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode != 0 and "The core imports no plugin BROKEN" in done.stdout, done.stdout[-3000:]
    assert "indexer.verify -> chains.evm.codec" in done.stdout


def _modules() -> list[str]:
    found = []
    for package in PACKAGES:
        found.append(package)
        path = [str(ROOT / package)]
        found += [m.name for m in pkgutil.walk_packages(path, prefix=package + ".")]
    return sorted(set(found))


def _import_in_fresh_interpreter(names: list[str]) -> subprocess.CompletedProcess[str]:
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    return subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, capture_output=True, text=True)


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    names = _modules()
    assert {"indexer.plugins", "chains.eos.verify", "exchanges.okx.layouts", "chains.common.plugin"} <= set(names)
    done = _import_in_fresh_interpreter(names)
    assert done.returncode == 0, done.stderr[-3000:]


def _entry_point_modules() -> list[str]:
    eps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    return sorted({v.split(":")[0] for group in ("por.chains", "por.exchanges") for v in eps[group].values()})


@pytest.mark.parametrize("module", _entry_point_modules())
def test_each_plugin_imports_alone_first(module: str) -> None:
    """Imported first in its own interpreter, before any core module has loaded: an order-dependent cycle fails here."""
    done = _import_in_fresh_interpreter([module])
    assert done.returncode == 0, done.stderr[-3000:]

"""A built wheel, installed outside the checkout, gives a working ``por``.

The wheel is built from a copy of the project's sources (``pip wheel``, no build
isolation, no index), installed with ``--no-deps`` into a fresh venv in a temporary
directory, and ``por run`` (the synthetic demo, no network) and ``por report`` run
there with the working directory outside the checkout. The project itself comes only
from the wheel; the already-installed third-party dependencies are made visible to the
fresh venv through a ``.pth`` line pointing at a directory of links to them, which
leaves out this checkout's own (editable) distribution so nothing can fall back to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a build needs: metadata, the package layout and the packages with their data.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "indexer", "chains", "exchanges", "por", "data", "queries")
OWN = ("indexer", "chains", "exchanges", "por_indexer", "__editable__", "_por_", "__pycache__")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _is_under(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("packaging")
    assert not _is_under(base, ROOT), f"the temporary directory {base} must be outside the checkout"

    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        else:
            shutil.copy2(path, src / name)
    dist = base / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(dist), str(src)], cwd=base)
    [wheel] = dist.glob("por_indexer-*.whl")

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=base)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip())

    # The dependencies already installed here, minus this project (its editable finder and metadata).
    deps = base / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.startswith(OWN) or entry.suffix in (".pth", ".egg-link"):
            continue
        (deps / entry.name).symlink_to(entry)
    (site / "_por_test_deps.pth").write_text(f"{deps}\n")

    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)], cwd=base)
    work = base / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "POR_", "VIRTUAL_ENV"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {"wheel": wheel, "venv": venv, "work": work, "env": env}  # type: ignore[dict-item]


def test_the_wheel_carries_registry_views_and_reader_bytecode(installed: dict) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    expected = {f"indexer/_data/{p.name}" for p in (ROOT / "data").glob("*.csv")}
    expected |= {f"indexer/_queries/{p.name}" for p in (ROOT / "queries").glob("*.sql")}
    expected |= {"chains/evm/balance_reader.json", "indexer/cli.py", "chains/evm/fetch.py"}
    assert len(expected) > 12
    assert expected <= names, sorted(expected - names)


def test_installed_package_comes_from_the_wheel_and_finds_its_data(installed: dict) -> None:
    probe = (
        "import json, os, indexer, chains.evm.codec as codec\n"
        "from indexer.resources import resource_dir\n"
        "from indexer.store import view_files\n"
        "from indexer.registry import registry\n"
        "from indexer.plugins import plugins, plugin_errors\n"
        "print(json.dumps({'indexer': indexer.__file__, 'chains': codec.__file__, 'cwd': os.getcwd(),"
        " 'data': str(resource_dir('data')), 'queries': str(resource_dir('queries')),"
        " 'views': [f.name for f in view_files()], 'coins': len(registry().coins),"
        " 'usdt_erc20': registry().coin('USDT-ERC20').source, 'reader': codec.reader_runtime()[:4],"
        " 'plugins': sorted(p.name for p in plugins()), 'plugin_errors': plugin_errors()}))\n"
    )
    out = json.loads(_run([str(installed["venv"] / "bin" / "python"), "-c", probe], cwd=installed["work"], env=installed["env"]).stdout)
    for key in ("indexer", "chains", "data", "queries"):
        assert _is_under(Path(out[key]), installed["venv"]), (key, out[key])
        assert not _is_under(Path(out[key]), ROOT), (key, out[key])
    assert not _is_under(Path(out["cwd"]), ROOT)
    assert out["views"] == sorted(p.name for p in (ROOT / "queries").glob("*.sql"))
    assert out["coins"] > 250 and out["usdt_erc20"]  # the packaged registry, sources included
    assert out["reader"] == "0x60"  # the BalanceReader's creation bytecode
    assert out["plugin_errors"] == {} and {"evm", "utxo"} <= set(out["plugins"])


def test_por_run_and_report_work_from_the_installed_wheel(installed: dict) -> None:
    por = str(installed["venv"] / "bin" / "por")
    work, env = installed["work"], installed["env"]
    run = _run([por, "run", "--db", "demo.duckdb"], cwd=work, env=env)
    assert "BTC" in run.stdout and "USDT" in run.stdout
    report = _run([por, "report", "--db", "demo.duckdb", "--format", "json"], cwd=work, env=env)
    rows = json.loads(report.stdout)
    assets = {r["asset"] for r in rows}
    assert {"BTC", "ETH", "USDT"} <= assets
    for r in rows:  # exact decimal strings, never floats
        assert r["published_reserves"] is None or isinstance(r["published_reserves"], str), r
    assert (work / "demo.duckdb").exists()

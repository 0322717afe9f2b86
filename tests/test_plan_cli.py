"""``por plan`` as a user first meets it: a demo publication, one network configured on a real node (anvil), the
others not; ``--probe`` says what the provider lacks without reading a balance; JSON for scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from indexer import api
from tests.fixtures.anvil import Anvil

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("plan_cli")
    api.synth(tmp / "okx.csv", 2000, db=tmp / "por.duckdb")
    return tmp


def por(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "indexer.cli", *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_without_a_config_every_network_is_named_once_with_its_reason(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no por.toml here
    monkeypatch.delenv("POR_CONFIG", raising=False)
    found = api.plan(demo / "por.duckdb")
    skipped = found.document["skipped"]
    assert len(skipped) > 20 and sum(s["rows"] for s in skipped.values()) == 2000
    not_configured = [n for n in found.notes if "rows not planned: not configured" in n]
    assert len(not_configured) == 1  # one line for the reason, naming every network it holds
    assert "ETH" in not_configured[0] and "TRON" in not_configured[0]


def test_probe_says_what_the_node_lacks_and_reads_no_balance(demo: Path) -> None:
    with Anvil() as node:  # a fresh chain: the publication's snapshot blocks are far beyond its head
        (demo / "por.toml").write_text(f'[networks.ETH]\nrpc = "{node.url}"\nrps = 20\nconcurrency = 4\n[networks.ETH.options]\ncheck_chain_id = false\n', encoding="utf-8")
        out = por("plan", "--db", str(demo / "por.duckdb"), "--config", str(demo / "por.toml"), "--probe", "--format", "json")
        assert out.returncode == 0, out.stderr
        plan = json.loads(out.stdout)
        (eth,) = plan["networks"]
        assert eth["network"] == "ETH" and eth["rows"] > 0 and eth["requests"] > 0
        assert eth["probe"] != "ok" and "beyond" in eth["probe"], eth["probe"]
        assert eth["services"][0]["rps"] == 20 and eth["services"][0]["concurrency"] == 4
        assert plan["bound"].startswith("ETH") and plan["total_s"] == eth["seconds"]
        plain = por("plan", "--db", str(demo / "por.duckdb"), "--config", str(demo / "por.toml"))
        assert plain.returncode == 0 and "ETH" in plain.stdout and "total" in plain.stdout


def test_at_latest_every_value_is_planned_as_latest(demo: Path) -> None:
    (demo / "latest.toml").write_text('[networks.ETH]\nrpc = "http://127.0.0.1:9"\n[networks.TON]\nrpc = "http://127.0.0.1:9"\n', encoding="utf-8")
    found = api.plan(demo / "por.duckdb", demo / "latest.toml", at="latest")
    nets = {n["network"]: n for n in found.document["networks"]}
    assert set(nets) == {"ETH", "TON"} and found.document["as_of"] == "latest"
    assert {n["method"] for n in nets.values()} == {"latest"}  # as the run stores them
    assert all(n["requests"] > 0 for n in nets.values())

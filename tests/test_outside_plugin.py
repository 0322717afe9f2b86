"""A chain and an exchange from ANOTHER distribution plug in through the entry-point groups, with no edit to indexer/.

``tests/outside_plugin/porx_demo`` is copied into a temporary site directory with a ``.dist-info`` whose
``entry_points.txt`` names ``porx_demo.chain:plugin`` under ``por.chains`` and ``porx_demo.exchange:plugin``
under ``por.exchanges``; ``por`` runs in a subprocess with that directory on its path, so importlib.metadata
finds the distribution as it would an installed wheel. Then a demoex file is ingested, verified (one good
signature, one mutated) and fetched from a node at the snapshot height.

The node is democoin's own, an invented chain: its JSON-RPC methods are the ones ``porx_demo.chain`` defines,
so the stub speaks exactly that protocol (there is no third-party service to cite).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
from nacl.signing import SigningKey

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = Path(__file__).resolve().parent / "outside_plugin" / "porx_demo"
HEIGHT = 777
BALANCES = {}  # address -> base units at HEIGHT


class _Node(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if req["method"] == "demo_tip":
            result = HEIGHT + 10
        elif req["method"] == "demo_getBalance":
            address, height = req["params"]
            result = {"balance": str(BALANCES.get(address, 0)), "height": height}
        else:
            body = {"jsonrpc": "2.0", "id": req["id"], "error": {"code": -32601, "message": "Method not found"}}
            return self._send(body)
        self._send({"jsonrpc": "2.0", "id": req["id"], "result": result})

    def _send(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def _install(site: Path) -> None:
    """What ``pip install`` of a wheel leaves: the package and a dist-info with its entry points."""
    shutil.copytree(PLUGIN, site / "porx_demo")
    info = site / "porx_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: porx-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[por.chains]\ndemocoin = porx_demo.chain:plugin\n\n[por.exchanges]\ndemoex = porx_demo.exchange:plugin\n"
    )


def _por(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "indexer.cli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=600)


def test_an_outside_chain_and_exchange_ingest_verify_and_fetch(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]))

    good, other = SigningKey(b"\x01" * 32), SigningKey(b"\x02" * 32)
    message = "demoex owns this address"
    rows = []
    for i, key in enumerate((good, other)):
        address = bytes(key.verify_key).hex()
        BALANCES[address] = 1_500_000 * (i + 1)
        signature = key.sign(message.encode()).signature
        if i == 1:
            signature = bytes([signature[0] ^ 1]) + signature[1:]  # one byte changed: must fail
        rows.append(f"DMO,{address},{HEIGHT},{1.5 * (i + 1)},{message},{signature.hex()}")
    publication = tmp_path / "demoex_por.csv"
    publication.write_text("asset,address,height,amount,message,signature\n" + "\n".join(rows) + "\n")
    db = str(tmp_path / "por.duckdb")

    node = ThreadingHTTPServer(("127.0.0.1", 0), _Node)
    threading.Thread(target=node.serve_forever, daemon=True).start()
    try:
        config = tmp_path / "por.toml"
        config.write_text(f'[networks.DEMO]\nrpc = "http://127.0.0.1:{node.server_address[1]}"\n')
        networks = _por("networks", "--config", str(config), env=env, cwd=tmp_path)
        assert networks.returncode == 0 and "DEMO" in networks.stdout and "democoin" in networks.stdout, networks.stdout + networks.stderr
        ingested = _por("ingest", str(publication), "--db", db, env=env, cwd=tmp_path)
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        verified = _por("verify", "--db", db, env=env, cwd=tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        fetched = _por("fetch", "--db", db, "--config", str(config), "--fail-on-error", env=env, cwd=tmp_path)
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    finally:
        node.shutdown()

    con = duckdb.connect(db, read_only=True)
    assert con.execute("select exchange from snapshots").fetchall() == [("demoex",)]
    verdicts = con.execute(
        "select a.address, s.family, s.status from signatures s join addresses a using (snapshot_id, row_no) order by a.line_no"
    ).fetchall()
    assert [(f, st) for _, f, st in verdicts] == [("democoin-ed25519", "verified"), ("democoin-ed25519", "failed")], verdicts
    balances = dict(
        con.execute(
            "select a.address, b.base_units from balances b join addresses a using (snapshot_id, row_no) where b.as_of = 'snapshot'"
        ).fetchall()
    )
    assert balances == {bytes(good.verify_key).hex(): 1_500_000, bytes(other.verify_key).hex(): 3_000_000}
    assert con.execute("select asset from exchange_own_tokens where exchange = 'demoex'").fetchall() == [("DMO",)]


def test_without_the_distribution_the_file_is_refused(tmp_path: Path) -> None:
    """The same file without the plugin on the path: no installed exchange claims it, nothing is loaded."""
    publication = tmp_path / "demoex_por.csv"
    publication.write_text("asset,address,height,amount,message,signature\nDMO,00,1,1,m,00\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = _por("ingest", str(publication), "--db", str(tmp_path / "por.duckdb"), env=env, cwd=tmp_path)
    assert done.returncode != 0 and "no installed exchange plugin recognises it" in done.stderr, done.stderr


# Run in a subprocess with or without the distribution: a row signed under OKX's framed ed25519 scheme (the
# ``okx-framed-ed25519`` scheme of chains.common, never edited for democoin) whose coin names address type DMO.
_FRAMED = """
import json, sys
from nacl.signing import SigningKey
from chains.common.framed_ed25519 import signed_bytes
from indexer.models import Coin, SignedRow
from indexer.plugins import verifier_for
key = SigningKey(bytes(32))
pub = bytes(key.verify_key)
coin = Coin(key="DMO", asset="DMO", network="DEMO", family="ED25519", address_type="DMO", header="OKX", decimals=6)
out = []
for address in (pub.hex(), bytes(SigningKey(b"\\x01" * 32).verify_key).hex()):
    row = SignedRow(row_no=1, coin="DMO", address=address, message="m", signature1=key.sign(signed_bytes("m")).signature.hex(),
                    script_or_pubkey=pub.hex())
    verdict = verifier_for("okx-framed-ed25519")(row, coin)
    out.append([verdict.status, verdict.reason])
print(json.dumps(out))
"""


def test_an_outside_chain_brings_the_address_codec_of_its_type(tmp_path: Path) -> None:
    """The framed ed25519 scheme ties a DMO row to its address only through the codec the outside chain declares."""
    site = tmp_path / "site"
    site.mkdir()
    _install(site)
    with_plugin = subprocess.run(
        [sys.executable, "-c", _FRAMED], capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(ROOT)])),
    )  # fmt: skip
    assert with_plugin.returncode == 0, with_plugin.stderr
    own, other = json.loads(with_plugin.stdout)
    assert own == ["verified", "the address is the key"]
    assert other == ["failed", "address is not hex(public key)"]  # the codec can fail: another key's address
    without = subprocess.run(
        [sys.executable, "-c", _FRAMED], capture_output=True, text=True, cwd=tmp_path, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    assert without.returncode == 0, without.stderr
    assert json.loads(without.stdout)[0] == ["signature_only", "no address derivation is known for address type DMO"]

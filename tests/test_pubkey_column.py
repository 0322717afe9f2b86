"""Issue 16 B: pubkey-only coins (XRP, RIPPLE, NULS, AVAX-X) in the 11/12-column wallet layout.

OKX gives these coins no address derivation, so its address path cannot check them; when the row's
``redeem script/ public key`` cell holds a key, the signature is checked against it (OKX's
``VerifyEcdsaCoinWithPub``, SPEC §3.2). OKX's own VerifyAddress never does this: its verdict stays
"invalid coin type". The real vector is OKX's V056 (../shared/okx/vectors.json); XRP keys are fresh.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from chains.common.framed_ecdsa import sign_okx_ecdsa
from indexer.models import SignedRow
from indexer.registry import registry
from indexer.verify import verify_row, verify_row_compat

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "okx" / "vectors.json"
HEADER_12 = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2"


def _v056() -> dict:
    if not VECTORS.exists():
        pytest.skip(f"OKX vectors not found at {VECTORS}")
    [v] = [v for v in json.loads(VECTORS.read_text())["signature_vectors"] if v["id"] == "V056"]
    return v


def wallet_row(coin: str, address: str, signature: str, pubkey: str, message: str) -> SignedRow:
    """A 12-column (non-audit) row as ingest stores it."""
    return SignedRow(row_no=1, coin=coin, address=address, message=message, signature1=signature, script_or_pubkey=pubkey, row_type="Non Staking")


def test_okx_vector_v056_in_the_wallet_layout_is_checked_against_its_key() -> None:
    v = _v056()
    r = wallet_row("AVAX-X", v["address"], v["signature1"], v["pubkey_or_script"], v["message"])
    family, strict = verify_row(r, "okx")
    assert (family, strict.status) == ("ECDSA", "verified"), strict  # key matches and the X-chain address is derived from it
    assert verify_row_compat(r, "okx")[1].reason == "invalid coin type"  # OKX's VerifyAddress: unchanged
    # every mutation fails: another key (the other point with that x), the message, a byte of the signature
    assert verify_row(replace(r, script_or_pubkey="03" + r.script_or_pubkey[2:]), "okx")[1].status == "failed"
    assert verify_row(replace(r, message=r.message + "."), "okx")[1].status == "failed"
    sig = bytearray(bytes.fromhex(r.signature1[2:]))
    sig[40] ^= 1
    assert verify_row(replace(r, signature1="0x" + sig.hex()), "okx")[1].status == "failed"
    # the key proven but an address it does not derive: the link is not claimed
    other = verify_row(replace(r, address=r.address[:-6] + "qqqqqq"), "okx")[1]
    assert other.status == "signature_only" and "address not derived" in other.reason
    # no key in the cell: still unsupported (nothing to check against)
    assert verify_row(replace(r, script_or_pubkey=""), "okx")[1].status == "unsupported"


@pytest.mark.parametrize("coin_key", ["XRP", "RIPPLE"])
def test_xrp_wallet_rows_with_a_published_key(coin_key: str) -> None:
    coin = registry().coin(coin_key)
    cells = sign_okx_ecdsa(coin, "I am an OKX address", b"wallet-layout-" + coin_key.encode())
    r = wallet_row(coin_key, cells["address"], cells["signature1"], cells["script_or_pubkey"], "I am an OKX address")
    assert cells["address"].startswith("r") and len(bytes.fromhex(cells["script_or_pubkey"])) == 33
    assert verify_row(r, "okx")[1].status == "verified"
    stranger = sign_okx_ecdsa(coin, "I am an OKX address", b"someone else")
    assert verify_row(replace(r, script_or_pubkey=stranger["script_or_pubkey"]), "okx")[1].status == "failed"
    assert verify_row(replace(r, address=stranger["address"]), "okx")[1].status == "signature_only"


def test_nuls_wallet_row_with_a_published_key_is_no_longer_unsupported() -> None:
    coin = registry().coin("NULS")
    cells = sign_okx_ecdsa(coin, "I am an OKX address", b"nuls")
    r = wallet_row("NULS", cells["address"], cells["signature1"], cells["script_or_pubkey"], "I am an OKX address")
    assert verify_row(r, "okx")[1].status in ("verified", "signature_only")
    other_key = sign_okx_ecdsa(coin, "I am an OKX address", b"other nuls")["script_or_pubkey"]
    assert verify_row(replace(r, script_or_pubkey=other_key), "okx")[1].status == "failed"


def test_v056_through_ingest_and_verify(tmp_path: Path) -> None:
    """The vector as a row of a 12-column file: strict verified, OKX-compatible unchanged (failed)."""
    from indexer import store
    from indexer.ingest import ingest_file
    from indexer.verify import verify_snapshot

    v = _v056()
    line = f"AVAX-X,Non Staking,AVAX-X,1,{v['address']},1.5,{v['message']},{v['signature1']},,{v['pubkey_or_script']},,"
    path = tmp_path / "okx_por.csv"
    path.write_text("coin,amount\nAVAX,1.5\n\n" + HEADER_12 + "\n" + line + "\n")
    con = store.connect(tmp_path / "por.duckdb")
    try:
        [report] = ingest_file(con, path)
        verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True)
        got = con.execute("select family, status, okx_status, okx_reason from signatures").fetchall()
    finally:
        con.close()
    assert got == [("ECDSA", "verified", "failed", "invalid coin type")]

"""Issue 16 A: a single-key row is verified by the one signature its address needs; an extra one is recorded apart.

Real evidence first: OKX's own current example file (tests/fixtures/okx_mirror_example.py, quoted from the
public mirror) fills signature2 of P2PKH rows with one constant signature of an unrelated key; OKX's tool
reads only signature1 there. Then fresh keys signed here (coincurve, hashlib) for every single-key address
type, and the end-to-end path: ingest, verify, the ``signatures.extra_signature`` column and the views.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from pathlib import Path

import pytest

from chains.common.encoding import b58check_encode, segwit_encode
from indexer.models import SignedRow
from indexer.verify import verify_row, verify_row_compat
from tests.fixtures import okx_mirror_example as mirror
from tests.test_utxo_signatures import bip137, check, flip_sig, h160, key, row

HEADER = mirror.HEADER.split(",")


def mirror_row(line: str) -> SignedRow:
    """A detail line of the excerpt as ingest stores it (no brackets or quotes in these rows)."""
    cells = dict(zip(HEADER, line.split(",")))
    return SignedRow(
        row_no=1,
        coin=cells["coin"],
        address=cells["address"],
        message=cells["message"],
        signature1=cells["signature1"],
        signature2=cells["signature2"],
        script_or_pubkey=cells["redeem script/ public key"],
        row_type=cells["Type"],
    )


@pytest.mark.parametrize("line", mirror.P2PKH_ROWS, ids=["13jTtHx", "1LnoZa"])
def test_okx_example_p2pkh_rows_verify_and_their_constant_signature2_is_recorded_apart(line: str) -> None:
    r = mirror_row(line)
    assert r.signature2 == mirror.CONSTANT_SIGNATURE2
    family, strict = verify_row(r, "okx")
    assert family == "UTXO"
    assert (strict.status, strict.extra) == ("verified", "other_key"), strict
    assert mirror.CONSTANT_SIGNATURE2_ADDRESS in strict.reason and "signature2" in strict.reason
    assert verify_row_compat(r, "okx")[1].status == "verified"  # OKX's own verdict on its own row

    # one byte of signature1 changed: the address is no longer proven, in both modes
    for at in (10, 40):  # a byte of r (may recover no key at all) and of s (recovers another key)
        bad = replace(r, signature1=flip_sig(r.signature1, at))
        assert verify_row(bad, "okx")[1].status == "failed" and verify_row(bad, "okx")[1].reason.split(":")[0] in ("signature1", "address mismatch")
        assert verify_row_compat(bad, "okx")[1].status == "failed"
    # one character of the address changed: fails
    assert verify_row(replace(r, address=r.address[:-3] + ("B" if r.address[-3] != "B" else "C") + r.address[-2:]), "okx")[1].status == "failed"
    # the extra signature itself changed: still no proof about this address, still never a failure
    changed = verify_row(replace(r, signature2=flip_sig(r.signature2)), "okx")[1]
    assert changed.status == "verified" and changed.extra in ("other_key", "unreadable")
    # without it there is nothing extra; a second signature by the address's own key is "same_key"
    assert verify_row(replace(r, signature2=""), "okx")[1] == verify_row(replace(r, signature2=""), "okx")[1].__class__("verified")
    assert verify_row(replace(r, signature2=r.signature1), "okx")[1].extra == "same_key"


def _single_key_rows() -> dict[str, tuple[SignedRow, str]]:
    """One fresh row per single-key address type (signed here), and the coin key; signature2 left empty."""
    k = key("single-key")
    pub = k.public_key.format()
    nested = b"\x00\x14" + h160(pub)
    return {
        "p2pkh": (row("BTC", b58check_encode(b"\x00" + h160(pub)), bip137(k, "BTC")), "BTC"),
        "p2pkh-uncompressed": (row("BTC", b58check_encode(b"\x00" + h160(k.public_key.format(compressed=False))), bip137(k, "BTC", base=27)), "BTC"),
        "p2wpkh": (row("BTC", segwit_encode("bc", 0, h160(pub)), bip137(k, "BTC", base=39)), "BTC"),
        "p2sh-p2wpkh-no-script": (row("BTC", b58check_encode(b"\x05" + h160(nested)), bip137(k, "BTC", base=35)), "BTC"),
        "p2sh-p2wpkh-script": (row("BTC", b58check_encode(b"\x05" + h160(nested)), bip137(k, "BTC", base=35), script=nested), "BTC"),
        "ltc-p2pkh": (row("LTC", b58check_encode(bytes([48]) + h160(pub)), bip137(k, "LTC")), "LTC"),
    }


@pytest.mark.parametrize("kind", list(_single_key_rows()))
def test_every_single_key_type_records_an_extra_signature_by_kind(kind: str) -> None:
    good, coin = _single_key_rows()[kind]
    assert check(good).status == "verified" and check(good).extra == ""
    stranger = bip137(key("someone else"), coin)
    cases = {
        "other_key": replace(good, signature2=stranger),
        "unreadable": replace(good, signature2="not a signature"),
        "same_key": replace(good, signature2=good.signature1),
    }
    for kind_expected, r in cases.items():
        verdict = check(r)
        assert (verdict.status, verdict.extra) == ("verified", kind_expected), (kind_expected, verdict)
        assert "extra signature2" in verdict.reason
    # the proving signature may be either cell; the other one is the extra
    swapped = check(replace(good, signature1=stranger, signature2=good.signature1))
    assert (swapped.status, swapped.extra) == ("verified", "other_key") and "extra signature1" in swapped.reason
    # no cell proves the address: failed, on the first cell, whatever the second is
    for second in ("", stranger, "not a signature"):
        failed = check(replace(good, signature1=stranger, signature2=second))
        assert failed.status == "failed" and failed.extra == "", (second, failed)
    assert check(replace(good, signature1="not a signature", signature2=stranger)).reason.startswith("signature1:")
    # OKX's own verdicts are unchanged by the strict rule: an unreadable signature2 fails its recovery step
    assert check(cases["other_key"], compat=True).status == check(good, compat=True).status
    assert check(cases["unreadable"], compat=True).status == "failed"


def test_multisig_rows_keep_their_rule() -> None:
    """Every signature a script is shown must be by a key of the script: nothing is "extra" there."""
    from tests.test_utxo_signatures import _multisig_row

    ms = _multisig_row(2, 3, [0, 1])
    assert check(ms).status == "verified"
    outsider = check(replace(ms, signature2=bip137(key("outsider"), "BTC")))
    assert outsider.status == "failed" and outsider.extra == "" and "not in the redeem script" in outsider.reason
    assert check(replace(ms, signature2="not a signature")).reason.startswith("signature2:")
    witness = _multisig_row(2, 3, [0, 1], witness=True)
    assert check(replace(witness, signature2="not a signature")).status == "failed"


def test_extra_signatures_are_stored_apart_counted_and_never_failures(tmp_path: Path) -> None:
    """The excerpt of OKX's example file through ingest and verify: verified rows, ``extra_signature`` = other_key,
    counted in the summary and in ``coverage``, and no disagreement with OKX's own verdict."""
    from indexer import store
    from indexer.ingest import ingest_file
    from indexer.verify import verify_snapshot

    path = tmp_path / "okx_por_example.csv"
    path.write_text(mirror.publication_text())
    con = store.connect(tmp_path / "por.duckdb")
    try:
        # An excerpt: its BTC total (108000.00136131) counts the file's taproot row of 100000, left out here.
        [report] = ingest_file(con, path, allow_mismatch=True)
        summary = verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True)
        got = con.execute("select status, okx_status, extra_signature from signatures order by row_no").fetchall()
        coverage = con.execute("select signatures_verified, signatures_failed, signatures_extra from coverage where coin = 'BTC'").fetchall()
        facts = con.execute("select count(*) from row_facts where signature_extra = 'other_key'").fetchall()
        disagreements = con.execute("select count(*) from signature_disagreements").fetchall()
    finally:
        con.close()
    assert got == [("verified", "verified", "other_key")] * 2
    assert summary.by_status == {"verified": 2} and summary.extra_signatures == {"other_key": 2}
    assert "extra signatures recorded apart (not failures): other_key 2" in str(summary)
    assert coverage == [(2, 0, 2)] and facts == [(2,)] and disagreements == [(0,)]


def test_the_excerpt_is_the_quoted_file() -> None:
    """The fixture keeps OKX's bytes: every row parses to 12 cells and the signatures are valid base64 of 65 bytes."""
    assert len(HEADER) == 12
    for line in mirror.P2PKH_ROWS:
        cells = line.split(",")
        assert len(cells) == 12
        for sig in (cells[7], cells[8]):
            assert len(base64.b64decode(sig, validate=True)) == 65


def test_a_note_added_to_a_verdict_keeps_its_extra_signature() -> None:
    """A row whose Network cell chooses another scheme than its coin key gets a note on its verdict; the extra
    signature that verdict recorded must survive the note (it is what ``signatures.extra_signature`` counts)."""
    from indexer.models import Coin, Verdict
    from indexer.verify import _noting

    found = Verdict("verified", "bip137", extra="other_key")
    noted = _noting(lambda row, coin: found, "scheme chosen by the Network cell")(mirror_row(mirror.P2PKH_ROWS[0]), Coin(key="BTC", asset="BTC", network="BTC", family="UTXO", address_type="", header="", decimals=8))
    assert (noted.status, noted.extra) == ("verified", "other_key") and noted.reason == "bip137; scheme chosen by the Network cell"

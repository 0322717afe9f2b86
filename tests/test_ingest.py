"""Ingest of every PoR layout into a real DuckDB file, and every way a file or row is refused."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import pytest

from indexer.ingest import IngestError, ingest_file
from tests.conftest import shared_examples

SIG = "0x" + "ab" * 65
SUMMARY_11 = f"""coin,snapshot height,amount
ETH(ALL),-,1.000000000000000001
USDT-TRC20,46095694,2.5
ETH,16005122, 1.000000000000000001

coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2
ETH,ETH,16005122,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,0.000000000000000001,I am an OKX address,{SIG},,,,
ETH,ETH,16005122,0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12,1,I am an OKX address,{SIG},null,\\N,,
USDT-TRC20,TRON,46095694,TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR, 2.500000 ,I am an OKX address,{SIG},,,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def table(con, sql: str, *params):
    return con.execute(sql, list(params)).fetchall()


def test_summary_and_11_column_detail(con, tmp_path):
    [report] = ingest_file(con, write(tmp_path, "por.csv", SUMMARY_11))
    assert (report.layout, report.rows, report.errors, report.totals) == ("summary+detail11", 3, 0, 3)
    rows = table(con, "select row_no, coin, asset, network, snapshot_height, published_amount, published_base_units, signature2, script_or_pubkey, null_cells from addresses order by row_no")
    assert rows == [
        (7, "ETH", "ETH", "ETH", 16005122, "0.000000000000000001", 1, "", "", None),
        (8, "ETH", "ETH", "ETH", 16005122, "1", 10**18, "", "", "signature2,script_or_pubkey"),
        (9, "USDT-TRC20", "USDT", "TRON", 46095694, "2.500000", 2500000, "", "", None),
    ]
    totals = table(con, "select coin, snapshot_height, amount, scale, base_units from published_totals order by row_no")
    assert totals[0] == ("ETH(ALL)", "-", "1.000000000000000001", 18, 10**18 + 1)
    assert totals[1] == ("USDT-TRC20", "46095694", "2.5", 6, 2500000)
    snap = table(con, "select layout, row_count, error_count, snapshot_heights, file_sha256 from snapshots")[0]
    assert snap[:4] == ("summary+detail11", 3, 0, [16005122, 46095694])
    assert snap[4] == hashlib.sha256(SUMMARY_11.encode()).hexdigest()


def test_12_column_type_layout_and_detail_alone(con, tmp_path):
    text = f"""coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2
ETH,Native ETH Staking,ETH,20914735,0x{"ab" * 48},32,I am an OKX address,{SIG},,,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,
ETH,Eigenlayer Staking,ETH,20914735,0x{"cd" * 48},32,I am an OKX address,{SIG},{SIG},,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12
"""
    [report] = ingest_file(con, write(tmp_path, "staking.csv", text))
    assert (report.layout, report.rows, report.errors) == ("detail12", 2, 0)
    assert table(con, "select row_no, row_type, eoa1, eoa2, published_base_units from addresses order by row_no") == [
        (2, "Native ETH Staking", "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e", "", 32 * 10**18),
        (3, "Eigenlayer Staking", "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e", "0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12", 32 * 10**18),
    ]


def test_legacy_7_column_amounts_are_base_units(con, tmp_path):
    text = f"""coin,address,amount,message,signature1,signature2,redeem script/ public key
USDT-TRC20,TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR,5436904400,I am an OKX address,{SIG},,
BTC,1DcT5Wij5tfb3oVViF8mA8p4WrG98ahZPT,44951400000,I am an OKX address,IA1j,,
ETH,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,1.5,I am an OKX address,{SIG},,
"""
    [report] = ingest_file(con, write(tmp_path, "legacy.csv", text))
    assert (report.layout, report.rows, report.errors) == ("legacy7", 2, 1)
    assert table(con, "select coin, published_amount, published_base_units from addresses order by row_no") == [
        ("USDT-TRC20", "5436.9044", 5436904400),
        ("BTC", "449.514", 44951400000),
    ]
    assert "not an integer number of base units" in table(con, "select reason from ingest_errors")[0][0]


def test_audit_layout_with_status_and_quoted_json_key(con, tmp_path):
    text = (
        "digitalAsset,network,address,signedMessage,signedMessage2,message,publicKey,owner1,owner2,status\n"
        f"USDT,ETH,0x6a32bea6b4050763a6673202efde42ad87bec0b5,{SIG},null,OKC_DTT_AUP2025,,,,5\n"
        'EOS,Vaulta,okbwallet1tr,SIG_K1_a,SIG_K1_b,OKC_DTT_AUP2025,"{""publicKey1"":""EOS1"",""publicKey2"":""EOS2""}",,,3\n'
    )
    [report] = ingest_file(con, write(tmp_path, "audit.csv", text))
    assert (report.layout, report.rows, report.errors) == ("audit", 2, 0)
    rows = table(con, "select coin, asset, network, published_amount, script_or_pubkey, audit_status from addresses order by row_no")
    assert rows[0] == ("USDT-ERC20", "USDT", "ETH", None, "", "5")
    assert rows[1][:3] == ("VAULTA", "EOS", "EOS")
    assert rows[1][4] == '{"publicKey1":"EOS1","publicKey2":"EOS2"}'


def test_okx_example_files(con):
    examples = shared_examples()
    expected = {
        "okx_por_example.csv": ("summary+detail11", 5, 12),
        "okx_por_staking_example.csv": ("summary+detail12", 3, 1),
        "okx_audit_example.csv": ("audit", 9, 0),
    }
    for name, (layout, rows, totals) in expected.items():
        [report] = ingest_file(con, examples / name)
        assert (report.layout, report.rows, report.errors, report.totals) == (layout, rows, 0, totals), name
    amounts = table(
        con,
        "select a.published_amount, a.published_base_units from addresses a join snapshots s using (snapshot_id) "
        "where s.source_file = 'okx_por_example.csv' order by row_no",
    )
    assert amounts == [
        ("0.058959708849230328", 58959708849230328),
        ("0.148960774325814037", 148960774325814037),
        ("0.148960774325814037", 148960774325814037),
        ("170.479995", 170479995),
        ("1.5", 150000000),
    ]


@pytest.mark.parametrize(
    "line, reason",
    [
        ("ETH,ETH,1,0xabc", "too few cells"),
        ("ETH,ETH,1,0xabc,1.5,msg,sig,,,,,extra", "too many cells"),
        ("ETH,ETH,1,,1.5,msg,sig,,,,", "empty address"),
        ("ETH,ETH,1,0xabc,,msg,sig,,,,", "empty amount"),
        ("ETH,ETH,1,0xabc,1.5e3,msg,sig,,,,", "bad amount"),
        ("ETH,ETH,1,0xabc,-1,msg,sig,,,,", "bad amount"),
        ("USDT-ERC20,ETH,1,0xabc,1.0000001,msg,sig,,,,", "decimals"),
        ("ETH,ETH,abc,0xabc,1,msg,sig,,,,", "bad snapshot height"),
        (",ETH,1,0xabc,1,msg,sig,,,,", "empty coin"),
    ],
)
def test_bad_rows_are_recorded_with_line_number_and_reason(con, tmp_path, line, reason):
    header = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"
    good = "ETH,ETH,1,0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e,1,msg,sig,,,,"
    [report] = ingest_file(con, write(tmp_path, "f.csv", f"{header}\n{good}\n{line}\n{good}\n"))
    assert (report.rows, report.errors) == (2, 1)
    [(row_no, text, why)] = table(con, "select row_no, line_text, reason from ingest_errors")
    assert row_no == 3 and text == line and reason in why
    assert table(con, "select error_count, row_count from snapshots") == [(1, 2)]


def test_unknown_coin_is_kept_with_a_marker(con, tmp_path):
    header = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"
    ingest_file(con, write(tmp_path, "f.csv", f"{header}\nNEWCOIN,NEWNET,5,addr1,12.345,msg,sig,,,,\n"))
    assert table(con, "select coin, asset, network, coin_known, published_amount, published_base_units from addresses") == [
        ("NEWCOIN", "NEWCOIN", "NEWNET", False, "12.345", None)
    ]
    assert table(con, "select coin, marker from coverage") == [("NEWCOIN", "unknown coin")]


def _db_fingerprint(con) -> list:
    return [table(con, f"select count(*) from {t}")[0][0] for t in ("snapshots", "addresses", "ingest_errors", "published_totals")]


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n\n  \n",
        b"hello,world\n1,2\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        '{"coins": []}'.encode(),
        b"coin,Network,Snapshot Height,address,amount,message,signature1\nETH,ETH,1,0xab,1,m,s\n\xff\xfe bad utf8\n",
    ],
    ids=["empty", "blank", "unknown-header", "binary", "json", "bad-utf8-midway"],
)
def test_a_file_that_is_not_a_por_file_changes_nothing(con, tmp_path, content):
    ingest_file(con, write(tmp_path, "good.csv", SUMMARY_11))
    before = _db_fingerprint(con)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    with pytest.raises(IngestError, match="not a Proof-of-Reserves file"):
        ingest_file(con, bad)
    assert _db_fingerprint(con) == before
    # a refused file does not consume a snapshot id: the next good file is snapshot 2
    [nxt] = ingest_file(con, write(tmp_path, "next.csv", SUMMARY_11.replace("OKX address", "OKX address.")))  # other content
    assert nxt.snapshot_id == 2


def test_same_file_twice_is_not_duplicated(con, tmp_path):
    path = write(tmp_path, "por.csv", SUMMARY_11)
    [first] = ingest_file(con, path)
    [second] = ingest_file(con, path)
    assert second.duplicate_of == first.snapshot_id and second.rows == 0
    assert table(con, "select count(*) from addresses")[0][0] == 3
    assert table(con, "select count(*) from snapshots")[0][0] == 1


def test_gzip_and_zip_with_several_members(con, tmp_path):
    gz = tmp_path / "por.csv.gz"
    gz.write_bytes(gzip.compress(SUMMARY_11.encode()))
    [report] = ingest_file(con, gz)
    assert report.rows == 3
    archive = tmp_path / "bundle.zip"
    other = SUMMARY_11.replace("I am an OKX address", "I am OKX")  # other content, same amounts (its summary still adds up)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a/first.csv", SUMMARY_11.replace("2.5", "3.5"))
        zf.writestr("second.csv.gz", gzip.compress(other.encode()))
        zf.writestr("__MACOSX/._junk", b"\x00\x01")
    [report] = ingest_file(con, archive)  # one archive is one publication: one snapshot
    assert (report.source_file, report.members, report.rows) == ("bundle.zip", ["a/first.csv", "second.csv.gz"], 6)
    assert table(con, "select count(distinct snapshot_id), count(*) from addresses")[0] == (2, 9)
    keys = table(con, "select source_member, line_no, row_no from addresses where snapshot_id = ? order by row_no", report.snapshot_id)
    assert keys == [("a/first.csv", 7, 7), ("a/first.csv", 8, 8), ("a/first.csv", 9, 9),
                    ("second.csv.gz", 7, 10**9 + 7), ("second.csv.gz", 8, 10**9 + 8), ("second.csv.gz", 9, 10**9 + 9)]  # fmt: skip
    assert table(con, "select source_file, members from snapshots where snapshot_id = ?", report.snapshot_id) == [
        ("bundle.zip", ["a/first.csv", "second.csv.gz"])
    ]


def test_zip_with_one_bad_member_loads_nothing(con, tmp_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("good.csv", SUMMARY_11)
        zf.writestr("bad.csv", "not,a,por\n")
    with pytest.raises(IngestError):
        ingest_file(con, archive)
    assert _db_fingerprint(con) == [0, 0, 0, 0]


def test_quoted_cells_and_crlf(con, tmp_path):
    text = SUMMARY_11.replace("\n", "\r\n").replace("I am an OKX address", '"I am an OKX address, quoted"')
    [report] = ingest_file(con, write(tmp_path, "crlf.csv", text))
    assert report.rows == 3 and report.errors == 0
    assert table(con, "select distinct message from addresses") == [("I am an OKX address, quoted",)]


def test_large_file_streams_in_batches(con, tmp_path, monkeypatch):
    import indexer.ingest.columnar as columnar

    # The engine reads the detail section in byte blocks; each block is one batch streamed into one INSERT.
    monkeypatch.setattr(columnar, "BLOCK_BYTES", 78_000)
    sizes: list[int] = []
    header = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"
    lines = [header] + [f"USDT-TRC20,TRON,7,T{i:033d},{i}.000001,m,s,,,," for i in range(5000)]
    [report] = ingest_file(con, write(tmp_path, "big.csv", "\n".join(lines) + "\n"), on_progress=sizes.append)
    assert report.rows == 5000
    assert len(sizes) >= 5 and sum(sizes) == 5000 and max(sizes) <= 78_000 // min(len(x) + 1 for x in lines[1:])
    assert table(con, "select sum(published_base_units) from addresses")[0][0] == sum(i * 10**6 + 1 for i in range(5000))


def test_ingest_settings_are_restored_whatever_the_outcome(con, tmp_path):
    """The ingest turns DuckDB's insertion-order keeping off and its memory limit down for itself only."""
    settings = "select current_setting('preserve_insertion_order'), current_setting('memory_limit')"
    default = table(con, settings)  # DuckDB's own default limit (80% of RAM)
    assert default[0][0] is True
    ingest_file(con, write(tmp_path, "ok.csv", SUMMARY_11))
    assert table(con, settings) == default
    con.execute("set memory_limit = '3GiB'")  # a limit the user chose
    late_failure = tmp_path / "late.csv"  # fails inside the load, after rows went into the INSERT
    late_failure.write_bytes(SUMMARY_11.replace("OKX address", "OKX address (b)").encode() + b"ETH,ETH,1,0xab,1,m,\xff,,,,,\n")
    with pytest.raises(IngestError, match="not UTF-8"):
        ingest_file(con, late_failure)
    assert table(con, settings) == [(True, "3.0 GiB")]
    # Rows sit in any physical order, yet every row is there once, with its own line number.
    assert table(con, "select count(*), count(distinct row_no) from addresses") == [(3, 3)]

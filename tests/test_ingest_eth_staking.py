"""Issue 16 D: OKX's separate ETH staking file (``okx_por_eth_staking_<hour>[_V<n>].csv``) in its own layout.

The only public traces of that file's layout are two third-party readers (docs/ingest.md, "OKX's ETH staking file"): a Go
reader that finds the header ``deposit address,validator publickey,amount,withdrawal address`` among a file's
first records, and a Python script that starts reading after the record whose first cell is ``deposit address``
and takes the withdrawal address from column 4 (``rec[3]``) of ``okx_por_eth_staking_2026070700_V3.csv``.
Both read no message or signature column. The files here are written by the test in that layout.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from indexer.ingest import IngestError, ingest_file
from exchanges.okx.layouts import detect_detail_layout, normalise_header_cell
from indexer.verify import verify_snapshot
from tests.test_ingest import table, write
from tests.test_ingest_publication import MAIN, archive

HEADER = "deposit address,validator publickey,amount,withdrawal address"  # as the Go reader's comment writes it
DEPOSIT = "0x1111111111111111111111111111111111111111"
VALIDATOR_A = "0x" + "ab" * 48
VALIDATOR_B = "0x" + "cd" * 48
WITHDRAWAL = "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e"
# OKX's own example signature of "I am an OKX address" by WITHDRAWAL (../shared/okx/examples/okx_por_staking_example.csv).
OKX_SIG = "0x07f19879aa28d51c97cddfdfecffe7ed96525545d041aee4f4386b0bf4c1a26924b637fb02ccbb97305c13daa51a0f50b8896fb25ecbaf60020cde920d227a221b"
STAKING = f"""{HEADER}
{DEPOSIT},{VALIDATOR_A},32,{WITHDRAWAL}
{DEPOSIT},{VALIDATOR_B},32.000000001,{WITHDRAWAL}
{DEPOSIT},,32,{WITHDRAWAL}
{DEPOSIT},{VALIDATOR_A},thirty-two,{WITHDRAWAL}
"""


def test_the_header_third_party_readers_use_is_a_layout_with_the_withdrawal_address_as_owner() -> None:
    layout = detect_detail_layout(HEADER.split(","))
    assert layout is not None and layout.name == "eth_staking"
    # column 4 (index 3) is the withdrawal address, read as EOA1; the validator key is the row's address
    assert (layout.columns["address"], layout.columns["amount"], layout.columns["eoa1"]) == (1, 2, 3)
    assert dict(layout.fixed) == {"coin": "ETH", "row_type": "Native ETH Staking"}
    assert layout.family == "OKX-ETH-STAKING-UNSIGNED"  # no signature column: no proof to check
    # the same text as the readers compare it (case and spaces), and not a staking file without its columns
    assert detect_detail_layout([" Deposit Address", "Validator PublicKey ", "AMOUNT", "withdrawal  address"]).name == "eth_staking"
    assert detect_detail_layout(["deposit address", "validator publickey", "amount"]) is None
    assert normalise_header_cell("validator publickey") == "validatorpublickey"


@pytest.mark.parametrize("summary", ["", "coin,amount\nETH,64.000000001\n\n"], ids=["header-first", "after-a-summary"])
def test_the_staking_file_alone_loads_its_validators_as_native_eth_staking_rows(con, tmp_path, summary) -> None:
    [report] = ingest_file(con, write(tmp_path, "okx_por_eth_staking_2026070700_V3.csv", summary + STAKING))
    assert report.layout == ("summary+" if summary else "") + "eth_staking"
    assert (report.rows, report.errors) == (2, 2)
    first = 2 + summary.count("\n")
    rows = table(con, "select line_no, coin, asset, network, row_type, address, published_amount, cast(published_base_units as varchar), eoa1, eoa2, family, snapshot_height from addresses order by row_no")
    assert rows == [
        (first, "ETH", "ETH", "ETH", "Native ETH Staking", VALIDATOR_A, "32", "32000000000000000000", WITHDRAWAL, "", "OKX-ETH-STAKING-UNSIGNED", None),
        (first + 1, "ETH", "ETH", "ETH", "Native ETH Staking", VALIDATOR_B, "32.000000001", "32000000001000000000", WITHDRAWAL, "", "OKX-ETH-STAKING-UNSIGNED", None),
    ]
    errors = table(con, "select line_no, reason from ingest_errors where reason not like 'summary%' order by row_no")
    assert errors == [(first + 2, "empty address"), (first + 3, "bad amount: not a plain decimal number: 'thirty-two'")]
    assert table(con, "select published_at, version from snapshots") == [(datetime(2026, 7, 7, 0, tzinfo=timezone.utc), 3)]
    # No signature in the file: a row with no proof, in strict and OKX-compatible mode alike (never "failed").
    summary_v = verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True)
    assert summary_v.by_status == {"unsupported": 2} and summary_v.okx_by_status == {"unsupported": 2}
    reasons = table(con, "select distinct reason from signatures")
    assert len(reasons) == 1 and "no proof published" in reasons[0][0] and "staking file" in reasons[0][0]


def test_an_archive_with_the_staking_member_is_one_publication(con, tmp_path) -> None:
    path = archive(tmp_path, "por_csv_2026070700_V3.zip", {"okx_por_2026070700_V3.csv": MAIN, "okx_por_eth_staking_2026070700_V3.csv": STAKING})
    [report] = ingest_file(con, path)  # refused before: "its header ... is not a known PoR layout"
    assert report.layout == "summary+detail11,eth_staking"
    assert (report.rows, report.errors) == (6, 2)
    eth = table(con, "select cast(published_units as varchar), rows from reserves where asset = 'ETH'")
    assert eth == [("65250000001000000000", 3)]  # 1.25 + 32 + 32.000000001: the staking member counts toward ETH
    # its rows are fetched on the beacon chain like every staking row; without a height of their own the
    # fetch records why (an error row), never a zero
    assert table(con, "select count(*) from addresses where row_type = 'Native ETH Staking' and snapshot_height is null") == [(2,)]


def test_a_staking_file_that_carries_a_signature_is_verified_as_a_staking_row(con, tmp_path) -> None:
    """Should OKX add ``message``/``signature1`` columns, the withdrawal address's signature is checked (owner mode):
    the key is proven, the validator is not linked to it by the file."""
    header = HEADER + ",message,signature1"
    good = f"{DEPOSIT},{VALIDATOR_A},32,{WITHDRAWAL},I am an OKX address,{OKX_SIG}"
    wrong_owner = f"{DEPOSIT},{VALIDATOR_B},32,0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12,I am an OKX address,{OKX_SIG}"
    [report] = ingest_file(con, write(tmp_path, "okx_por_eth_staking_2026070700_V4.csv", f"{header}\n{good}\n{wrong_owner}\n"))
    assert table(con, "select family from addresses") == [("EVM",), ("EVM",)]
    verify_snapshot(con, report.snapshot_id, workers=1, okx_compat=True)
    got = table(con, "select status, okx_status from signatures order by row_no")
    assert got == [("signature_only", "verified"), ("failed", "failed")]


def test_a_file_with_neither_layout_is_still_refused(con, tmp_path) -> None:
    with pytest.raises(IngestError, match="not a known PoR layout"):
        ingest_file(con, write(tmp_path, "f.csv", "deposit address,validator,amount\n0x1,0x2,32\n"))

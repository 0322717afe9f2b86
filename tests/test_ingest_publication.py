"""Files as OKX writes them today (SPEC §1.1a), one archive as one snapshot, and a snapshot that keeps its registry.

Every file here is written by the test in the exact layout a user downloads: the two-column summary, the
11-column header with its stray spaces, the 2026 12-column header, and a ``por_csv_<hour>_V<n>.zip`` with the
main file and the ETH staking file.
"""

from __future__ import annotations

import dataclasses
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from indexer.ingest import MEMBER_ROWS, IngestError, ingest_file
from indexer.ingest.reader import split_cells
from exchanges.okx.publication import publication_name
from indexer.registry import Registry, registry
from indexer.store import migrate
from tests.test_cli import por
from tests.test_ingest import table, write

SIG = "0x" + "ab" * 65
EOA_A = "0x0cdcdb19a857c2ac24818ca4fdfe38cce071483e"
EOA_B = "0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12"
# The headers exactly as the real files write them (SPEC §1.1a).
HEADER_11 = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2"
HEADER_12 = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2"

# Today's main file: two-column summary (one row per asset, no height), one empty line, the 11-column detail.
MAIN = f"""coin,amount
BTC,1.5
ETH,1.25
USDT,12.5

{HEADER_11}
BTC,BTC,900000,bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh,1.5,I am an OKX address,IA1j,,,,
ETH,ETH,20914735,{EOA_A},1.25,I am an OKX address,{SIG},,,,
USDT-TRC20,TRON,70000000,TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR,10,I am an OKX address,{SIG},,,,
USDT-ERC20,ETH,20914735,{EOA_B},2.5,I am an OKX address,{SIG},,,,
"""
# The ETH staking file of the same archive: the 12-column layout, no summary.
STAKING = f"""{HEADER_12}
ETH,Native ETH Staking,ETH,20914735,0x{"ab" * 48},32,I am an OKX address,{SIG},,,{EOA_A},
ETH,Eigenlayer Staking,ETH,20914735,0x{"cd" * 48},32.000000000000000001,I am an OKX address,{SIG},{SIG},,{EOA_A},{EOA_B}
ETH,Native ETH Staking,ETH,20914735,0x{"ef" * 48},32,I am an OKX address,{SIG},,,{EOA_A},,extra
"""



def trace(con) -> list[int]:
    """Row counts of every table an ingest writes: a refused file must leave all of them as they were."""
    tables = ("snapshots", "addresses", "ingest_errors", "published_totals", "snapshot_asset_scales")
    return [table(con, f"select count(*) from {t}")[0][0] for t in tables]


def archive(tmp_path: Path, name: str, members: dict[str, str | bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in members.items():
            zf.writestr(member, text)
    return path


# ---- today's layouts ---------------------------------------------------------------------------
def test_two_column_summary_and_the_real_11_column_header(con, tmp_path):
    [report] = ingest_file(con, write(tmp_path, "okx_por_2026063016.csv", MAIN))
    assert (report.layout, report.rows, report.errors, report.totals) == ("summary+detail11", 4, 0, 3)
    totals = table(con, "select line_no, coin, snapshot_height, amount, scale, cast(base_units as varchar), asset from published_totals order by row_no")
    assert totals == [
        (2, "BTC", None, "1.5", 8, "150000000", "BTC"),
        (3, "ETH", None, "1.25", 18, "1250000000000000000", "ETH"),
        (4, "USDT", None, "12.5", 18, "12500000000000000000", "USDT"),  # USDT is the asset here, not USDT on Omni
    ]
    check = table(con, "select coin, snapshot_height, published_total, detail_sum, difference, detail_rows from published_totals_check order by coin")
    assert check == [
        ("BTC", None, Decimal("1.5"), Decimal("1.5"), Decimal("0"), 1),
        ("ETH", None, Decimal("1.25"), Decimal("1.25"), Decimal("0"), 1),
        ("USDT", None, Decimal("12.5"), Decimal("12.5"), Decimal("0"), 2),  # TRON + ERC20 rows of the asset
    ]
    rows = table(con, "select line_no, coin, asset, network, published_base_units, family, contract, decimals from addresses order by row_no")
    usdt_erc20 = registry().coin("USDT-ERC20")
    assert rows == [
        (7, "BTC", "BTC", "BTC", 150000000, "UTXO", "", 8),
        (8, "ETH", "ETH", "ETH", 1250000000000000000, "EVM", "", 18),
        (9, "USDT-TRC20", "USDT", "TRON", 10000000, "TRX", registry().coin("USDT-TRC20").contract, 6),
        (10, "USDT-ERC20", "USDT", "ETH", 2500000, "EVM", usdt_erc20.contract, 6),
    ]
    assert usdt_erc20.contract  # a token row keeps a contract, a native row ''


@pytest.mark.parametrize(
    "header",
    [
        HEADER_11,
        "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key,EOA1,EOA2",
        " COIN , network,snapshot   height,Address,AMOUNT,Message,Signature1,signature2,Redeem Script/Public Key, Eoa1 ,eoa2",
    ],
    ids=["okx-11", "third-party-11", "case-and-spaces"],
)
def test_header_cells_are_compared_trimmed_case_folded_and_space_collapsed(con, tmp_path, header):
    text = f"{header}\nETH,ETH,7,{EOA_A},1,m,{SIG},,02ab,{EOA_A},{EOA_B}\n"
    [report] = ingest_file(con, write(tmp_path, "f.csv", text))
    assert (report.layout, report.rows, report.errors) == ("detail11", 1, 0)
    assert table(con, "select script_or_pubkey, eoa1, eoa2, published_base_units from addresses") == [("02ab", EOA_A, EOA_B, 10**18)]


def test_the_2026_12_column_header(con, tmp_path):
    [report] = ingest_file(con, write(tmp_path, "okx_por_eth_staking_2026063016.csv", STAKING))
    assert (report.layout, report.rows, report.errors) == ("detail12", 2, 1)
    assert table(con, "select line_no, row_type, eoa1, eoa2 from addresses order by row_no") == [
        (2, "Native ETH Staking", EOA_A, ""),
        (3, "Eigenlayer Staking", EOA_A, EOA_B),
    ]


# ---- cells: brackets, quotes, and rows that do not fit ----------------------------------------
def test_a_bracket_cell_stays_one_cell_and_the_owner_columns_stay_right(con, tmp_path):
    lines = [
        HEADER_11,
        f"BTC,BTC,900000,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,0.5,I am an OKX address,{SIG},{SIG},[aa,bb],{EOA_A},",
        f'BTC,BTC,900000,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,0.5,"OKX, quoted",{SIG},,"[cc,dd]",{EOA_A},{EOA_B}',
        f"BTC,BTC,900000,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,0.5,I am an OKX address,{SIG},,[ee,ff,{EOA_A},",
        f"BTC,BTC,900000,3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy,0.5,I am, an OKX address,{SIG},,,{EOA_A},",
    ]
    [report] = ingest_file(con, write(tmp_path, "f.csv", "\n".join(lines) + "\n"))
    assert (report.rows, report.errors) == (2, 2)
    assert table(con, "select line_no, message, script_or_pubkey, eoa1, eoa2 from addresses order by row_no") == [
        (2, "I am an OKX address", "[aa,bb]", EOA_A, ""),
        (3, "OKX, quoted", "[cc,dd]", EOA_A, EOA_B),
    ]
    errors = table(con, "select line_no, reason, line_text from ingest_errors order by row_no")
    assert [(e[0], e[2]) for e in errors] == [(4, lines[3]), (5, lines[4])]
    assert "never closed" in errors[0][1]
    assert errors[1][1] == "too many cells: 12, the header has 11"  # an unquoted comma: refused, never shifted


def test_split_cells_keeps_csv_quotes():
    assert split_cells('a,"b,""c""",[d,e],{"k":1,"j":2},') == (["a", 'b,"c"', "[d,e]", '{"k":1,"j":2}', ""], True)
    assert split_cells("a,[b,c") == (["a", "[b,c"], False)


# ---- one archive, one publication ------------------------------------------------------------
def test_an_archive_is_one_snapshot_with_exact_summed_reserves(con, tmp_path):
    path = archive(tmp_path, "por_csv_2026063016_V2.zip", {"okx_por_2026063016_V2.csv": MAIN, "okx_por_eth_staking_2026063016.csv": STAKING})
    [report] = ingest_file(con, path)
    assert (report.rows, report.errors, report.totals) == (6, 1, 3)
    assert report.layout == "summary+detail11,detail12"
    snap = table(con, "select snapshot_id, source_file, members, published_at, version, label, row_count, error_count, layout from snapshots")
    assert snap == [
        (1, "por_csv_2026063016_V2.zip", ["okx_por_2026063016_V2.csv", "okx_por_eth_staking_2026063016.csv"],
         datetime(2026, 6, 30, 16, tzinfo=timezone.utc), 2, "2026-06-30 16:00 UTC V2", 6, 1, "summary+detail11,detail12"),
    ]  # fmt: skip
    reserves = table(con, "select asset, published_amount, cast(published_units as varchar), scale, rows from reserves where snapshot_id = 1 order by asset")
    assert reserves == [
        ("BTC", Decimal("1.5"), "150000000", 8, 1),
        ("ETH", Decimal("65.250000000000000001"), "65250000000000000001", 18, 3),  # 1.25 + 32 + 32.000000000000000001
        ("USDT", Decimal("12.5"), "12500000000000000000", 18, 2),
    ]
    # Every row traceable to its member and line; keys unique across members.
    keys = table(con, "select source_member, line_no, row_no from addresses order by row_no")
    staking = "okx_por_eth_staking_2026063016.csv"
    assert keys[-2:] == [(staking, 2, MEMBER_ROWS + 2), (staking, 3, MEMBER_ROWS + 3)]
    assert keys[0] == ("okx_por_2026063016_V2.csv", 7, 7)
    assert table(con, "select count(*) = count(distinct row_no) from addresses") == [(True,)]
    assert table(con, "select source_member, line_no, row_no from ingest_errors") == [(staking, 4, MEMBER_ROWS + 4)]
    assert table(con, "select distinct source_member from published_totals") == [("okx_por_2026063016_V2.csv",)]
    # The same archive again is recognised, whatever its name.
    again = archive(tmp_path, "renamed.zip", {"okx_por_eth_staking_2026063016.csv": STAKING, "okx_por_2026063016_V2.csv": MAIN})
    assert ingest_file(con, again)[0].duplicate_of == 1


def test_label_flag_wins_over_the_name(con, tmp_path):
    [report] = ingest_file(con, write(tmp_path, "okx_por_2025123108.csv", MAIN), label="December")
    assert table(con, "select label, published_at, version from snapshots") == [("December", datetime(2025, 12, 31, 8, tzinfo=timezone.utc), None)]
    assert report.label == "December"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("por_csv_2026063016_V2.zip", (datetime(2026, 6, 30, 16, tzinfo=timezone.utc), 2)),
        ("okx_por_2026063016_V12.csv", (datetime(2026, 6, 30, 16, tzinfo=timezone.utc), 12)),
        ("okx_por_2026063016.csv", (datetime(2026, 6, 30, 16, tzinfo=timezone.utc), None)),
        ("okx_por_2025010100.csv.zip", (datetime(2025, 1, 1, 0, tzinfo=timezone.utc), None)),
        ("okx_por_2025010123_v3.csv.zip", (datetime(2025, 1, 1, 23, tzinfo=timezone.utc), 3)),
        ("okx_por_eth_staking_2025010123.csv", (datetime(2025, 1, 1, 23, tzinfo=timezone.utc), None)),  # a staking file alone states its hour too
        ("okx_por_2025013124x.csv", None),
        ("okx_por_2025023112.csv", None),  # no 31 February
        ("por.csv", None),
    ],
)
def test_publication_names(name, expected):
    found = publication_name(name)
    assert (None if found is None else (found.published_at, found.version)) == expected


# ---- refused: nothing written, no snapshot id taken -------------------------------------------
@pytest.mark.parametrize(
    "name, content, message",
    [
        ("okx_por_2026063016.csv", HEADER_11 + "\n", "has a header and no rows"),
        ("okx_por_2026063016.csv", "coin,amount\nBTC,1\n\n" + HEADER_11 + "\n\n", "has a header and no rows"),
        ("okx_por_2026063016.csv", "coin,amount\n", "has a summary header and no rows"),
        ("por_csv_2026063016_V1.zip", {}, "holds no Proof-of-Reserves file"),
        ("por_csv_2026063016_V1.zip", {"__MACOSX/._x": b"\x00"}, "holds no Proof-of-Reserves file"),
        ("por_csv_2026063016_V1.zip", {"okx_por_2026063016.csv": MAIN, "okx_por_eth_staking_2026063016.csv": HEADER_12 + "\n"},
         "member okx_por_eth_staking_2026063016.csv has a header and no rows"),
        ("por_csv_2026063016_V1.zip", {"okx_por_2026063016.csv": MAIN, "readme.txt": "hello,world\n"}, "is not a Proof-of-Reserves file"),
    ],
    ids=["header-only", "summary-and-empty-detail", "summary-header-only", "empty-zip", "junk-only-zip", "empty-member", "non-por-member"],
)
def test_an_empty_publication_is_refused_and_leaves_no_trace(con, tmp_path, name, content, message):
    path = archive(tmp_path, name, content) if isinstance(content, dict) else write(tmp_path, name, content)
    before = trace(con)
    with pytest.raises(IngestError, match=message):
        ingest_file(con, path)
    assert trace(con) == before == [0, 0, 0, 0, 0]
    [report] = ingest_file(con, write(tmp_path, "good.csv", MAIN))
    assert report.snapshot_id == 1  # the refused file took no snapshot id


def test_cli_refuses_a_header_only_file_with_exit_2_and_one_sentence(tmp_path):
    db = tmp_path / "x.duckdb"
    result = por("ingest", str(write(tmp_path, "okx_por_2026063016.csv", HEADER_11 + "\n")), "--db", str(db))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: okx_por_2026063016.csv has a header and no rows; nothing was loaded."]
    assert not db.exists()  # the database this command would have created is not left behind


# ---- a snapshot keeps the registry it was ingested with ---------------------------------------
def _registry_with(**changes: dict) -> Registry:
    reg = registry()
    coins = dict(reg.coins)
    for key, fields in changes.items():
        coins[key] = dataclasses.replace(coins[key], **fields)
    return Registry(coins=coins, networks=reg.networks, network_aliases=reg.network_aliases)


def _use_registry(monkeypatch, reg: Registry) -> None:
    import indexer.exchange_plugins
    import indexer.ingest
    import indexer.registry
    import indexer.verify

    for module in (indexer.registry, indexer.ingest, indexer.exchange_plugins):  # verify reads it through exchange_plugins
        monkeypatch.setattr(module, "registry", lambda: reg)
    monkeypatch.setattr(indexer.verify, "_DISPATCH", {})


def test_a_registry_fix_after_ingest_does_not_change_an_old_snapshot(con, tmp_path, monkeypatch):
    from indexer.verify import verify_snapshot

    [report] = ingest_file(con, write(tmp_path, "okx_por_2026063016.csv", MAIN))
    sid = report.snapshot_id
    con.execute("insert into balances (snapshot_id, row_no, as_of, block_height, base_units, status, method) values (?, 9, 'snapshot', 70000000, 10000001, 'ok', 'state_at_height')", [sid])
    views = {
        "reserves": "select * from reserves order by asset",
        "reconciliation": "select * from reconciliation order by row_no",
        "published_totals_check": "select * from published_totals_check order by coin",
        "snapshot_vs_latest_by_asset": "select * from snapshot_vs_latest_by_asset order by asset",
    }
    before = {name: table(con, sql) for name, sql in views.items()}
    assert [r[:3] for r in table(con, "select asset, onchain_amount, rows_fetched from reserves where asset = 'USDT'")] == [("USDT", Decimal("10.000001"), 1)]

    # The registry changes: USDT-TRC20 decimals 6 -> 8, the finest USDT and BTC scales move, ETH's family changes.
    changed = _registry_with(**{"USDT-TRC20": {"decimals": 8}, "USDT-OKC20": {"decimals": 20}, "BTC": {"decimals": 10}, "ETH": {"family": "ALGO"}})
    _use_registry(monkeypatch, changed)
    migrate(con)  # what the next `por` run does: the coins table now holds the new registry
    assert table(con, "select decimals from coins where coin_key = 'USDT-TRC20'") == [(8,)]
    assert {name: table(con, sql) for name, sql in views.items()} == before

    # Verification judges the old row with the family it was ingested with (EVM), not today's (ALGO).
    verify_snapshot(con, sid, workers=0, show_progress=False)
    assert table(con, "select family, status from signatures where row_no = 8") == [("EVM", "failed")]

    # A snapshot ingested now gets the new registry: the same USDT-TRC20 text is 8-decimal base units.
    [new] = ingest_file(con, write(tmp_path, "okx_por_2026073016.csv", MAIN.replace("TJTc3g", "TJTc3h")))
    assert table(con, "select published_base_units, decimals from addresses where snapshot_id = ? and coin = 'USDT-TRC20'", new.snapshot_id) == [(10**9, 8)]
    assert table(con, "select scale from asset_scales where snapshot_id = ? and asset = 'USDT'", new.snapshot_id) == [(20,)]
    assert table(con, "select scale from asset_scales where snapshot_id = ? and asset = 'USDT'", sid) == [(18,)]


def test_a_database_from_before_the_migration_keeps_its_numbers(db_path):
    import duckdb

    from tests.fixtures.old_database import schema_001

    raw = duckdb.connect(str(db_path))
    schema_001(raw)  # with the registry copy an old database holds
    raw.execute("insert into snapshots (snapshot_id, exchange, source_file, file_sha256, layout, row_count, error_count) values (1, 'okx', 'old.csv', 'h', 'summary+detail11', 2, 0)")
    raw.execute(
        "insert into addresses (snapshot_id, row_no, coin, asset, network, address, published_amount, published_base_units, coin_known) values "
        "(1, 7, 'USDT-TRC20', 'USDT', 'TRON', 'Ta', '1.5', 1500000, true), (1, 8, 'USDT-ERC20', 'USDT', 'ETH', '0xb', '2', 2000000, true)"
    )
    raw.execute("insert into published_totals (snapshot_id, row_no, coin, snapshot_height, amount, scale, base_units) values (1, 2, 'USDT(ALL)', '-', '3.5', 18, 3500000000000000000)")
    migrate(raw)
    assert table(raw, "select row_no, line_no, source_member, family, decimals from addresses order by row_no") == [
        (7, 7, "old.csv", "TRX", 6), (8, 8, "old.csv", "EVM", 6),
    ]  # fmt: skip
    assert table(raw, "select published_amount, scale from reserves") == [(Decimal("3.5"), 18)]
    assert table(raw, "select asset, line_no, difference, detail_rows from published_totals_check join published_totals using (snapshot_id, coin)") == [
        ("USDT", 2, Decimal("0"), 2)
    ]
    raw.close()

"""The columnar engine gives exactly what the row path gives: same rows, same rejections, same line numbers.

The row path (``PorReader.run`` over text, the implementation ingest used before the engine) is the
reference: it still decides every line the vectorised checks do not pass, so the two must agree on
every file, whatever the block size cuts where.
"""

from __future__ import annotations

import io

import pytest

from indexer.exchange_plugins import exchange_plugin, registry_of
from indexer.ingest.columnar import ColumnarReader
from indexer.ingest.reader import PorReader
from indexer.registry import registry

SIG = "0x" + "ab" * 65
H12 = "coin,Type,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/public key,EOA1,EOA2"
GOOD = [
    f"ETH,Non Staking,ETH,20914735,0x5eaeca4fc7bad97c81bb5c054211a0ccb746f225,0.723005150000009867,I am an OKX address,{SIG},,,,",
    "BTC,Non Staking,BTC,866000,1oka1Zyor4gTAx27TAZvoEvG6QTeBwoSs,0.33673042,I am an OKX address,IHmla=,,,,",
    "USDT-TRC20,Non Staking,TRON,66000000,TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR,1000,I am an OKX address,0xsig,,,,",
    "ETH,Staking,ETH,-,0x16f01cfc16b0b8c3400fb8e5099b0974fcc9fc12,000.5,msg,sig,,,,",
]
# Each of these either needs the row path's judgement or is refused by it; the comment says why.
MIXED = [
    "ETH,Non Staking,ETH,1,0xabc,1.0000000000000000010,msg,sig,,,,",  # a 19th decimal that is zero: accepted by the row path
    "ETH,Non Staking,ETH,1,0xabc,1.0000000000000000011,msg,sig,,,,",  # a 19th decimal that is not: refused
    "USDT-ERC20,Non Staking,ETH,1,0xabc,1.0000001,msg,sig,,,,",  # more decimals than the coin
    "ETH,Non Staking,ETH,abc,0xabc,1,msg,sig,,,,",  # bad height
    ",Non Staking,ETH,1,0xabc,1,msg,sig,,,,",  # empty coin
    "ETH,Non Staking,ETH,1,,1,msg,sig,,,,",  # empty address
    "ETH,Non Staking,ETH,1,0xabc,,msg,sig,,,,",  # empty amount
    "ETH,Non Staking,ETH,1,0xabc,null,msg,sig,,,,",  # a null amount is an empty one
    "ETH,Non Staking,ETH,1,0xabc,1e5,msg,sig,,,,",  # exponent
    "ETH,Non Staking,ETH,1,0xabc,-1,msg,sig,,,,",  # negative
    "ETH,Non Staking,ETH,1,0xabc,+1.5,msg,sig,,,,",  # a plus sign: the row path accepts it
    "ETH,Non Staking,ETH,1,0xabc,.5,msg,sig,,,,",  # no whole part: accepted
    "ETH,Non Staking,ETH,1,0xabc,5.,msg,sig,,,,",  # no fraction digits: accepted
    "ETH,Non Staking,ETH,1,0xabc,1,msg",  # too few cells
    "ETH,Non Staking,ETH,1,0xabc,1,msg,sig,a,b,c,d,e",  # too many cells
    "ETH,Non Staking,ETH,1,0xabc,1,msg,sig",  # fewer cells than the header but enough: padded and kept
    "BTC,Non Staking,BTC,866000,3Abc,1,msg,[sig1,sig2],,[pk1,pk2],,",  # bracket cells (SPEC §1.5)
    "BTC,Non Staking,BTC,866000,3Abc,1,msg,[sig1,sig2,,,,",  # a bracket never closed
    "ETH,Non Staking,ETH,1,0xabc,1,msg,sig,NULL,\\N,null,",  # null markers in optional cells
    "ETH,Non Staking,ETH,1, 0xabc\t, 2.5 ,msg,sig,,,,",  # whitespace around cells
    "ETH,Non Staking,ETH,1,0xabc,1,message ünïcode,sig,,,,",  # non-ASCII text
    "ETH,Non Staking,ETH,1,0xabc\u3000,1,msg,sig,,,,",  # an ideographic space str.strip() removes
    ",,,,,,,,,,,",  # a row of empty cells
    "NOPE,,,7,addr,1.123456789012345678901,msg,sig,,,,",  # a coin the registry lacks: any decimal is fine
    "ETH,Non Staking,ETH,99999999999999999999999,0xabc,1,msg,sig,,,,",  # a height past int64: row path
]


def _reader_args(exchange: str | None) -> tuple:
    plugin = exchange_plugin(exchange or "okx")  # None: OKX's files (the reader itself knows no exchange)
    return registry_of(plugin), plugin


def row_path(text: str, exchange: str | None = None) -> tuple[list, list, object]:
    out: dict[str, list] = {"addresses": [], "ingest_errors": [], "published_totals": []}
    reg, plugin = _reader_args(exchange)
    reader = PorReader(reg, exchange=plugin)
    stats = reader.run(io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8-sig", newline=""), lambda t, b: out[t].extend(b.to_pylist()))
    return _sorted(out), stats


def columnar(text: str, block_bytes: int | None, exchange: str | None = None) -> tuple[list, list, object, int]:
    out: dict[str, list] = {"addresses": [], "ingest_errors": [], "published_totals": []}
    reg, plugin = _reader_args(exchange)
    reader = ColumnarReader(reg, block_bytes=block_bytes, exchange=plugin)
    stats = reader.run_binary(lambda: io.BufferedReader(io.BytesIO(text.encode())), lambda t, b: out[t].extend(b.to_pylist()))
    return _sorted(out), stats, reader.fallback_lines


def _sorted(out: dict[str, list]) -> dict[str, list]:
    return {t: sorted(rows, key=lambda r: r["row_no"]) for t, rows in out.items()}


def mixed_file(newline: str = "\n", extra: list[str] = ()) -> str:
    lines = ["coin,snapshot height,amount", "ETH(ALL),-,2", "", H12]
    for i in range(40):  # good rows around every bad one, so each block mixes both
        lines += GOOD
        if i < len(MIXED):
            lines.append(MIXED[i])
        if i == 30:
            lines += ["", "   "]  # blank lines inside the detail section
    lines += extra
    return newline.join(lines) + newline


@pytest.mark.parametrize("block_bytes", [None, 300, 4096])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_mixed_file_same_rows_and_rejections_as_row_path(block_bytes, newline):
    text = mixed_file(newline)
    expected, expected_stats = row_path(text)
    got, stats, fallback = columnar(text, block_bytes)
    assert got == expected
    assert (stats.rows, stats.errors, stats.totals, stats.heights, stats.layout) == (
        expected_stats.rows, expected_stats.errors, expected_stats.totals, expected_stats.heights, expected_stats.layout
    )  # fmt: skip
    good_lines = 40 * len(GOOD)
    assert stats.rows > good_lines and fallback < len(MIXED) + 10  # the good rows went the columnar way
    # Hand-checked facts, so the comparison cannot pass with both paths wrong the same way.
    errors = {e["row_no"]: e["reason"] for e in got["ingest_errors"]}
    first_detail = 5
    bad_line = lambda k: first_detail + (k + 1) * len(GOOD) + k  # noqa: E731  line of MIXED[k]
    assert errors[bad_line(1)].startswith("amount 1.0000000000000000011 has 19 decimals; the coin has 18")
    assert errors[bad_line(3)] == "bad snapshot height: 'abc'"
    assert errors[bad_line(4)] == "empty coin"
    assert errors[bad_line(13)].startswith("too few cells: 7")
    assert errors[bad_line(14)] == "too many cells: 13, the header has 12"
    rows = {r["row_no"]: r for r in got["addresses"]}
    assert rows[bad_line(0)]["published_base_units"] == "1000000000000000001"
    assert rows[bad_line(10)]["published_base_units"] == "1500000000000000000"
    assert rows[bad_line(18)]["null_cells"] == "signature2,script_or_pubkey,eoa1"
    assert rows[bad_line(19)]["address"] == "0xabc" and rows[bad_line(19)]["published_amount"] == "2.5"
    assert rows[first_detail + 3]["published_base_units"] == "500000000000000000"  # 000.5 ETH
    assert rows[first_detail + 3]["snapshot_height"] is None


def test_fast_path_rows_match_field_by_field():
    """Only good rows: nothing falls back, and each column equals the row path's."""
    text = "\n".join([H12] + GOOD * 50 + ["ETH,Non Staking,ETH,1,0xabc,1,msg,sig,null,,,"]) + "\n"
    expected, _ = row_path(text)
    got, _, fallback = columnar(text, None)
    assert fallback == 0
    assert got == expected
    assert got["addresses"][-1]["null_cells"] == "signature2"


def test_quoted_cells_hand_the_rest_to_the_row_path():
    """A quote may open a cell spanning lines; from that block on the row path reads, numbers intact."""
    extra = ['ETH,Non Staking,ETH,1,0xq,1,"multi', 'line, message",sig,,,,', *GOOD]
    text = mixed_file(extra=extra)
    expected, _ = row_path(text)
    got, _, _ = columnar(text, 2048)
    assert got == expected
    assert any(r["message"] == "multi\nline, message" for r in got["addresses"])


BINANCE_HEADER = "coin,network,address,balance,Height,Third party custodian name"
BINANCE_GOOD = [
    'ETH,ETH,0x57a0000000000000000000000000000000a646,0.031817860000000000,24781026,""',  # Binance's "" on every row
    'BTC,BTC,1BinanceHot1111111111111111111111,12.345678900000000000,944321,"Ceffu"',  # 18 places for an 8-decimal coin
    'USDT,TRX,TKHuVq1oKVruCGLvqVexFs6dawKv6fQgFs,100.000001000000000000,81234567,""',
    "BNB,BSC,0x0000000000000000000000000000000000000001,1.000000000000000001,50123456,",  # unquoted empty custodian
]
BINANCE_MIXED = [
    'USDT,ETH,0x02,5.123456100000000000,24781026,""',  # a 7th decimal on a 6-decimal coin: refused
    'NOPE,NOWHERE,0x03,1.5,1,""',  # a pair the map lacks: kept as an unknown coin
    'ETH,ETH,,1.0,1,""',  # empty address
]
# Quotes only csv.reader reads right: the block they are in, and the rest of the member, take the row path.
BINANCE_QUOTED = [
    'BTC,BTC,1Abc,1.0,944321,"Sygnum, Bank"',  # a comma inside quotes
    'BTC,BTC,1Abc,1.0,944321, "Ceffu"',  # a space before the quote: csv.reader keeps the quotes as text
    'BTC,BTC,1Abc,1.0,944321,"say ""hi"""',  # doubled quotes inside a quoted cell
]
HTX_DETAIL = "coin,address,snapshot height,balance,message,signature"
HTX_GOOD = [
    "BTC,1oka1Zyor4gTAx27TAZvoEvG6QTeBwoSs,934496,6985.2,King will be back!,IHmla=",
    "DOGE,DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L,6066323,2866993.9984026,-,-",  # no proof: "-" is absent
    "stETH,0x5eaeca4fc7bad97c81bb5c054211a0ccb746f225,-,-,htx,0xsig",  # signature-only: no amount, never 0
    "USDT-TRC20,TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR,79736938,36105078.59,huobi,0xsig",
]


def binance_file(odd: list[str], repeats: int = 30) -> str:
    lines = [BINANCE_HEADER]
    for i in range(repeats):
        lines += BINANCE_GOOD
        if i < len(odd):
            lines.append(odd[i])
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("block_bytes", [None, 256])
def test_binance_dialect_same_as_row_path_and_columnar(block_bytes):
    """Binance's quoted empty custodian, 18 places for every coin and (coin, network) pairs stay on the fast path."""
    text = binance_file(BINANCE_MIXED)
    expected, expected_stats = row_path(text, "binance")
    got, stats, fallback = columnar(text, block_bytes, "binance")
    assert got == expected and (stats.rows, stats.errors) == (expected_stats.rows, expected_stats.errors)
    rows = {r["row_no"]: r for r in got["addresses"]}
    assert rows[3]["custodian"] == "Ceffu" and rows[2]["custodian"] is None
    assert rows[3]["coin"] == "BTC" and rows[3]["published_base_units"] == "1234567890"
    assert rows[4]["coin"] == "USDT-TRC20" and rows[4]["published_base_units"] == "100000001"
    assert [e["reason"] for e in got["ingest_errors"]][0].startswith("amount 5.123456100000000000 has 18 decimals; the coin has 6")
    if block_bytes is None:  # one block: only the two refused lines went to the row path (an unknown pair is kept fast)
        assert fallback == 2
    assert stats.rows > 30 * len(BINANCE_GOOD)


@pytest.mark.parametrize("block_bytes", [None, 256])
@pytest.mark.parametrize("quoted", BINANCE_QUOTED)
def test_binance_quotes_only_csv_reader_reads_go_to_the_row_path(block_bytes, quoted):
    text = binance_file([*BINANCE_MIXED[:2], quoted, *BINANCE_MIXED[2:]])
    expected, _ = row_path(text, "binance")
    got, _, _ = columnar(text, block_bytes, "binance")
    assert got == expected
    assert len(got["addresses"]) == 30 * len(BINANCE_GOOD) + 2


def test_a_quote_spanning_lines_in_a_binance_file_hands_over_to_the_row_path():
    text = "\n".join([BINANCE_HEADER, *BINANCE_GOOD * 5, 'BTC,BTC,1Abc,1.0,944321,"Ceffu', 'AG"', *BINANCE_GOOD * 5]) + "\n"
    expected, _ = row_path(text, "binance")
    got, _, _ = columnar(text, None, "binance")
    assert got == expected
    assert any(r["custodian"] == "Ceffu\nAG" for r in got["addresses"])


@pytest.mark.parametrize("block_bytes", [None, 200])
def test_htx_dialect_same_as_row_path(block_bytes):
    """HTX's "-" (absent, case-free), an absent amount kept NULL, the summary with (ALL) rows and a BOM."""
    lines = ["\ufeffcoin,snapshot height,balance", "BTC(ALL),-,6985.70", "BTC,934496,6985.20", "", HTX_DETAIL]
    lines += HTX_GOOD * 20 + ["ETH,0xabc,1,1.5,htx,0xsig,extra", "ETH,,1,1.5,htx,0xsig", "ETH,0xabc,1,abc,htx,0xsig"]
    text = "\n".join(lines) + "\n"
    expected, expected_stats = row_path(text, "htx")
    got, stats, fallback = columnar(text, block_bytes, "htx")
    assert got == expected and (stats.rows, stats.errors, stats.totals) == (expected_stats.rows, expected_stats.errors, expected_stats.totals)
    rows = {r["row_no"]: r for r in got["addresses"]}
    assert rows[7]["message"] == "" and rows[7]["signature1"] == "" and rows[7]["null_cells"] == "message,signature1"
    assert rows[8]["published_amount"] is None and rows[8]["published_base_units"] is None and rows[8]["snapshot_height"] is None
    assert fallback <= 3 and stats.errors == 3


def test_invalid_utf8_is_refused_as_by_row_path():
    from indexer.ingest.reader import NotAPorFile

    data = (H12 + "\n" + "\n".join(GOOD) + "\n").encode() + b"ETH,x,ETH,1,0x\xff\xfe,1,m,s,,,,\n"
    with pytest.raises(NotAPorFile, match="not UTF-8"):
        ColumnarReader(registry(), exchange=exchange_plugin("okx")).run_binary(lambda: io.BufferedReader(io.BytesIO(data)), lambda t, b: None)


@pytest.mark.parametrize("where", ["header", "detail"])
def test_bare_carriage_returns_number_lines_as_the_row_path(where):
    """A bare CR ends a line for the row path (universal newlines); the engine hands such text to it."""
    head = "coin,snapshot height,amount\r\rETH(ALL),-,2\n\n" if where == "header" else "coin,snapshot height,amount\nETH(ALL),-,2\n\n"
    body = "\n".join(GOOD) + "\r\r\n" + "\n".join(GOOD + MIXED[:5]) + "\n"
    text = head + H12 + "\n" + body
    expected, _ = row_path(text)
    got, _, _ = columnar(text, 256)
    assert got == expected and got["addresses"]


def _db_counts(con) -> tuple:
    return tuple(con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in ("snapshots", "addresses", "ingest_errors", "published_totals"))


@pytest.mark.parametrize("tail", [b"ETH,x,ETH,1,0xabc,1,m,s,,,,\xff\n", ("ETH,x,ETH,1,0xabc," + "9" * 40 + ",m,s,,,,\n").encode()])
def test_failure_after_streamed_blocks_changes_nothing(con, tmp_path, monkeypatch, tail):
    """Blocks already streamed into the INSERT are rolled back when a later block fails (parser or DuckDB)."""
    import indexer.ingest.columnar as columnar
    from indexer.ingest import IngestError, ingest_file

    monkeypatch.setattr(columnar, "BLOCK_BYTES", 2048)
    path = tmp_path / "late-failure.csv"
    path.write_bytes(("coin,snapshot height,amount\nETH(ALL),-,2\n\n" + H12 + "\n" + "\n".join(GOOD * 60) + "\n").encode() + tail)
    before = _db_counts(con)
    streamed: list[int] = []
    with pytest.raises(Exception) as failure:
        ingest_file(con, path, on_progress=streamed.append)
    assert sum(streamed) >= 100  # rows had gone into the INSERT before the failure
    if tail.endswith(b"\xff\n"):
        assert failure.type is IngestError and "not UTF-8" in str(failure.value)
    assert _db_counts(con) == before
    good = tmp_path / "good.csv"
    good.write_text(H12 + "\n" + "\n".join(GOOD * 60) + "\n")
    [report] = ingest_file(con, good)  # the connection is usable afterwards
    assert report.rows == 240

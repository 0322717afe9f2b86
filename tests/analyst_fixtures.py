"""Two hand-made OKX files one month apart, loaded the way a user loads them, for the analyst views' tests.

April (``okx_por_2026040108.csv``) and May (``okx_por_2026050108.csv``) are ingested May first, so
snapshot ids run against publication order (May = 1, April = 2): the views must order by time.

| asset/network | address                                  | April  | May    |
|---------------|------------------------------------------|--------|--------|
| BTC/BTC       | 1BoatSLRHtKNngkdXEeobR76b53LETtpyT       | 1.5    | 1.75   | kept
| BTC/BTC       | 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy       | 2.25   | —      | removed
| BTC/BTC       | bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq | —    | 3      | added
| ETH/ETH       | 0x5290…9EE7 (EIP-55 in April, lower case in May) | 10 | 12  | kept
| USDT/ETH      | 0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe | 100  | —      | removed
| USDT/TRON     | TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR       | —      | 50     | added
| OKB/ETH       | 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359 | —    | 5      | added

Balances as the fetcher writes them: April BTC 1BoatS… 1.4 (ok), 3J98… error; May BTC 1BoatS… 1.75 (ok),
ETH 11.5 (ok, a mismatch of -0.5).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

HEADER = "coin,Network,Snapshot Height,address,amount,message,signature1,signature2,redeem script/ public key, eoa1, eoa2\n"
MSG = "I am an OKX address"
BTC1, BTC2, BTC3 = "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ETH_MIXED = "0x52908400098527886E0F7030069857D2E4169EE7"
USDT_ERC = "0xde0B295669a9FD93d5F28D9Ec85E40f4cb697BAe"
USDT_TRC = "TJTc3g4AuDoPxCFmTbcTJEmQwhFrTnJGNR"
OKB_ADDR = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"


def _line(coin: str, network: str, height: int, address: str, amount: str) -> str:
    return f"{coin},{network},{height},{address},{amount},{MSG},0xsig,,,,\n"


APRIL = HEADER + "".join(
    [
        _line("BTC", "BTC", 840000, BTC1, "1.5"),
        _line("BTC", "BTC", 840000, BTC2, "2.25"),
        _line("ETH", "ETH", 19500000, ETH_MIXED, "10"),
        _line("USDT-ERC20", "ETH", 19500000, USDT_ERC, "100"),
    ]
)
MAY = HEADER + "".join(
    [
        _line("BTC", "BTC", 845000, BTC1, "1.75"),
        _line("BTC", "BTC", 845000, BTC3, "3"),
        _line("ETH", "ETH", 19700000, ETH_MIXED.lower(), "12"),
        _line("USDT-TRC20", "TRON", 61000000, USDT_TRC, "50"),
        _line("OKB", "ETH", 19700000, OKB_ADDR, "5"),
    ]
)
MAY_ID, APRIL_ID = 1, 2


def build(con, tmp_path: Path) -> None:
    """Ingest May then April, load liabilities, and write the balances listed in the module docstring."""
    from indexer.ingest import ingest_file
    from indexer.liabilities import load_liabilities
    from indexer.store import append_arrow

    may, april = tmp_path / "okx_por_2026050108.csv", tmp_path / "okx_por_2026040108.csv"
    may.write_text(MAY)
    april.write_text(APRIL)
    assert ingest_file(con, may)[0].snapshot_id == MAY_ID
    assert ingest_file(con, april)[0].snapshot_id == APRIL_ID
    liab = tmp_path / "liab_april.csv"
    liab.write_text("asset,amount\nBTC,3\nETH,8\n")
    load_liabilities(con, liab, APRIL_ID)
    liab = tmp_path / "liab_may.csv"
    liab.write_text("asset,amount\nBTC,5\nETH,10\nOKB,4\n")
    load_liabilities(con, liab, MAY_ID)

    def row_no(sid: int, address: str) -> int:
        return con.execute("select row_no from addresses where snapshot_id = ? and address = ?", [sid, address]).fetchall()[0][0]

    balances = [
        (APRIL_ID, row_no(APRIL_ID, BTC1), 840000, "1.4", "140000000", "ok", None),
        (APRIL_ID, row_no(APRIL_ID, BTC2), None, None, None, "error", "scantxoutset failed"),
        (MAY_ID, row_no(MAY_ID, BTC1), 845000, "1.75", "175000000", "ok", None),
        (MAY_ID, row_no(MAY_ID, ETH_MIXED.lower()), 19700000, "11.5", "11500000000000000000", "ok", None),
    ]
    table = pa.table(
        {
            "snapshot_id": pa.array([b[0] for b in balances], pa.int32()),
            "row_no": pa.array([b[1] for b in balances], pa.int64()),
            "as_of": ["snapshot"] * len(balances),
            "block_height": pa.array([b[2] for b in balances], pa.int64()),
            "amount": [b[3] for b in balances],
            "base_units": [b[4] for b in balances],
            "status": [b[5] for b in balances],
            "error": [b[6] for b in balances],
            "source": ["test"] * len(balances),
            "method": ["state_at_height"] * len(balances),
        }
    )
    append_arrow(con, "balances", table, select="* replace (cast(base_units as hugeint) as base_units)")

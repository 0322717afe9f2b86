"""``por synth --exchange binance``: a synthetic publication in Binance's exact layout (a zip of HotCold and Deposit members)."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

BINANCE_HEADER = "coin,network,address,balance,Height,Third party custodian name\n"
# (coin, network, share, decimals of the coin, height, address kind)
BINANCE_MIX = [
    ("USDT", "ETH", 22, 6, 24781026, "evm"), ("ETH", "ETH", 18, 18, 24781026, "evm"), ("USDT", "TRX", 16, 6, 81234567, "tron"),
    ("BTC", "BTC", 12, 8, 944321, "btc"), ("BNB", "BSC", 10, 18, 50123456, "evm"), ("USDT", "BSC", 6, 18, 50123456, "evm"),
    ("USDC", "ETH", 5, 6, 24781026, "evm"), ("SOL", "SOL", 5, 9, 410000000, "sol"), ("TRX", "TRX", 3, 6, 81234567, "tron"),
    ("XRP", "XRP", 2, 6, 99000000, "xrp"), ("DOGE", "DOGE", 1, 8, 6100000, "doge"),
]  # fmt: skip
CUSTODIANS = ("Ceffu", "Sygnum Bank")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BLOCK = 50_000


def _address(kind: str, i: int, rng: random.Random) -> str:
    if kind == "evm":
        return "0x" + rng.getrandbits(160).to_bytes(20, "big").hex()
    tail = "".join(rng.choices(_B58, k=33))
    return {"tron": "T" + tail, "btc": "1" + tail, "doge": "D" + tail, "xrp": "r" + tail[:32], "sol": tail[:32] + str(i % 10).replace("0", "A")}[kind]


def binance_rows(rows: int, seed: int, *, hot: bool, start: int = 0):
    """Blocks of CSV text (header excluded) for ``rows`` rows: deterministic per seed."""
    rng = random.Random(f"binance/{seed}/{'hot' if hot else 'deposit'}")
    choices = [m for m in BINANCE_MIX]
    weights = [m[2] for m in BINANCE_MIX]
    done = 0
    while done < rows:
        n = min(BLOCK, rows - done)
        picks = rng.choices(choices, weights, k=n)
        lines = []
        for j, (coin, network, _, decimals, height, kind) in enumerate(picks):
            i = start + done + j
            units = int(10 ** rng.uniform(0, decimals + (6 if hot else 2)))
            whole, frac = divmod(units, 10**decimals)
            amount = f"{whole}.{str(frac).rjust(decimals, '0')}{'0' * (18 - decimals)}" if decimals else f"{whole}.{'0' * 18}"
            custodian = CUSTODIANS[(i // 200) % 2] if hot and i % 200 == 1 else ""
            lines.append(f'{coin},{network},{_address(kind, i, rng)},{amount},{height},"{custodian}"\n')
        yield "".join(lines)
        done += n


def write_binance(out: Path, rows: int, seed: int) -> int:
    """A ``wallet_address_<YYYYMMDD>.zip`` (HotCold ≈ rows/1000 + Deposit), or one member ``.csv`` when ``out`` ends in .csv."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    audit_id = "PR01APR26"
    if out.suffix.lower() == ".csv":
        with open(out, "w", encoding="utf-8", newline="") as f:
            f.write(BINANCE_HEADER)
            for block in binance_rows(rows, seed, hot=False):
                f.write(block)
        return rows
    hot = max(1, min(rows - 1, rows // 1000)) if rows > 1 else rows
    deposit = rows - hot
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, count, is_hot, start in ((f"{audit_id}_HotCold.csv", hot, True, 0), (f"{audit_id}_Deposit.csv", deposit, False, hot)):
            if count <= 0:
                continue
            with zf.open(name, "w", force_zip64=True) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as f:
                f.write(BINANCE_HEADER)
                for block in binance_rows(count, seed, hot=is_hot, start=start):
                    f.write(block)
    return rows


# ------------------------------------------------------------------------------------------ HTX

"""``por synth --exchange binance|htx``: synthetic publications in Binance's and HTX's exact layouts.

Binance's file is the scale test (ten million rows, no signatures), so it is written streaming, in
blocks of rows formatted with one ``str.join`` each and written straight into the zip member: memory
stays flat whatever ``--rows`` is. Addresses are derived from the row index (``keccak``-free hex and
base58-looking text are enough: nothing verifies them), amounts carry 18 decimal places as Binance writes
them, and one row in 200 of the HotCold member names a custodian. HTX's file is small and signed
for real: BTC (Bitcoin signed message), EVM (raw keccak and EIP-191), TRON and SOL rows by fresh keys.
"""

from __future__ import annotations

import base64
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
HTX_SUMMARY_HEADER = "coin,snapshot height,balance"
HTX_DETAIL_HEADER = "coin,address,snapshot height,balance,message,signature"
HTX_MIX = [("BTC", 934496, 8, "btc"), ("ETH", 24355911, 18, "evm"), ("stETH", 24355911, 18, "evm"), ("USDT-TRC20", 79736938, 6, "tron"),
           ("TRX", 79736938, 6, "tron"), ("SOL", 397161865, 9, "sol"), ("USDT-ERC20", 24355911, 6, "evm")]  # fmt: skip
HTX_MESSAGES = ("huobi", "King will be back!", "htx")


def _htx_signed(kind: str, message: str, key_seed: bytes) -> tuple[str, str]:
    """(address, signature) by a fresh key, in HTX's formats."""
    from coincurve import PrivateKey

    from chains.common.encoding import b58check_encode, b58encode
    from chains.common.hashes import hash160, keccak256, sha256d
    from chains.common.encoding import varstr
    from chains.common.messages import TRON32, eip191_preimage
    from chains.common.secp import key_from_seed

    if kind == "sol":
        from nacl.signing import SigningKey

        sk = SigningKey(keccak256(b"htx-synth/sol/" + key_seed))
        return b58encode(bytes(sk.verify_key)), base64.b64encode(sk.sign(message.encode()).signature).decode()
    key: PrivateKey = key_from_seed(key_seed, b"htx-synth/" + kind.encode())
    if kind == "btc":
        digest = sha256d(varstr(b"Bitcoin Signed Message:\n") + varstr(message.encode()))
        sig = key.sign_recoverable(digest, hasher=None)
        address = b58check_encode(b"\x00" + hash160(key.public_key.format()))
        return address, base64.b64encode(bytes([31 + sig[64]]) + sig[:64]).decode()
    account = keccak256(key.public_key.format(compressed=False)[1:])[12:]
    if kind == "evm":
        digest = keccak256(message.encode()) if key_seed[-1] % 2 else keccak256(eip191_preimage(message.encode()))
        sig = key.sign_recoverable(digest, hasher=None)
        return "0x" + account.hex(), "0x" + sig[:64].hex() + bytes([sig[64]]).hex()  # v 00/01 as HTX writes
    digest = keccak256(TRON32 + keccak256(message.encode())) if key_seed[-1] % 2 else keccak256(TRON32 + message.encode())
    sig = key.sign_recoverable(digest, hasher=None)
    return b58check_encode(b"\x41" + account), sig[:64].hex() + bytes([sig[64]]).hex()


def write_htx(out: Path, rows: int, seed: int) -> int:
    """``huobi_por``-layout file: BOM, summary with per-key and ``(ALL)`` rows, blank line, signed detail rows."""
    rng = random.Random(f"htx/{seed}")
    detail: list[str] = []
    per_key: dict[str, int] = {}
    decimals_of = {k: d for k, _, d, _ in HTX_MIX}
    for i in range(rows):
        key, height, decimals, kind = HTX_MIX[i % len(HTX_MIX)]
        message = HTX_MESSAGES[i % 3]
        address, signature = _htx_signed(kind, message, f"{seed}/{i}".encode() + bytes([i % 256]))
        if i % 11 == 5:  # an address HTX does not prove
            message = signature = "-"
        units = rng.randrange(1, 10 ** (decimals + 4))
        amount = f"{units // 10**decimals}.{str(units % 10**decimals).rjust(decimals, '0')[:2]}"
        if i % 13 == 9:  # signature-only row: no height, no balance
            detail.append(f"{key},{address},-,-,{message},{signature}")
            continue
        per_key[key] = per_key.get(key, 0) + int(amount.replace(".", "")) * 10 ** (decimals_of[key] - 2)
        detail.append(f"{key},{address},{height},{amount},{message},{signature}")
    from indexer.ingest.amounts import from_base_units

    summary = []
    assets = {"BTC": ["BTC"], "ETH": ["ETH", "stETH"], "USDT": ["USDT-TRC20", "USDT-ERC20"], "TRX": ["TRX"], "SOL": ["SOL"]}
    heights = {k: h for k, h, _, _ in HTX_MIX}
    for asset, keys in assets.items():
        scale = max(decimals_of[k] for k in keys)
        total = sum(per_key.get(k, 0) * 10 ** (scale - decimals_of[k]) for k in keys)
        summary.append(f"{asset}{'(ALL)' if asset in ('BTC', 'ETH', 'USDT') else '(All)'},-,{from_base_units(total, scale)}")
        summary += [f"{k},{heights[k]},{from_base_units(per_key.get(k, 0), decimals_of[k])}" for k in keys]
    text = "\ufeff" + "\n".join([HTX_SUMMARY_HEADER, *summary, "", HTX_DETAIL_HEADER, *detail]) + "\n"
    Path(out).write_text(text, encoding="utf-8")
    return rows


def write_exchange_synth(exchange: str, out: Path, rows: int, seed: int) -> int:
    if exchange == "binance":
        return write_binance(out, rows, seed)
    if exchange == "htx":
        return write_htx(out, rows, seed)
    raise ValueError(f"por synth knows okx, htx and binance, not {exchange!r}")

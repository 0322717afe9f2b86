"""``por synth --exchange htx``: a synthetic ``huobi_por`` file (BOM, summary, blank line, signed detail rows).

The signatures are the chain schemes' own signers, found by name (this package imports no chain).
"""

from __future__ import annotations

import random
from pathlib import Path

from indexer.models import Coin, from_base_units
from indexer.plugins import scheme

HTX_SUMMARY_HEADER = "coin,snapshot height,balance"
HTX_DETAIL_HEADER = "coin,address,snapshot height,balance,message,signature"
HTX_MIX = [("BTC", 934496, 8, "btc"), ("ETH", 24355911, 18, "evm"), ("stETH", 24355911, 18, "evm"), ("USDT-TRC20", 79736938, 6, "tron"),
           ("TRX", 79736938, 6, "tron"), ("SOL", 397161865, 9, "sol"), ("USDT-ERC20", 24355911, 6, "evm")]  # fmt: skip
HTX_MESSAGES = ("huobi", "King will be back!", "htx")


# HTX's checker convention per kind -> the chain scheme that signs (and verifies) it, and the coin it signs for
_SCHEME = {"btc": "bitcoin-signed-message", "evm": "evm-keccak-or-eip191", "tron": "tron-message-or-hash", "sol": "solana-raw-message"}
# A P2PKH Bitcoin row (no network: the UTXO signer's multisig mix is for BTC rows of OKX's files)
_BTC = Coin(key="BTC", asset="BTC", network="", family="UTXO", address_type="BTC", header="BTC", decimals=8)


def _htx_signed(kind: str, message: str, key_seed: bytes) -> tuple[str, str]:
    """(address, signature) by a fresh key, in HTX's formats, from the chain scheme's own signer."""
    found = scheme(_SCHEME[kind])
    if found is None or found.sign is None:
        raise ValueError(f"no installed chain plugin signs the {_SCHEME[kind]} scheme")
    cells = found.sign(_BTC, message, key_seed)
    return cells["address"], cells["signature1"]


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

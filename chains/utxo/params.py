"""Address parameters of the Bitcoin-family networks (SPEC §3.4 step 2), by OKX address type."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UtxoParams:
    p2pkh: bytes  # base58check version prefix(es)
    p2sh: bytes
    hrp: str  # segwit human-readable part ("" when the chain has no segwit)
    header: str  # message-header constant name (see indexer registry ``header``)


# Mainnet parameters as OKX's tool uses them. BCH/BCHA/ZEN/DCR use BTC's.
PARAMS: dict[str, UtxoParams] = {
    "BTC": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "BCH": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "BCHA": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "ZEN": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "DCR": UtxoParams(b"\x00", b"\x05", "bc", "BTC"),
    "LTC": UtxoParams(bytes([48]), bytes([50]), "ltc", "LTC"),
    "DOGE": UtxoParams(bytes([30]), bytes([22]), "", "DOGE"),
    "DASH": UtxoParams(bytes([76]), bytes([16]), "", "DASH"),
    "BTG": UtxoParams(bytes([38]), bytes([23]), "btg", "BTG"),
    "DGB": UtxoParams(bytes([30]), bytes([63]), "dgb", "DGB"),
    "QTUM": UtxoParams(bytes([58]), bytes([50]), "qc", "QTUM"),
    "RVN": UtxoParams(bytes([60]), bytes([122]), "", "RVN"),
    "ZEC": UtxoParams(b"\x1c\xb8", b"\x1c\xbd", "", "ZEC"),
    # Regtest/testnet variants used by tests and by users of local nodes.
    "LTC_REGTEST": UtxoParams(bytes([111]), bytes([58]), "rltc", "LTC"),
    "BTC_REGTEST": UtxoParams(bytes([111]), bytes([196]), "bcrt", "BTC"),
}

# Message-header constants (SPEC §2.1), byte-exact.
HEADERS: dict[str, bytes] = {
    "BTC": b"Bitcoin Signed Message:\n",
    "LTC": b"Litecoin Signed Message:\n",
    "DOGE": b"Dogecoin Signed Message:\n",
    "DASH": b"DarkCoin Signed Message:\n",
    "BTG": b"Bitcoin Gold Signed Message:\n",
    "BCD": b"Bitcoindiamond Signed Message:\n",
    "DGB": b"DigiByte Signed Message:\n",
    "QTUM": b"Qtum Signed Message:\n",
    "RVN": b"Raven Signed Message:\n",
    "ZEC": b"Zcash Signed Message:\n",
}

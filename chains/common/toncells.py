"""TON wallet addresses: the StateInit representation hash of the standard wallet contracts.

A TON wallet address is not a function of the key alone but of (code, data): the
hash of the StateInit cell that deploys the wallet. So the check needs the exact
code cell of each wallet version and the exact layout of its initial data cell.
The cell hashing is a few lines (TON whitepaper §3.1.4-3.1.5, ordinary level-0
cells only), so no TON SDK is imported at run time; the tests cross-check every
version against pytoniq_core when it is installed.

The code cells are the standard wallet BOCs as every TON SDK ships them
(tonutils-go ``_V3R2CodeHex`` / ``_HighloadV3CodeHex``; V4R2 and V5R1 from the
same public wallet sources); their representation hashes are the well-known
code hashes, asserted below at first use so a corrupted constant cannot pass
silently.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from hashlib import sha256

from chains.common.hashes import crc16_xmodem

_V3R2_CODE_BOC = (
    "b5ee9c724101010100710000deff0020dd2082014c97ba218201339cbab19f71b0ed44d0d31fd31f31d70bffe304e0a4"
    "f2608308d71820d31fd31fd31ff82313bbf263ed44d0d31fd31fd3ffd15132baf2a15144baf2a204f901541055f910f2"
    "a3f8009320d74a96d307d402fb00e8d101a4c8cb1fcb1fcbffc9ed5410bd6dad"
)
_V4R2_CODE_BOC = (
    "b5ee9c72410214010002d4000114ff00f4a413f4bcf2c80b010201200203020148040504f8f28308d71820d31fd31fd3"
    "1f02f823bbf264ed44d0d31fd31fd3fff404d15143baf2a15151baf2a205f901541064f910f2a3f80024a4c8cb1f5240"
    "cb1f5230cbff5210f400c9ed54f80f01d30721c0009f6c519320d74a96d307d402fb00e830e021c001e30021c002e300"
    "01c0039130e30d03a4c8cb1f12cb1fcbff1011121302e6d001d0d3032171b0925f04e022d749c120925f04e002d31f21"
    "8210706c7567bd22821064737472bdb0925f05e003fa403020fa4401c8ca07cbffc9d0ed44d0810140d721f404305c81"
    "0108f40a6fa131b3925f07e005d33fc8258210706c7567ba923830e30d03821064737472ba925f06e30d060702012008"
    "09007801fa00f40430f8276f2230500aa121bef2e0508210706c7567831eb17080185004cb0526cf1658fa0219f400cb"
    "6917cb1f5260cb3f20c98040fb0006008a5004810108f45930ed44d0810140d720c801cf16f400c9ed540172b08e2382"
    "1064737472831eb17080185005cb055003cf1623fa0213cb6acb1fcb3fc98040fb00925f03e20201200a0b0059bd242b"
    "6f6a2684080a06b90fa0218470d4080847a4937d29910ce6903e9ff9837812801b7810148987159f31840201580c0d00"
    "11b8c97ed44d0d70b1f8003db29dfb513420405035c87d010c00b23281f2fff274006040423d029be84c600201200e0f"
    "0019adce76a26840206b90eb85ffc00019af1df6a26840106b90eb858fc0006ed207fa00d4d422f90005c8ca0715cbff"
    "c9d077748018c8cb05cb0222cf165005fa0214cb6b12ccccc973fb00c84014810108f451f2a7020070810108d718fa00"
    "d33fc8542047810108f451f2a782106e6f746570748018c8cb05cb025006cf165004fa0214cb6a12cb1fcb3fc973fb00"
    "02006c810108d718fa00d33f305224810108f459f2a782106473747270748018c8cb05cb025005cf165003fa0213cb6a"
    "cb1f12cb3fc973fb00000af400c9ed54696225e5"
)
_HLV3_CODE_BOC = (
    "b5ee9c7241021001000228000114ff00f4a413f4bcf2c80b01020120020d02014803040078d020d74bc00101c060b091"
    "5be101d0d3030171b0915be0fa4030f828c705b39130e0d31f018210ae42e5a4ba9d8040d721d74cf82a01ed55fb04e0"
    "30020120050a02027306070011adce76a2686b85ffc00201200809001aabb6ed44d0810122d721d70b3f0018aa3bed44"
    "d08307d721d70b1f0201200b0c001bb9a6eed44d0810162d721d70b15800e5b8bf2eda2edfb21ab09028409b0ed44d08"
    "10120d721f404f404d33fd315d1058e1bf82325a15210b99f326df82305aa0015a112b992306dde923033e2923033e25"
    "230800df40f6fa19ed021d721d70a00955f037fdb31e09130e259800df40f6fa19cd001d721d70a00937fdb31e0915be"
    "270801f6f2d48308d718d121f900ed44d0d3ffd31ff404f404d33fd315d1f82321a15220b98e12336df82324aa00a112"
    "b9926d32de58f82301de541675f910f2a106d0d31fd4d307d30cd309d33fd315d15168baf2a2515abaf2a6f8232aa152"
    "50bcf2a304f823bbf2a35304800df40f6fa199d024d721d70a00f2649130e20e01fe5309800df40f6fa18e13d05004d7"
    "18d20001f264c858cf16cf8301cf168e1030c824cf40cf8384095005a1a514cf40e2f800c94039800df41704c8cbff13"
    "cb1ff40012f40012cb3f12cb15c9ed54f80f21d0d30001f265d3020171b0925f03e0fa4001d70b01c000f2a5fa4031fa"
    "0031f401fa0031fa00318060d721d300010f0020f265d2000193d431d19130e272b1fb00b585bf03"
)
_V5R1_CODE_BOC = (
    "b5ee9c7241021401000281000114ff00f4a413f4bcf2c80b01020120020d020148030402dcd020d749c120915b8f6320"
    "d70b1f2082106578746ebd21821073696e74bdb0925f03e082106578746eba8eb48020d72101d074d721fa4030fa44f8"
    "28fa443058bd915be0ed44d0810141d721f4058307f40e6fa1319130e18040d721707fdb3ce03120d749810280b99130"
    "e070e2100f020120050c020120060902016e07080019adce76a2684020eb90eb85ffc00019af1df6a2684010eb90eb85"
    "8fc00201480a0b0017b325fb51341c75c875c2c7e00011b262fb513435c280200019be5f0f6a2684080a0eb90fa02c01"
    "02f20e011e20d70b1f82107369676ebaf2e08a7f0f01e68ef0eda2edfb218308d722028308d723208020d721d31fd31f"
    "d31fed44d0d200d31f20d31fd3ffd70a000af90140ccf9109a28945f0adb31e1f2c087df02b35007b0f2d0845125baf2"
    "e0855036baf2e086f823bbf2d0882292f800de01a47fc8ca00cb1f01cf16c9ed542092f80fde70db3cd81003f6eda2ed"
    "fb02f404216e926c218e4c0221d73930709421c700b38e2d01d72820761e436c20d749c008f2e09320d74ac002f2e093"
    "20d71d06c712c2005230b0f2d089d74cd7393001a4e86c128407bbf2e093d74ac000f2e093ed55e2d20001c000915be0"
    "ebd72c08142091709601d72c081c12e25210b1e30f20d74a111213009601fa4001fa44f828fa443058baf2e091ed44d0"
    "810141d718f405049d7fc8ca0040048307f453f2e08b8e14038307f45bf2e08c22d70a00216e01b3b0f2d090e2c85003"
    "cf1612f400c9ed54007230d72c08248e2d21f2e092d200ed44d0d2005113baf2d08f54503091319c01810140d721d70a"
    "00f2e08ee2c8ca0058cf16c9ed5493f2c08de20010935bdb31e1d74cd0b4d6c35e"
)

# The representation hashes every explorer shows for these codes.
_CODE_HASHES = {
    "v3r2": "84dafa449f98a6987789ba232358072bc0f76dc4524002a5d0918b9a75d2d599",
    "v4r2": "feb5ff6820e2ff0d9483e7e0d62c817d846789fb4ae580c878866d959dabd5c0",
    "highload_v3": "11acad7955844090f283bf238bc1449871f783e7cc0979408d3f4859483e8525",
    "v5r1": "20834b7b72b112147e1b2fb457b84e74d1a30f04f737d4f62a668e9552d2b72f",
}
_CODE_BOCS = {"v3r2": _V3R2_CODE_BOC, "v4r2": _V4R2_CODE_BOC, "highload_v3": _HLV3_CODE_BOC, "v5r1": _V5R1_CODE_BOC}

V3_SUBWALLET = 698983191  # 0x29A9A317: the default wallet_id of V3/V4 on workchain 0
HIGHLOAD_V3_SUBWALLET = 4269  # 0x10AD, as tonutils-go / OKX use it
HIGHLOAD_V3_TIMEOUT = 43200  # OKX's MessageTTL
V5R1_MAINNET_WALLET_ID = 2147483409  # (-239 network id) XOR client context (wc 0, version 0, subwallet 0)

# Wallet versions OKX's tool derives (compat mode accepts only these).
OKX_VERSIONS = ("v3r2", "highload_v3")
ALL_VERSIONS = ("v3r2", "highload_v3", "v4r2", "v5r1")


@dataclass(frozen=True, slots=True)
class Cell:
    """An ordinary level-0 cell reduced to what a parent's hash needs."""

    hash: bytes
    depth: int


def _cell(bits: int, nbits: int, refs: tuple[Cell, ...] = ()) -> Cell:
    """Representation hash of an ordinary cell holding ``nbits`` bits (big-endian int) and refs."""
    if nbits > 1023 or len(refs) > 4:
        raise ValueError("cell overflow")
    full, rem = divmod(nbits, 8)
    if rem:  # completion tag: a 1 bit then zeros up to the byte boundary
        bits = (bits << (8 - rem)) | (1 << (7 - rem))
    data = bits.to_bytes(full + (1 if rem else 0), "big")
    d1 = len(refs)
    d2 = full + (full + (1 if rem else 0))
    buf = bytearray((d1, d2))
    buf += data
    for r in refs:
        buf += r.depth.to_bytes(2, "big")
    for r in refs:
        buf += r.hash
    depth = 1 + max(r.depth for r in refs) if refs else 0
    return Cell(sha256(buf).digest(), depth)


RawCell = tuple[int, int, bytes, list[int]]  # (d1, d2, data bytes with completion tag, ref indexes)


def boc_cells(boc: bytes) -> tuple[list[RawCell], int]:
    """The cells of a bag of cells and the index of its first root (ordinary level-0 cells only)."""
    if boc[:4] != bytes.fromhex("b5ee9c72"):
        raise ValueError("not a BOC")
    flags = boc[4]
    has_idx, size = flags & 0x80, flags & 0x07
    off_bytes = boc[5]
    pos = 6

    def read(n: int) -> int:
        nonlocal pos
        value = int.from_bytes(boc[pos : pos + n], "big")
        pos += n
        return value

    cells, roots, _absent = read(size), read(size), read(size)
    read(off_bytes)  # total cells size
    root_indexes = [read(size) for _ in range(roots)]
    if has_idx:
        pos += cells * off_bytes
    raw: list[RawCell] = []
    for _ in range(cells):
        if pos + 2 > len(boc):
            raise ValueError("BOC is truncated")
        d1, d2 = boc[pos], boc[pos + 1]
        pos += 2
        if d1 & 0b11101000:  # level or exotic bits: not in any wallet code or address cell
            raise ValueError("exotic or higher-level cell in BOC")
        nbytes = (d2 + 1) // 2
        data = boc[pos : pos + nbytes]
        pos += nbytes
        refs = [read(size) for _ in range(d1 & 7)]
        raw.append((d1, d2, data, refs))
    return raw, root_indexes[0]


def parse_boc_root(boc: bytes) -> Cell:
    """The root cell of a bag of cells (the subset wallet codes use: ordinary cells, one root)."""
    raw, root = boc_cells(boc)
    built: dict[int, Cell] = {}
    for i in range(len(raw) - 1, -1, -1):  # refs always point forward in a BOC
        d1, d2, data, refs = raw[i]
        kids = tuple(built[r] for r in refs)
        buf = bytearray((d1, d2)) + data
        for k in kids:
            buf += k.depth.to_bytes(2, "big")
        for k in kids:
            buf += k.hash
        built[i] = Cell(sha256(buf).digest(), 1 + max(k.depth for k in kids) if kids else 0)
    return built[root]


@cache
def code_cell(version: str) -> Cell:
    cell = parse_boc_root(bytes.fromhex(_CODE_BOCS[version]))
    if cell.hash.hex() != _CODE_HASHES[version]:
        raise RuntimeError(f"TON {version} code constant is corrupted")
    return cell


def data_cell(version: str, pubkey: bytes) -> Cell:
    """The initial data cell of a freshly deployed wallet (seqno 0, empty dictionaries)."""
    pk = int.from_bytes(pubkey, "big")
    if version == "v3r2":  # seqno:32 subwallet:32 pubkey:256
        return _cell((V3_SUBWALLET << 256) | pk, 320)
    if version == "v4r2":  # seqno:32 subwallet:32 pubkey:256 plugins:(HashmapE 0)
        return _cell(((V3_SUBWALLET << 256) | pk) << 1, 321)
    if version == "highload_v3":  # pubkey:256 subwallet:32 old_queries:1 queries:1 last_clean:64 timeout:22
        return _cell((((pk << 32) | HIGHLOAD_V3_SUBWALLET) << 88) | HIGHLOAD_V3_TIMEOUT, 376)
    if version == "v5r1":  # sig_allowed:1 seqno:32 wallet_id:32 pubkey:256 extensions:(HashmapE 0)
        return _cell((((1 << 64) | V5R1_MAINNET_WALLET_ID) << 257) | (pk << 1), 322)
    raise ValueError(f"unknown TON wallet version {version}")


def wallet_hash(version: str, pubkey: bytes) -> bytes:
    """Account id (workchain 0) of the wallet: hash of StateInit{code, data} with bits 00110."""
    return _cell(0b00110, 5, (code_cell(version), data_cell(version, pubkey))).hash


def friendly(account: bytes, bounceable: bool, workchain: int = 0, testnet: bool = False) -> str:
    """User-friendly URL-safe base64 form (``EQ…`` bounceable, ``UQ…`` non-bounceable on mainnet)."""
    tag = (0x11 if bounceable else 0x51) | (0x80 if testnet else 0)
    body = bytes((tag, workchain & 0xFF)) + account
    return base64.urlsafe_b64encode(body + crc16_xmodem(body).to_bytes(2, "big")).decode()


@dataclass(frozen=True, slots=True)
class TonAddress:
    workchain: int
    account: bytes
    testnet: bool


def parse_address(text: str) -> TonAddress:
    """Either the raw ``wc:hex`` form or the 48-character user-friendly form (either base64 alphabet).

    ValueError says what is wrong: bad length, bad checksum, unknown tag.
    """
    if ":" in text:
        wc_text, _, hex_part = text.partition(":")
        account = bytes.fromhex(hex_part)
        if len(account) != 32:
            raise ValueError("raw TON address must carry 32 bytes")
        return TonAddress(int(wc_text), account, False)
    if len(text) != 48:
        raise ValueError(f"TON address is {len(text)} characters, expected 48")
    try:
        raw = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except ValueError:
        raise ValueError("TON address is not base64") from None
    if crc16_xmodem(raw[:34]).to_bytes(2, "big") != raw[34:]:
        raise ValueError("TON address checksum mismatch")
    tag = raw[0]
    if tag & 0x7F not in (0x11, 0x51):
        raise ValueError(f"unknown TON address tag 0x{tag:02x}")
    wc = raw[1] - 256 if raw[1] >= 128 else raw[1]
    return TonAddress(wc, raw[2:34], bool(tag & 0x80))

"""Text encodings of keys and addresses: base58(check), bech32/bech32m, base32, CompactSize.

Written here rather than pulled from small PyPI packages: each is a few lines,
the vectors test them, and the hot paths avoid per-call object churn.
"""

from __future__ import annotations

from chains.common.hashes import sha256d

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def big_endian_encode(data: bytes, alphabet: str) -> str:
    """Bytes as one big-endian number in ``alphabet``'s base, each leading zero byte as the zero digit (base58, c32)."""
    base = len(alphabet)
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, base)
        out.append(alphabet[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return alphabet[0] * pad + "".join(reversed(out))


def b58encode(data: bytes) -> str:
    return big_endian_encode(data, B58_ALPHABET)


def b58decode(text: str) -> bytes:
    """Raise ValueError on any character outside the alphabet."""
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + sha256d(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """The payload without its checksum; ValueError when the checksum is wrong."""
    raw = b58decode(text)
    if len(raw) < 5 or sha256d(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("bad base58check checksum")
    return raw[:-4]


def fixed_hex(text: str, size: int) -> bytes | None:
    """Exactly ``size`` bytes from hex with or without ``0x``; None for anything else (no exception in hot loops)."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if len(body) != 2 * size:
        return None
    try:
        return bytes.fromhex(body)
    except ValueError:
        return None


def varstr(data: bytes) -> bytes:
    """Bitcoin CompactSize length prefix followed by the bytes."""
    n = len(data)
    if n < 0xFD:
        return bytes([n]) + data
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little") + data
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little") + data
    return b"\xff" + n.to_bytes(8, "little") + data


# --- bech32 / bech32m (BIP-173, BIP-350) ---------------------------------------------
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}
BECH32_CONST = 1
BECH32M_CONST = 0x2BC830A3


_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
# XOR of the generators selected by each 5-bit top value: one lookup per character
# instead of five conditional XORs (segwit decoding is on the verify hot path).
def _polymod_table() -> tuple[int, ...]:
    table = []
    for top in range(32):
        mask = 0
        for i in range(5):
            if (top >> i) & 1:
                mask ^= _BECH32_GEN[i]
        table.append(mask)
    return tuple(table)


_POLYMOD_TABLE = _polymod_table()


def _polymod(values: list[int]) -> int:
    chk = 1
    table = _POLYMOD_TABLE
    for v in values:
        chk = ((chk & 0x1FFFFFF) << 5) ^ v ^ table[chk >> 25]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def convertbits(data: bytes | list[int], frombits: int, tobits: int, pad: bool = True) -> list[int]:
    acc = bits = 0
    ret: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        if value < 0 or value >> frombits:
            raise ValueError("invalid value for convertbits")
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        raise ValueError("invalid padding in convertbits")
    return ret


def bech32_encode_words(hrp: str, words: list[int], const: int = BECH32_CONST) -> str:
    values = _hrp_expand(hrp) + words
    polymod = _polymod(values + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in words + checksum)


def bech32_decode_words(text: str, max_len: int = 1023) -> tuple[str, list[int], int]:
    """(hrp, data words, checksum constant); ValueError on any malformation."""
    if any(ord(c) < 33 or ord(c) > 126 for c in text) or (text.lower() != text and text.upper() != text):
        raise ValueError("invalid bech32 characters or mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > max_len:
        raise ValueError("invalid bech32 separator position or length")
    hrp = text[:pos]
    try:
        data = [_BECH32_INDEX[c] for c in text[pos + 1 :]]
    except KeyError:
        raise ValueError("invalid bech32 data character") from None
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (BECH32_CONST, BECH32M_CONST):
        raise ValueError("bad bech32 checksum")
    return hrp, data[:-6], const


def bech32_encode(hrp: str, payload: bytes) -> str:
    """Plain bech32 of 8-bit payload bytes (Cosmos-style addresses, ``ex1…``, ``lat1…``)."""
    return bech32_encode_words(hrp, convertbits(payload, 8, 5))


def bech32_decode(text: str, max_len: int = 1023) -> tuple[str, bytes]:
    hrp, words, const = bech32_decode_words(text, max_len)
    if const != BECH32_CONST:
        raise ValueError("bech32m checksum where bech32 was expected")
    return hrp, bytes(convertbits(words, 5, 8, pad=False))


def segwit_encode(hrp: str, version: int, program: bytes) -> str:
    const = BECH32_CONST if version == 0 else BECH32M_CONST
    return bech32_encode_words(hrp, [version] + convertbits(program, 8, 5), const)


def segwit_decode(hrp: str, address: str) -> tuple[int, bytes]:
    """(witness version, program) per BIP-173/350; ValueError on any mismatch."""
    got_hrp, words, const = bech32_decode_words(address, 90)
    if got_hrp != hrp or not words:
        raise ValueError("wrong segwit hrp")
    version = words[0]
    program = bytes(convertbits(words[1:], 5, 8, pad=False))
    if version > 16 or not 2 <= len(program) <= 40:
        raise ValueError("invalid witness program")
    if version == 0 and len(program) not in (20, 32):
        raise ValueError("invalid v0 witness program length")
    if (version == 0) != (const == BECH32_CONST):
        raise ValueError("wrong checksum variant for witness version")
    return version, program


# --- RFC 4648 base32 without padding (Filecoin, Stellar) -----------------------------
def base32_nopad(data: bytes, alphabet: str = "abcdefghijklmnopqrstuvwxyz234567") -> str:
    bits = convertbits(data, 8, 5)
    return "".join(alphabet[b] for b in bits)


def base32_nopad_decode(text: str, alphabet: str = "abcdefghijklmnopqrstuvwxyz234567") -> bytes:
    index = {c: i for i, c in enumerate(alphabet)}
    try:
        words = [index[c] for c in text]
    except KeyError:
        raise ValueError("invalid base32 character") from None
    return bytes(convertbits(words, 5, 8, pad=False))


# --- CashAddr (Bitcoin Cash; spec: bitcoincashorg "cashaddr.md") ---------------------
_CASHADDR_GEN = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)


def cashaddr_polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i in range(5):
            if (c0 >> i) & 1:
                c ^= _CASHADDR_GEN[i]
    return c ^ 1


def _cashaddr_prefix(prefix: str) -> list[int]:
    return [ord(ch) & 0x1F for ch in prefix] + [0]


def cashaddr_encode(prefix: str, version: int, payload: bytes) -> str:
    words = convertbits(bytes([version]) + payload, 8, 5)
    mod = cashaddr_polymod(_cashaddr_prefix(prefix) + words + [0] * 8)
    checksum = [(mod >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(BECH32_CHARSET[d] for d in words + checksum)


def cashaddr_decode(prefix: str, text: str) -> tuple[int, bytes]:
    """(version byte, hash) of a CashAddr with or without its ``prefix:``; ValueError otherwise.

    The prefix takes part in the checksum, so an address of another network
    (``bchtest:``, ``ecash:``) fails here even when written without a prefix.
    """
    if text.lower() != text and text.upper() != text:
        raise ValueError("mixed-case cashaddr")
    text = text.lower()
    if ":" in text:
        got, _, text = text.partition(":")
        if got != prefix:
            raise ValueError(f"cashaddr prefix {got!r}, expected {prefix!r}")
    try:
        words = [_BECH32_INDEX[c] for c in text]
    except KeyError:
        raise ValueError("invalid cashaddr character") from None
    if len(words) < 9 or cashaddr_polymod(_cashaddr_prefix(prefix) + words) != 0:
        raise ValueError("bad cashaddr checksum")
    raw = bytes(convertbits(words[:-8], 5, 8, pad=False))
    version, payload = raw[0], raw[1:]
    sizes = (20, 24, 28, 32, 40, 48, 56, 64)
    if len(payload) != sizes[version & 7] or version & 0x80:
        raise ValueError("cashaddr hash length does not match its version byte")
    return version, payload


_B58_PAIRS = {a + b: _B58_INDEX[a] * 58 + _B58_INDEX[b] for a in B58_ALPHABET for b in B58_ALPHABET}


def b58decode_int(text: str) -> int:
    """The integer a base58 string denotes, two characters per step (hot path of TRON address checks).

    Leading ``1`` characters vanish in the integer: callers that need the exact
    string must bound its length or first character themselves. KeyError/ValueError
    on characters outside the alphabet.
    """
    n = 0
    start = len(text) & 1
    if start:
        n = _B58_INDEX[text[0]]
    pairs = _B58_PAIRS
    for i in range(start, len(text), 2):
        n = n * 3364 + pairs[text[i : i + 2]]
    return n

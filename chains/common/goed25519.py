"""ed25519 verification with Go's ``crypto/ed25519`` acceptance rules, in plain Python.

Only compat mode uses it, and only after libsodium has said no: libsodium is
stricter than Go in three places (small-order public keys, non-canonical
public-key encodings, small-order R), and OKX's verdict follows Go. Go's rules
(filippo.io/edwards25519): S must be below L; A is decoded with any y (reduced
mod p) and "negative zero" x; the check is cofactorless, ``encode([S]B - [k]A) == R``.
Slow (~ms) and never on the strict path.
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, -1, P) % P
_SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended coordinates (X, Y, Z, T)


def _recover_x(y: int, sign: int) -> int | None:
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    if x2 == 0:
        return 0  # Go accepts the sign bit here ("negative zero")
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * _SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def _add(p: Point, q: Point) -> Point:
    x1, y1, z1, t1 = p
    x2, y2, z2, t2 = q
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = 2 * t1 * t2 * D % P
    d = 2 * z1 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % P, g * h % P, f * g % P, e * h % P


def _mul(k: int, p: Point) -> Point:
    acc: Point = (0, 1, 1, 0)
    while k:
        if k & 1:
            acc = _add(acc, p)
        p = _add(p, p)
        k >>= 1
    return acc


def _encode(p: Point) -> bytes:
    x, y, z, _ = p
    zi = pow(z, -1, P)
    x, y = x * zi % P, y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decode(data: bytes) -> Point | None:
    n = int.from_bytes(data, "little")
    y = (n & ((1 << 255) - 1)) % P
    x = _recover_x(y, n >> 255)
    if x is None:
        return None
    return x, y, 1, x * y % P


_BY = 4 * pow(5, -1, P) % P
_B: Point = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)  # type: ignore[operator]


def go_verify(pub: bytes, message: bytes, sig: bytes) -> bool:
    """What Go's ``ed25519.Verify`` returns (callers ensure len(pub) == 32; Go panics otherwise)."""
    if len(sig) != 64 or sig[63] & 224:
        return False
    a = _decode(pub)
    if a is None:
        return False
    s = int.from_bytes(sig[32:], "little")
    if s >= L:
        return False
    k = int.from_bytes(hashlib.sha512(sig[:32] + pub + message).digest(), "little") % L
    x, y, z, t = _mul(k, a)
    minus_ka: Point = (-x % P, y, z, -t % P)
    return _encode(_add(_mul(s, _B), minus_ka)) == sig[:32]

"""Ethereum-style 20-byte account ids: derivation from a secp256k1 key, hex parsing, EIP-55.

Shared by the EVM, OKX-ECDSA (OKC/INJ/ONE/CFX) and TRON verifiers, which all start
from the same ``keccak(X‖Y)[12:]`` account id and differ only in how they print it.
"""

from __future__ import annotations

from chains.common.hashes import keccak256

_HEX = frozenset("0123456789abcdefABCDEF")


def account_id(uncompressed: bytes) -> bytes:
    """The last 20 bytes of keccak256(X‖Y) of a 65-byte ``04‖X‖Y`` key."""
    return keccak256(uncompressed[1:])[12:]


def to_checksum(account: bytes) -> str:
    """EIP-55 mixed-case hex (only needed where a case-sensitive comparison or display wants it)."""
    low = account.hex()
    digest = keccak256(low.encode()).hex()
    return "0x" + "".join(c.upper() if c > "9" and digest[i] > "7" else c for i, c in enumerate(low))


def parse_hex_account(text: str) -> bytes | None:
    """20 bytes from exactly ``0x`` + 40 hex digits (either prefix case); None for anything else."""
    if len(text) != 42 or text[0] != "0" or text[1] not in "xX":
        return None
    body = text[2:]
    if not _HEX.issuperset(body):
        return None
    return bytes.fromhex(body)


def checksum_problem(text: str) -> str:
    """'' when ``text`` is all-lower, all-upper or correct EIP-55; otherwise why it is not.

    A mixed-case address is a checksum claim; a wrong one usually means a typo'd
    address, so the strict verifier refuses it instead of silently lower-casing.
    """
    body = text[2:]
    if body == body.lower() or body == body.upper():
        return ""
    expected = to_checksum(bytes.fromhex(body))
    if expected[2:] != body:
        return f"address {text} has a wrong EIP-55 checksum (expected {expected})"
    return ""


def strict_hex_account(text: str) -> tuple[bytes | None, str]:
    """(20-byte account, "") for a well-formed claimed address; (None, why) when malformed or mis-checksummed."""
    account = parse_hex_account(text)
    if account is None:
        return None, f"address {text!r} is not 0x + 40 hex digits"
    problem = checksum_problem(text)
    return (None, problem) if problem else (account, "")

"""Conflux CIP-37 base32 addresses (``cfx:aa…``), encode only; the address codec of type CFX under OKX's framed ECDSA.

The checksum is the 40-bit BCH code of CashAddr over the network prefix and the
payload; the alphabet differs from CashAddr's.
"""

from __future__ import annotations

from chains.common.encoding import cashaddr_polymod, convertbits
from chains.common.ethaddr import account_id
from chains.common.links import ONE_CASE, derived_codec

CIP37_ALPHABET = "abcdefghjkmnprstuvwxyz0123456789"


def network_prefix(network_id: int) -> str:
    return {1029: "cfx", 1: "cfxtest"}.get(network_id, f"net{network_id}")


def cip37_encode(account: bytes, network_id: int = 1029) -> str:
    """``prefix:`` + base32(version 0x00 ‖ 20-byte account) + 8-character checksum, lower case."""
    prefix = network_prefix(network_id)
    words = convertbits(b"\x00" + account, 8, 5)
    check = cashaddr_polymod([ord(ch) & 0x1F for ch in prefix] + [0] + words + [0] * 8)
    checksum = [(check >> 5 * (7 - i)) & 31 for i in range(8)]
    return prefix + ":" + "".join(CIP37_ALPHABET[w] for w in words + checksum)


def conflux_user_account(account: bytes) -> bytes:
    """Force the type nibble to 1 (user account), as Conflux derives addresses from keys."""
    return bytes([0x10 | (account[0] & 0x0F)]) + account[1:]


def address(pub: bytes) -> str:
    """The base32 user address of a 65-byte key: its Ethereum-style account with the type nibble set to 1."""
    return cip37_encode(conflux_user_account(account_id(pub)))


ADDRESS = derived_codec(address, ONE_CASE)

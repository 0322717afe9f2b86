"""XRP Ledger classic addresses (``r…``) of secp256k1 keys: base58check(0x00 ‖ hash160(compressed key)) in Ripple's
alphabet, case-sensitive.

OKX gives XRP rows no address type (its tool has no derivation for them), so the codec is found by the claim's
shape, for rows whose public key is published.
"""

from __future__ import annotations

from chains.common.encoding import B58_ALPHABET, b58check_encode
from chains.common.hashes import hash160
from chains.common.links import EXACT, signed_by
from chains.common.secp import compressed
from indexer.plugins import SECP256K1, AddressCodec, AddressLink

RIPPLE_ALPHABET = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_TO_RIPPLE = str.maketrans(B58_ALPHABET, RIPPLE_ALPHABET)


def classic_address(pub: bytes) -> str:
    return b58check_encode(b"\0" + hash160(compressed(pub))).translate(_TO_RIPPLE)


def check_address(claimed: str, pub: bytes) -> AddressLink:
    return signed_by(classic_address(pub), claimed, EXACT)


ADDRESS = AddressCodec(SECP256K1, check_address, address=classic_address, shape=lambda claimed: claimed[:1] == "r")

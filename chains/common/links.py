"""Building blocks of address codecs (``indexer.plugins.AddressCodec``): how a derived address is compared with a
claimed one, and the comparison OKX's own tool makes instead.

Why here: the chains' codecs (``chains/<chain>/codec.py``) differ in how a key becomes an address; how the
result is compared is one of a few rules (base58 is case-sensitive, bech32 and hex are one case, a mixed-case
0x address is an EIP-55 checksum claim), and OKX's tool folds case everywhere. One copy of each rule serves them all.
"""

from __future__ import annotations

from collections.abc import Callable

from chains.common.ethaddr import strict_hex_account
from chains.common.hashes import blake2b
from indexer.plugins import SECP256K1, AddressCheck, AddressCodec, AddressLink

VERIFIED: AddressLink = ("verified", "")

# How a derived address and a claim are compared (``signed_by``).
EXACT = "exact"  # base58 and other encodings where case is data
ONE_CASE = "one-case"  # bech32, base32, c32, plain hex: either case, never mixed
EIP55 = "eip55"  # 0x + 40 hex digits; mixed case is an EIP-55 checksum claim that must be right


def signed_by(derived: str, claimed: str, case: str) -> AddressLink:
    """Whether ``claimed`` names ``derived`` (the address of the key that signed) under the encoding's case rule."""
    mismatch: AddressLink = ("failed", f"signed by {derived}, not {claimed}")
    if case == EXACT:
        return VERIFIED if claimed == derived else mismatch
    if case == EIP55:
        account, problem = strict_hex_account(claimed)
        if account is None:
            return "failed", problem
    elif claimed != claimed.lower() and claimed != claimed.upper():
        return "failed", f"address {claimed!r} mixes upper and lower case"
    return VERIFIED if claimed.lower() == derived.lower() else mismatch


def not_derivable(reason: str) -> AddressCheck:
    """The link of a chain whose addresses are not a function of the key (on-chain state binds them): unproven."""

    def check(claimed: str, pub: bytes) -> AddressLink:
        return "signature_only", reason

    return check


def hex_account(text: str) -> int | None:
    """A 0x-prefixed hex account number below 2**256 (leading zeros stripped or not), else None."""
    body = text[2:]
    if text[:2] not in ("0x", "0X") or not 1 <= len(body) <= 64 or any(c not in "0123456789abcdefABCDEF" for c in body):
        return None
    return int(body, 16)


def hex32_link(claimed: str, derived: bytes, what: str) -> AddressLink:
    """A 32-byte account (Aptos, Sui, IOTA Rebased) compared as the number it is, not as text."""
    value = hex_account(claimed)
    if value is None:
        return "failed", "address is not a 0x-prefixed hex account of at most 32 bytes"
    if value != int.from_bytes(derived, "big"):
        return "failed", f"address is not {what} of the public key (0x{derived.hex()})"
    return VERIFIED


def flagged_key_hash(pub: bytes, flag: int = 0) -> bytes:
    """blake2b-256(scheme flag ‖ key): the account of a key on Sui and on IOTA Rebased (flag 0 = ed25519)."""
    return blake2b(bytes([flag]) + pub, 32)


# --- OKX's own tool (variant ``okx-go``): EqualFold of what it derives ----------------------------------------
def okx_go_candidates(candidates: Callable[[bytes], list[str]]) -> AddressCheck:
    """OKX's VerifyEd25519Coin: the claim EqualFolds one of the strings it derives for the type."""

    def check(claimed: str, pub: bytes) -> AddressLink:
        folded = claimed.lower()
        return VERIFIED if any(folded == c.lower() for c in candidates(pub)) else ("failed", "address mismatch")

    return check


def okx_go_derived(derive: Callable[[bytes, str], str]) -> AddressCheck:
    """OKX's VerifyEcdsaCoin: the claim EqualFolds the one address it derives (``derive(key, claimed)``)."""

    def check(claimed: str, pub: bytes) -> AddressLink:
        derived = derive(pub, claimed)
        return VERIFIED if claimed.lower() == derived.lower() else ("failed", f"signed by {derived}, not {claimed}")

    return check


def derived_codec(derive: Callable[[bytes], str], case: str) -> AddressCodec:
    """The codec of a secp256k1 address type whose address is one derivation of the key (65 bytes, uncompressed),
    compared under the encoding's ``case`` rule; OKX's tool EqualFolds the same string."""

    def check(claimed: str, pub: bytes) -> AddressLink:
        return signed_by(derive(pub), claimed, case)

    return AddressCodec(SECP256K1, check, address=derive, variants={"okx-go": okx_go_derived(lambda pub, claimed: derive(pub))})

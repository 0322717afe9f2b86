"""secp256k1 signatures under the OKX message header, for every non-EVM account chain OKX signs this way (SPEC §3.2).

``digest = keccak256(varstr("OKX Signed Message:\\n") ‖ varstr(message))``; the
recovered key is printed the way the coin's address type prints keys (table in
``_DERIVE``) and compared with the claimed address. Audit rows that carry a
public key compare keys instead; the address is then checked only where this
module can derive it, and the strict verdict says so when it cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from chains.common.c32 import STACKS_MAINNET_SINGLESIG, stacks_address
from chains.common.cip37 import cip37_encode, conflux_user_account
from chains.common.encoding import B58_ALPHABET, b58check_encode, bech32_encode
from chains.common.ethaddr import strict_hex_account, to_checksum
from chains.common.filaddr import f1_address
from chains.common.hashes import hash160, keccak256, sha3_256, sha256d
from chains.common.nuls import nuls_address
from chains.common.messages import okx_preimage
from chains.common.owners import plan_checks, raw_cell, run_plan
from chains.common.secp import SignatureError, key_from_seed, parse_hex_signature, recover
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

__all__ = ["okx_digest", "fil_f1_address", "derive_address", "verify_okx_ecdsa", "verify_okx_ecdsa_okx_go", "sign_okx_ecdsa"]

fil_f1_address = f1_address  # public name the conformance suite checks fil_address_vectors against

_COSMOS_HRP = {"ATOM": "cosmos", "TIA": "celestia", "CRO": "cro", "DORA": "dora", "DYDX": "dydx", "TERRA": "terra", "LUNC": "terra"}
_KECCAK_HRP = {"INJ": "inj", "ONE": "one"}
_RIPPLE_ALPHABET = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_TO_RIPPLE = str.maketrans(B58_ALPHABET, _RIPPLE_ALPHABET)


@lru_cache(maxsize=256)
def okx_digest(message: str) -> bytes:
    return keccak256(okx_preimage(message))


def _account(pub: bytes) -> bytes:
    return keccak256(pub[1:])[12:]


def _compressed(pub: bytes) -> bytes:
    return bytes([2 | (pub[64] & 1)]) + pub[1:33]


def derive_address(address_type: str, pub: bytes, claimed: str = "") -> str | None:
    """The address OKX derives from a 65-byte uncompressed key for this type; None when it has none.

    ``claimed`` matters only for type ETH, where an ``ex…`` claim selects the OKC bech32 form.
    """
    if address_type in ("ETH", "FLOW"):
        if address_type == "ETH" and claimed[:2] == "ex":
            return bech32_encode("ex", _account(pub))
        return to_checksum(_account(pub))
    if address_type in _COSMOS_HRP:
        return bech32_encode(_COSMOS_HRP[address_type], hash160(_compressed(pub)))
    if address_type in _KECCAK_HRP:
        return bech32_encode(_KECCAK_HRP[address_type], _account(pub))
    if address_type == "FIL":
        return f1_address(pub)
    if address_type == "CFX":
        return cip37_encode(conflux_user_account(_account(pub)))
    if address_type == "ELF":
        return b58check_encode(sha256d(pub))
    if address_type == "ICX":
        return "hx" + sha3_256(pub[1:])[-20:].hex()
    if address_type == "STX":
        return stacks_address(STACKS_MAINNET_SINGLESIG, hash160(pub))
    if address_type == "NULS":
        return nuls_address(_compressed(pub))
    return None


def _shape_address(claimed: str, pub: bytes) -> str | None:
    """Derivations for coins OKX gives no address type, chosen by the claim's shape (public-key rows only).

    Sound because a derived string equal to the claim cannot happen by accident;
    a claim no derivation reproduces stays unproven rather than failed.
    """
    comp = _compressed(pub)
    if claimed[:7] in ("X-avax1", "P-avax1", "C-avax1"):
        return claimed[:2] + bech32_encode("avax", hash160(comp))
    if claimed[:1] == "r":
        return b58check_encode(b"\0" + hash160(comp)).translate(_TO_RIPPLE)
    return None


def _strict_equal(address_type: str, derived: str, claimed: str) -> str:
    """'' when ``claimed`` names the derived address; else the problem. Case rules follow each encoding."""
    if address_type in ("ETH", "FLOW") and derived[:2] == "0x":
        want, problem = strict_hex_account(claimed)
        if want is None:
            return problem
        return "" if claimed.lower() == derived.lower() else f"signed by {derived}, not {claimed}"
    if address_type in ("ELF", "NULS") or derived[:1] == "r":  # base58: case is data
        return "" if claimed == derived else f"signed by {derived}, not {claimed}"
    if claimed != claimed.lower() and claimed != claimed.upper():
        return f"address {claimed!r} mixes upper and lower case"
    return "" if claimed.lower() == derived.lower() else f"signed by {derived}, not {claimed}"


def _recover(signature: str, digest: bytes) -> bytes | str:
    try:
        sig = parse_hex_signature(signature)
        return recover(digest, sig[:64], sig[64]).format(compressed=False)
    except SignatureError as exc:
        return str(exc)


def _address_check(address_type: str, digest: bytes, compat: bool) -> Callable[[str, str], str]:
    def check(signature: str, claimed: str) -> str:
        pub = _recover(signature, digest)
        if isinstance(pub, str):
            return pub
        derived = derive_address(address_type, pub, claimed)
        if derived is None:
            return "invalid coin type"
        if compat:
            return "" if claimed.lower() == derived.lower() else f"signed by {derived}, not {claimed}"
        return _strict_equal(address_type, derived, claimed)

    return check


def _decode_pubkey(text: str, compat: bool) -> bytes | str:
    """The published key as 33 compressed bytes (64-byte X‖Y compressed by Y's parity), or the problem."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        return "public key is not valid hex"
    if len(raw) == 64:
        return bytes([2 | (raw[63] & 1)]) + raw[:32]
    if len(raw) == 33 and raw[0] in (2, 3):
        return raw
    if len(raw) == 65 and raw[0] == 4 and not compat:  # OKX never converts this form, so it fails there
        return bytes([2 | (raw[64] & 1)]) + raw[1:33]
    return f"public key is {len(raw)} bytes; expected 33 (compressed) or 64 (X‖Y)"


def _verify_with_pubkey(row: SignedRow, coin: Coin, pubkey_text: str, compat: bool) -> Verdict:
    signature = raw_cell(row, "signature1").strip() if compat else row.signature1
    message = raw_cell(row, "message").strip() if compat else row.message
    if not signature:
        return Verdict("failed", "signature1 is empty")
    pub = _recover(signature, okx_digest(message))
    if isinstance(pub, str):
        return Verdict("failed", pub)
    published = _decode_pubkey(pubkey_text, compat)
    if isinstance(published, str):
        return Verdict("failed", published)
    recovered = _compressed(pub)
    if recovered != published:
        return Verdict("failed", f"signed by key {recovered.hex()}, not the published key {published.hex()}")
    if compat:
        return Verdict("verified")
    derived = derive_address(coin.address_type, pub, row.address)
    if derived is not None and coin.address_type != "FLOW":
        problem = _strict_equal(coin.address_type, derived, row.address)
        if problem:
            return Verdict("failed", f"public key matches, but {problem}")
        return Verdict("verified")
    shaped = _shape_address(row.address, pub)
    if shaped is not None and shaped == row.address:
        return Verdict("verified")
    return Verdict("signature_only", "public key matches; address not derived from key")


def _same_account(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _verify_okx_ecdsa(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    if row.audit:
        pubkey = raw_cell(row, "script_or_pubkey").strip() if compat else row.script_or_pubkey
        if pubkey not in ("", "null", "\\N"):
            return _verify_with_pubkey(row, coin, pubkey, compat)
    if not coin.address_type and not compat:
        published = _published_key_verdict(row, coin)
        if published is not None:
            return published
        return Verdict("unsupported", f"OKX defines no address derivation for {coin.key}; only audit rows with a public key can be checked")
    message = (raw_cell(row, "message").strip() if row.audit else raw_cell(row, "message")) if compat else row.message
    plan = plan_checks(row, compat, audit_owners=False, same=_same_account)
    verdict = run_plan(plan, compat, _address_check(coin.address_type, okx_digest(message), compat))
    if not compat and verdict.status == "verified" and coin.address_type == "FLOW":
        return Verdict("signature_only", "key matches the Ethereum-style id OKX derives; Flow account addresses are assigned on-chain, not derived from keys")
    return verdict


verify_okx_ecdsa, verify_okx_ecdsa_okx_go = strict_and_okx_go(_verify_okx_ecdsa, "verify_okx_ecdsa")


def _published_key_verdict(row: SignedRow, coin: Coin) -> Verdict | None:
    """A wallet-file row (11/12 columns) of a coin OKX gives no address derivation (XRP, RIPPLE, NULS, AVAX-X)
    whose ``redeem script/ public key`` cell holds a key: the signature is checked against that key, as OKX's
    ``VerifyEcdsaCoinWithPub`` does for audit rows (issue 16 B); None when the cell is empty.

    Strict only: OKX's VerifyAddress never takes this path (it answers "invalid coin type"), so the
    OKX-compatible verdict stays as it was. What the key proves about the address is the audit path's rule.
    """
    if not row.script_or_pubkey:
        return None
    return _verify_with_pubkey(row, coin, row.script_or_pubkey, False)


def sign_okx_ecdsa(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A real OKX-header signature (v = 27/28) and the address this coin's type derives from the key.

    Coins without an address type get the compressed key in ``script_or_pubkey``
    (the audit public-key form) and, for XRP, the classic r-address.
    """
    key = key_from_seed(seed, b"okx-ecdsa")
    sig = key.sign_recoverable(okx_digest(message), hasher=None)
    pub = key.public_key.format(compressed=False)
    address = derive_address(coin.address_type, pub)
    pubkey = ""
    if address is None:
        pubkey = _compressed(pub).hex()
        address = _shape_address("r", pub) if coin.key.upper() in ("XRP", "RIPPLE") else pubkey
    elif coin.address_type == "ETH":
        address = address.lower()
    return {
        "address": address,
        "signature1": "0x" + sig[:64].hex() + bytes([27 + sig[64]]).hex(),
        "signature2": "",
        "script_or_pubkey": pubkey,
        "eoa1": "",
        "eoa2": "",
    }


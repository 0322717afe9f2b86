"""EVM ownership signatures: personal_sign over keccak(message), one key recovery per row (SPEC §3.1, §3.10).

The digest ``keccak(ETH32 ‖ keccak(message))`` is the same for every row of a
file, so it is computed once per distinct message. The recovered key's 20-byte
account is compared as bytes/lower-case text; EIP-55 is computed only when a
mixed-case claim has to be checked or a failure has to be explained.
"""

from __future__ import annotations

from functools import lru_cache

from chains.common.encoding import bech32_encode
from chains.common.ethaddr import account_id, strict_hex_account, to_checksum
from chains.common.filaddr import f4_eth_address
from chains.common.hashes import keccak256
from chains.common.messages import ETH32
from chains.common.owners import plan_checks, run_plan
from chains.common.messages import eip191_preimage
from chains.common.secp import SignatureError, is_high_s, key_from_seed, parse_hex_signature, recover, recovered_account, rsv_signature
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

__all__ = ["evm_digest", "verify_evm", "sign_evm", "evm_address_text"]


_VERIFIED = Verdict("verified")


@lru_cache(maxsize=256)
def evm_digest(message: str) -> bytes:
    return keccak256(ETH32 + keccak256(message.encode()))


def evm_address_text(account: bytes, address_type: str) -> str:
    """How OKX prints a recovered account for this address type (f410f…, lat1…, or lower-case 0x…)."""
    if address_type == "FIL":
        return f4_eth_address(account)
    if address_type == "LAT":
        return bech32_encode("lat", account)
    return "0x" + account.hex()


def _recover_account(signature: str, digest: bytes, reject_high_s: bool) -> bytes | str:
    """The signer's 20-byte account, or the problem as text."""
    try:
        sig = parse_hex_signature(signature)
        if reject_high_s and is_high_s(sig):
            return "high-S signature (s > n/2; EIP-2 signers never produce it)"
        pub = recover(digest, sig[:64], sig[64]).format(compressed=False)
    except SignatureError as exc:
        return str(exc)
    return keccak256(pub[1:])[12:]


def _mismatch(account: bytes, claimed: str, address_type: str) -> str:
    shown = to_checksum(account) if address_type not in ("FIL", "LAT") else evm_address_text(account, address_type)
    if address_type == "FIL" and claimed[:2] in ("0x", "0X"):
        shown = to_checksum(account)
    return f"signed by {shown}, not {claimed}"


def _check_strict(signature: str, claimed: str, digest: bytes, address_type: str) -> str:
    if address_type not in ("FIL", "LAT") or (address_type == "FIL" and claimed[:2] in ("0x", "0X")):
        want, problem = strict_hex_account(claimed)
        if want is None:
            return problem
        got = _recover_account(signature, digest, True)
        if isinstance(got, str):
            return got
        return "" if got == want else _mismatch(got, claimed, address_type)
    if claimed != claimed.lower() and claimed != claimed.upper():
        return f"address {claimed!r} mixes upper and lower case"
    got = _recover_account(signature, digest, True)
    if isinstance(got, str):
        return got
    return "" if evm_address_text(got, address_type) == claimed.lower() else _mismatch(got, claimed, address_type)


def _check_compat(signature: str, claimed: str, digest: bytes, address_type: str) -> str:
    """OKX's VerifyEvmCoin: EqualFold against the printed form; high-S refused only for type ETH."""
    got = _recover_account(signature, digest, address_type == "ETH")
    if isinstance(got, str):
        return got
    if address_type == "FIL" and claimed[:2] not in ("0x", "0X"):
        rec = f4_eth_address(got)
    elif address_type == "LAT":
        rec = bech32_encode("lat", got)
    else:
        rec = "0x" + got.hex()
    return "" if claimed.lower() == rec else _mismatch(got, claimed, address_type)


def _same_account(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _verify_evm(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    """Strict: the address (or, in owner mode, each owner EOA) must be the signer.

    Owner-mode rows whose address is not itself an owner come back
    ``signature_only``: the file never ties a contract or validator key to the EOAs.
    """
    digest = evm_digest(row.message if not compat else _compat_message(row))
    address_type = coin.address_type or "ETH"
    check = _check_compat if compat else _check_strict
    if not (row.audit or row.eoa1 or row.eoa2 or (compat and row.raw)):  # the common row: its own address signs
        if not (row.address and row.message and row.signature1):
            return run_plan(plan_checks(row, compat, audit_owners=True, same=_same_account), compat, lambda s, c: "")
        problem = check(row.signature1, row.address, digest, address_type)
        return Verdict("failed", problem) if problem else _VERIFIED
    plan = plan_checks(row, compat, audit_owners=True, same=_same_account)
    return run_plan(plan, compat, lambda sig, claimed: check(sig, claimed, digest, address_type))


verify_evm, verify_evm_okx_go = strict_and_okx_go(_verify_evm, "verify_evm")


def _compat_message(row: SignedRow) -> str:
    raw = row.raw.get("message")
    if raw is None:
        return row.message
    return raw.strip() if row.audit else raw


def sign_evm(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A real personal_sign signature (v = 27/28, low-S) by a key derived from ``seed``."""
    key = key_from_seed(seed, b"evm")
    sig = key.sign_recoverable(evm_digest(message), hasher=None)
    account = account_id(key.public_key.format(compressed=False))
    return {
        "address": evm_address_text(account, coin.address_type or "ETH"),
        "signature1": "0x" + sig[:64].hex() + bytes([27 + sig[64]]).hex(),
        "signature2": "",
        "script_or_pubkey": "",
        "eoa1": "",
        "eoa2": "",
    }


# --- scheme evm-keccak-or-eip191 (HTX's evm.js) ----------------------------------------------------
def verify_keccak_or_eip191(row: SignedRow, coin: Coin) -> Verdict:
    """One signature over keccak256(message) (no prefix) or, failing that, EIP-191 ``personal_sign``; strict:
    the recovered account must be the row's address. (HTX's checker, ``src/sdk/evm.js``, accepts both.)"""
    want, problem = strict_hex_account(row.address)
    if want is None:
        return Verdict("failed", problem)
    try:
        sig = rsv_signature(row.signature1)
    except SignatureError as exc:
        return Verdict("failed", str(exc))
    data = row.message.encode()
    got = []
    for label, digest in (("keccak256(message)", keccak256(data)), ("EIP-191", keccak256(eip191_preimage(data)))):
        account = recovered_account(digest, sig)
        if account == want:
            return Verdict("verified", "" if label == "EIP-191" else "signed keccak256(message) without a prefix")
        got.append(f"{to_checksum(account) if isinstance(account, bytes) else account} ({label})")
    return Verdict("failed", f"signed by {' / '.join(got)}, not {row.address}")


def sign_keccak_or_eip191(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A fresh key's row for ``evm-keccak-or-eip191``: over keccak256(message) for odd seeds, EIP-191 for even ones;
    v written 00/01 (as HTX's files write it)."""
    key = key_from_seed(seed, b"evm-keccak-or-eip191")
    digest = keccak256(message.encode()) if seed[-1] % 2 else keccak256(eip191_preimage(message.encode()))
    sig = key.sign_recoverable(digest, hasher=None)
    account = account_id(key.public_key.format(compressed=False))
    return {"address": "0x" + account.hex(), "signature1": "0x" + sig[:64].hex() + bytes([sig[64]]).hex()}

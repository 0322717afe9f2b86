"""secp256k1 signatures under the OKX message header, for every non-EVM account chain OKX signs this way (SPEC §3.2).

``digest = keccak256(varstr("OKX Signed Message:\\n") ‖ varstr(message))``; the
recovered key is printed the way the coin's address type prints keys and compared
with the claimed address. How a type prints a key is its chain's address codec
(``ChainPlugin.address_codecs``, looked up once per type through
``indexer.plugins.address_codec``). Audit rows that carry a public key compare keys
instead; the address is then checked only where a codec derives it, and the strict
verdict says so when none does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from chains.common.hashes import keccak256
from chains.common.messages import okx_preimage
from chains.common.owners import plan_checks, raw_cell, run_plan
from chains.common.secp import SignatureError, compressed, key_from_seed, parse_hex_signature, recover
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict
from indexer.plugins import SECP256K1, AddressCodec, address_check, address_codec, address_codec_by_shape

__all__ = ["okx_digest", "verify_okx_ecdsa", "verify_okx_ecdsa_okx_go", "sign_okx_ecdsa"]

TOOL = "okx-go"  # the variant of every codec that is OKX's own tool's comparison


@lru_cache(maxsize=256)
def okx_digest(message: str) -> bytes:
    return keccak256(okx_preimage(message))


def _codec(address_type: str) -> AddressCodec | None:
    return address_codec(address_type, SECP256K1)


def _recover(signature: str, digest: bytes) -> bytes | str:
    try:
        sig = parse_hex_signature(signature)
        return recover(digest, sig[:64], sig[64]).format(compressed=False)
    except SignatureError as exc:
        return str(exc)


def _address_check(address_type: str, digest: bytes, compat: bool, unproven: list[str]) -> Callable[[str, str], str]:
    """``check(signature, claimed) -> problem or ''`` for the owner plan; a link that names the signer without
    proving the address (Flow) is appended to ``unproven``."""
    link = address_check(address_type, SECP256K1, TOOL if compat else "")

    def check(signature: str, claimed: str) -> str:
        pub = _recover(signature, digest)
        if isinstance(pub, str):
            return pub
        if link is None:
            return "invalid coin type"
        status, reason = link(claimed, pub)
        if status == "failed":
            return reason
        if status == "signature_only":
            unproven.append(reason)
        return ""

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
    recovered = compressed(pub)
    if recovered != published:
        return Verdict("failed", f"signed by key {recovered.hex()}, not the published key {published.hex()}")
    if compat:
        return Verdict("verified")
    codec = _codec(coin.address_type)
    if codec is not None and codec.derivable:
        status, reason = codec.check(row.address, pub)
        if status == "failed":
            return Verdict("failed", f"public key matches, but {reason}")
        return Verdict(status, reason)  # type: ignore[arg-type]
    shaped = address_codec_by_shape(row.address, SECP256K1)
    if shaped is not None and shaped.check(row.address, pub)[0] == "verified":
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
    unproven: list[str] = []
    verdict = run_plan(plan, compat, _address_check(coin.address_type, okx_digest(message), compat, unproven))
    if not compat and verdict.status == "verified" and unproven:
        return Verdict("signature_only", unproven[0])
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
    """A real OKX-header signature (v = 27/28) and the address this coin's type's codec shows for the key.

    Coins without an address type get the compressed key in ``script_or_pubkey``
    (the audit public-key form) and, where their asset's codec goes by shape (XRP), that codec's address.
    """
    key = key_from_seed(seed, b"okx-ecdsa")
    sig = key.sign_recoverable(okx_digest(message), hasher=None)
    pub = key.public_key.format(compressed=False)
    codec = _codec(coin.address_type)
    pubkey = ""
    if codec is None or codec.address is None:
        pubkey = compressed(pub).hex()
        shaped = _codec(coin.asset)  # a coin with no address type whose asset's codec goes by shape (XRP's r-address)
        address = shaped.address(pub) if shaped is not None and shaped.shape is not None and shaped.address is not None else pubkey
    else:
        address = codec.address(pub)
    return {
        "address": address,
        "signature1": "0x" + sig[:64].hex() + bytes([27 + sig[64]]).hex(),
        "signature2": "",
        "script_or_pubkey": pubkey,
        "eoa1": "",
        "eoa2": "",
    }

"""ed25519 rows: the signature over ``varstr(OKX header) ‖ varstr(message)`` (unhashed), then the address (SPEC §3.5).

Strict mode verifies with libsodium (PyNaCl), which accepts everything Go
accepts for keys that have a private key, and additionally rejects small-order
public keys, non-canonical key encodings and small-order R: a small-order
"key" verifies forged signatures for every message, so it proves nothing.
Compat mode falls back to a Go-rules verifier (``goverify``) when libsodium
says no, so OKX's verdict is reproduced even for such rows.

How a key becomes an address is each chain's address codec (``ChainPlugin.address_codecs``,
looked up once per type through ``indexer.plugins.address_codec``); a type no installed
chain declares is signature-only in strict mode and unchecked by OKX's tool.

Owner mode (VerifyAddress rows only, SPEC §3.10): a non-empty eoa1 replaces the
address. For APTOS it is the account's current authentication key; the key is
proven to be that auth key, but which account uses it after a rotation is
on-chain state, so strict mode says ``signature_only`` unless the address itself
derives from the key (the codec's ``owner_gap`` says why).
"""

from __future__ import annotations

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from chains.common.encoding import fixed_hex, varstr
from chains.common.hashes import sha256
from chains.common.messages import OKX
from chains.common.owners import raw_cell
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict
from indexer.plugins import ED25519, AddressLink, address_check, address_codec

_OKX_PREFIX = varstr(OKX)
TOOL = "okx-go"  # the variant of every codec that is OKX's own tool's comparison
_APT_NOTE = "coin key has no header in OKX's table (its tool says 'invalid coin type'); checked with the OKX header every ed25519 key uses"


def signed_bytes(message: str) -> bytes:
    """The exact bytes the key signs: no hashing for ed25519."""
    return _OKX_PREFIX + varstr(message.encode())


def address_link(address_type: str, claimed: str, pub: bytes) -> AddressLink:
    """The strict link of ``claimed`` to the key under the type's codec; signature-only where no chain declares one."""
    link = address_check(address_type, ED25519)
    if link is None:
        return "signature_only", f"no address derivation is known for address type {address_type or '(none)'}"
    return link(claimed, pub)


def _libsodium_ok(pub: bytes, message: bytes, sig: bytes) -> bool:
    try:
        crypto_sign_open(sig + message, pub)
    except (BadSignatureError, ValueError):
        return False
    return True


libsodium_verify = _libsodium_ok  # public name for other schemes over raw ed25519 (exchange plugins)


def _verify_ed25519(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    if compat:
        return _verify_compat(row, coin)
    for name in ("address", "message", "signature1"):
        if not getattr(row, name):
            return Verdict("failed", f"{name} is empty")
    if not row.script_or_pubkey:
        return Verdict("failed", "public key is missing (redeem script/public key column)")
    pub = fixed_hex(row.script_or_pubkey, 32)
    if pub is None:
        return Verdict("failed", "public key is not 32 bytes of hex")
    sig = fixed_hex(row.signature1, 64)
    if sig is None:
        return Verdict("failed", "signature is not 64 bytes of hex")
    if not _libsodium_ok(pub, signed_bytes(row.message), sig):
        return Verdict("failed", "ed25519 signature does not verify")
    link = address_check(coin.address_type, ED25519)  # inlined address_link: this is the hot path
    status, reason = link(row.address, pub) if link is not None else address_link(coin.address_type, row.address, pub)
    if row.eoa1 and not row.audit:
        status, reason = _owner_mode(coin, row, pub, status)
    if not coin.header and status != "failed":
        reason = f"{reason}; {_APT_NOTE}" if reason else _APT_NOTE
    return Verdict(status, reason)  # type: ignore[arg-type]


verify_ed25519, verify_ed25519_okx_go = strict_and_okx_go(_verify_ed25519, "verify_ed25519")


def _owner_mode(coin: Coin, row: SignedRow, pub: bytes, address_status: str) -> tuple[str, str]:
    owner_status, owner_reason = address_link(coin.address_type, row.eoa1, pub)
    if owner_status == "failed":
        return "failed", f"owner mode: eoa1 {owner_reason}"
    if address_status == "verified":
        return "verified", "the address itself derives from the key (eoa1 also matches)"
    codec = address_codec(coin.address_type, ED25519)
    return "signature_only", (codec.owner_gap if codec is not None and codec.owner_gap else "owner mode: key controls eoa1, but nothing links eoa1 to the address")


def _verify_compat(row: SignedRow, coin: Coin) -> Verdict:
    """OKX's VerifyEd25519Coin as its tools call it (SPEC §3.5, §3.10, §3.11)."""

    def cell(name: str) -> str:
        value = raw_cell(row, name)
        return value.strip() if row.audit else value

    if coin.header != "OKX":
        return Verdict("failed", "invalid coin type")
    address, message, signature = cell("address"), cell("message"), cell("signature1")
    for name, value in (("address", address), ("message", message), ("signature1", signature)):
        if value == "":
            return Verdict("failed", f"{name} is empty")
    pubkey = cell("script_or_pubkey")
    if row.audit and pubkey in ("", "null"):
        return Verdict("failed", "missing public key")
    if not row.audit and cell("eoa1") != "":
        address = cell("eoa1")  # a literal "null" is an address here, and fails
    pub = _okx_hexdec(pubkey)
    if pub is None or len(pub) != 32:
        return Verdict("failed", "bad ed25519 public key (Go panics)")
    sig = _okx_hexdec(signature)
    if sig is None or len(sig) != 64:
        return Verdict("failed", "ed25519 sig invalid")
    message_bytes = signed_bytes(message)
    if not _libsodium_ok(pub, message_bytes, sig):
        from chains.common.goed25519 import go_verify

        if not go_verify(pub, message_bytes, sig):
            return Verdict("failed", "ed25519 sig invalid")
    tool = address_check(coin.address_type, ED25519, TOOL)
    if tool is None:  # VerifyEd25519Coin's default branch: no address check for this type
        return Verdict("verified")
    status, reason = tool(address, pub)
    return Verdict("failed", reason) if status == "failed" else Verdict("verified")


def _okx_hexdec(text: str) -> bytes | None:
    """Go's hexdec: optional 0x/0X, then strict hex (no whitespace, even length)."""
    body = text[2:] if text[:2] in ("0x", "0X") else text
    if not body or len(body) % 2 or any(c not in "0123456789abcdefABCDEF" for c in body):
        return None
    return bytes.fromhex(body)


# --- synthetic rows -----------------------------------------------------------------
def signing_seed(seed: bytes) -> bytes:
    """A fresh deterministic ed25519 seed (never a real wallet key)."""
    return sha256(b"ed25519\0" + seed)


def canonical_address(address_type: str, pub: bytes) -> str:
    """The address a wallet of this type shows for the key (hex of the key where no codec derives one)."""
    codec = address_codec(address_type, ED25519)
    return codec.address(pub) if codec is not None and codec.address is not None else pub.hex()


def sign_ed25519(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    from nacl.signing import SigningKey

    key = SigningKey(signing_seed(seed))
    pub = bytes(key.verify_key)
    sig = key.sign(signed_bytes(message)).signature
    return {
        "address": canonical_address(coin.address_type, pub),
        "signature1": "0x" + sig.hex(),
        "signature2": "",
        "script_or_pubkey": "0x" + pub.hex(),
        "eoa1": "",
        "eoa2": "",
    }

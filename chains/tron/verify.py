"""TRON ownership signatures: two digest styles, exact base58check address (SPEC §3.3).

OKX accepts either ``keccak(TRON32 ‖ keccak(msg))`` or the TIP-191 form
``keccak("\\x19TRON Signed Message:\\n" ‖ len ‖ msg)``. Trying both costs two key
recoveries, so the style that last succeeded for a message is tried first: a
file signs every row the same way, so almost every row needs one recovery.

The claimed address is decoded once (payload compare ⇔ exact string compare,
since base58check is a bijection on valid strings).
"""

from __future__ import annotations

from functools import lru_cache

from chains.common.encoding import b58check_decode, b58check_encode, b58decode_int
from chains.common.ethaddr import account_id
from chains.common.hashes import keccak256, sha256d
from chains.common.messages import TRON32, TRON_V2_PREFIX
from chains.common.owners import raw_cell
from chains.common.secp import SignatureError, key_from_seed, parse_hex_signature, recover, recovered_account, rsv_signature
from chains.common.variants import strict_and_okx_go
from indexer.models import Coin, SignedRow, Verdict

__all__ = ["tron_digests", "tron_address", "claimed_account", "verify_tron", "sign_tron"]

_TRON_VERSION = 0x41


@lru_cache(maxsize=256)
def tron_digests(message: str) -> tuple[bytes, bytes]:
    """(TRON32-over-keccak digest, TIP-191 digest) for one message."""
    data = message.encode()
    return (
        keccak256(TRON32 + keccak256(data)),
        keccak256(TRON_V2_PREFIX + str(len(data)).encode() + data),
    )


_first_style: dict[str, int] = {}  # message -> index of the digest that last verified


def tron_address(account: bytes) -> str:
    return b58check_encode(bytes([_TRON_VERSION]) + account)


def _claimed_account(address: str) -> bytes | str:
    """The 20-byte account a TRON address names, or why it names none."""
    if len(address) == 34 and address[0] == "T":  # every TRON address; no leading '1' can hide in the integer
        try:
            raw = b58decode_int(address).to_bytes(25, "big")
        except (KeyError, OverflowError):
            raw = b""
        if raw[:1] == b"\x41" and sha256d(raw[:21])[:4] == raw[21:]:
            return raw[1:21]
    try:
        payload = b58check_decode(address)
    except ValueError as exc:
        return f"address {address!r} is not base58check ({exc})"
    if len(payload) != 21 or payload[0] != _TRON_VERSION:
        return f"address {address!r} is not a TRON address (version 0x41, 20 bytes)"
    return payload[1:]


claimed_account = _claimed_account  # public name for other schemes over TRON addresses (exchange plugins)


def _verify_tron(row: SignedRow, coin: Coin, compat: bool) -> Verdict:
    """The same check in both modes: OKX's exact, case-sensitive comparison is already strict."""
    if compat:
        trim = row.audit
        cells = [raw_cell(row, n) for n in ("address", "message", "signature1")]
        address, message, signature = (c.strip() for c in cells) if trim else cells
    else:
        address, message, signature = row.address, row.message, row.signature1
    for name, value in (("address", address), ("message", message), ("signature1", signature)):
        if value == "":
            return Verdict("failed", f"{name} is empty")
    want = _claimed_account(address)
    if isinstance(want, str):
        return Verdict("failed", want)
    try:
        sig = parse_hex_signature(signature)
    except SignatureError as exc:
        return Verdict("failed", str(exc))
    if not 27 <= sig[64] <= 34:
        return Verdict("failed", f"recovery byte {sig[64]} is outside 27..34")
    digests = tron_digests(message)
    first = _first_style.get(message, 0)
    got: dict[int, str] = {}
    for style in (first, 1 - first):
        try:
            pub = recover(digests[style], sig[:64], sig[64]).format(compressed=False)
        except SignatureError as exc:
            got[style] = str(exc)
            continue
        account = keccak256(pub[1:])[12:]
        if account == want:
            if style != first:
                _first_style[message] = style
                if len(_first_style) > 1024:
                    _first_style.clear()
            return Verdict("verified")
        got[style] = tron_address(account)
    if got[0][:1] == got[1][:1] == "T":
        return Verdict("failed", f"signed by {got[0]} (TRON32 digest) / {got[1]} (TIP-191 digest), not {address}")
    return Verdict("failed", f"TRON32 digest: {got[0]}; TIP-191 digest: {got[1]}; claimed {address}")


verify_tron, verify_tron_okx_go = strict_and_okx_go(_verify_tron, "verify_tron")


def sign_tron(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A real TRON32-style signature (v = 27/28), the first digest OKX tries."""
    key = key_from_seed(seed, b"tron")
    sig = key.sign_recoverable(tron_digests(message)[0], hasher=None)
    account = account_id(key.public_key.format(compressed=False))
    return {
        "address": tron_address(account),
        "signature1": "0x" + sig[:64].hex() + bytes([27 + sig[64]]).hex(),
        "signature2": "",
        "script_or_pubkey": "",
        "eoa1": "",
        "eoa2": "",
    }



# --- scheme tron-message-or-hash (TronWeb's signMessage; HTX's trx.js) -------------------------------
def verify_message_or_hash(row: SignedRow, coin: Coin) -> Verdict:
    """TronWeb's TRON32 digest over the message's own bytes, else over keccak256(message) (last byte 00/01 read
    as 27/28); strict: the recovered account must be the row's address."""
    want = claimed_account(row.address)
    if isinstance(want, str):
        return Verdict("failed", want)
    try:
        sig = rsv_signature(row.signature1)
    except SignatureError as exc:
        return Verdict("failed", str(exc))
    got = []
    for label, digest in (("TRON32 over the message", keccak256(TRON32 + row.message.encode())), ("TRON32 over keccak256(message)", tron_digests(row.message)[0])):
        account = recovered_account(digest, sig)
        if account == want:
            return Verdict("verified", "" if label.endswith("message") else "signed keccak256(message) (TronWeb with a hashed message)")
        got.append(f"{tron_address(account) if isinstance(account, bytes) else account} ({label})")
    return Verdict("failed", f"signed by {' / '.join(got)}, not {row.address}")


def sign_message_or_hash(coin: Coin, message: str, seed: bytes) -> dict[str, str]:
    """A fresh key's row for ``tron-message-or-hash``: TRON32 over keccak256(message) for odd seeds, over the message
    for even ones; hex without 0x, v 00/01."""
    key = key_from_seed(seed, b"tron-message-or-hash")
    digest = tron_digests(message)[0] if seed[-1] % 2 else keccak256(TRON32 + message.encode())
    sig = key.sign_recoverable(digest, hasher=None)
    account = account_id(key.public_key.format(compressed=False))
    return {"address": tron_address(account), "signature1": sig[:64].hex() + bytes([sig[64]]).hex()}

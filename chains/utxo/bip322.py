"""BIP-322 "simple" message signatures for taproot (P2TR) outputs, checked as a BIP-341 key-path spend.

Why: a taproot output key cannot be linked to a key recovered from a BIP-137
signature unless it is that key's BIP-86 tweak, so wallets sign messages for
``bc1p…`` addresses with BIP-322 instead: a Schnorr signature that would spend
the address's own output in a virtual transaction. OKX's current tool verifies
taproot BTC rows this way (the public mirror's ``common/bip322.go``).

The construction (BIP-322, "Full"/"Simple" sections):

* ``message_hash = tagged_hash("BIP0322-signed-message", message)`` (BIP-340 tagged hash);
* ``to_spend``: version 0, one input (prevout 00…00:0xFFFFFFFF, scriptSig
  ``OP_0 PUSH32 message_hash``, sequence 0), one output (value 0, the address's
  scriptPubKey), locktime 0;
* ``to_sign``: version 0, one input spending ``to_spend:0`` (sequence 0, the
  signature as its witness), one output (value 0, ``OP_RETURN``), locktime 0;
* "simple" signature = base64 of the witness stack alone.

For P2TR the witness of a key-path spend is one item: a 64-byte BIP-340 signature
(SIGHASH_DEFAULT) or 65 bytes with an explicit sighash type. It must verify
against the output key the address itself commits to, over the BIP-341
signature hash of ``to_sign``. The output key is the address's witness program,
so no key from the row is trusted and no other key's signature can pass.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from coincurve import PublicKeyXOnly

from chains.common.encoding import varstr
from chains.common.hashes import sha256, sha256d

MESSAGE_TAG = b"BIP0322-signed-message"
SIGHASH_DEFAULT = 0x00
SIGHASH_ALL, SIGHASH_NONE, SIGHASH_SINGLE, SIGHASH_ANYONECANPAY = 0x01, 0x02, 0x03, 0x80
VALID_SIGHASH = frozenset({0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83})  # BIP-341: any other type is invalid
OP_RETURN = b"\x6a"
_ZERO32 = bytes(32)


def tagged_hash(tag: bytes, data: bytes) -> bytes:
    t = hashlib.sha256(tag).digest()
    return hashlib.sha256(t + t + data).digest()


def message_hash(message: str) -> bytes:
    return tagged_hash(MESSAGE_TAG, message.encode())


def _tx(prevout: bytes, script_sig: bytes, script_pubkey: bytes) -> bytes:
    """A version-0, locktime-0 transaction with one input (sequence 0) and one zero-value output, without witness."""
    return (
        (0).to_bytes(4, "little")
        + b"\x01" + prevout + varstr(script_sig) + (0).to_bytes(4, "little")
        + b"\x01" + (0).to_bytes(8, "little") + varstr(script_pubkey)
        + (0).to_bytes(4, "little")
    )  # fmt: skip


def to_spend(script_pubkey: bytes, message: str) -> bytes:
    return _tx(_ZERO32 + b"\xff\xff\xff\xff", b"\x00\x20" + message_hash(message), script_pubkey)


def to_spend_txid(script_pubkey: bytes, message: str) -> bytes:
    """Internal byte order (the order a prevout uses); reverse it for the displayed txid."""
    return sha256d(to_spend(script_pubkey, message))


def to_sign(script_pubkey: bytes, message: str) -> bytes:
    return _tx(to_spend_txid(script_pubkey, message) + (0).to_bytes(4, "little"), b"", OP_RETURN)


def _compact_size(data: bytes, i: int) -> tuple[int, int]:
    if i >= len(data):
        raise ValueError("witness is truncated")
    first = data[i]
    if first < 0xFD:
        return first, i + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    if i + 1 + size > len(data):
        raise ValueError("witness is truncated")
    value = int.from_bytes(data[i + 1 : i + 1 + size], "little")
    if value < {2: 0xFD, 4: 0x10000, 8: 0x100000000}[size]:
        raise ValueError("non-canonical CompactSize in the witness")
    return value, i + 1 + size


def decode_witness(raw: bytes, *, exact: bool = True) -> list[bytes]:
    """The witness stack of a "simple" signature: CompactSize count, then CompactSize-prefixed items.

    ``exact`` rejects trailing bytes (strict); OKX's Go reader stops after the last item and ignores them.
    """
    count, i = _compact_size(raw, 0)
    if count > len(raw):
        raise ValueError("witness item count exceeds the signature's size")
    items = []
    for _ in range(count):
        size, i = _compact_size(raw, i)
        if i + size > len(raw):
            raise ValueError("witness item is truncated")
        items.append(raw[i : i + size])
        i += size
    if exact and i != len(raw):
        raise ValueError(f"{len(raw) - i} bytes after the witness stack")
    return items


def bip341_sighash(
    *,
    version: int,
    locktime: int,
    prevouts: list[bytes],
    sequences: list[int],
    amounts: list[int],
    script_pubkeys: list[bytes],
    outputs: list[bytes],
    index: int,
    hash_type: int,
) -> bytes:
    """BIP-341 signature hash of input ``index`` for a key-path spend without annex (``SigMsg`` with epoch 0).

    ``prevouts`` are 36-byte outpoints, ``outputs`` serialised CTxOuts (8-byte value ‖ varstr(script)).
    """
    if hash_type not in VALID_SIGHASH:
        raise ValueError(f"sighash type 0x{hash_type:02x} is not valid for taproot")
    out_type = hash_type & 3
    anyone = bool(hash_type & SIGHASH_ANYONECANPAY)
    if out_type == SIGHASH_SINGLE and index >= len(outputs):
        raise ValueError("SIGHASH_SINGLE without a corresponding output")
    u32 = lambda n: n.to_bytes(4, "little")  # noqa: E731
    msg = bytes([hash_type]) + version.to_bytes(4, "little", signed=True) + u32(locktime)
    if not anyone:
        msg += sha256(b"".join(prevouts)) + sha256(b"".join(a.to_bytes(8, "little") for a in amounts))
        msg += sha256(b"".join(varstr(s) for s in script_pubkeys)) + sha256(b"".join(u32(q) for q in sequences))
    if out_type not in (SIGHASH_NONE, SIGHASH_SINGLE):
        msg += sha256(b"".join(outputs))
    msg += b"\x00"  # spend type: key path, no annex
    if anyone:
        msg += prevouts[index] + amounts[index].to_bytes(8, "little") + varstr(script_pubkeys[index]) + u32(sequences[index])
    else:
        msg += u32(index)
    if out_type == SIGHASH_SINGLE:
        msg += sha256(outputs[index])
    return tagged_hash(b"TapSighash", b"\x00" + msg)


def taproot_sighash(script_pubkey: bytes, message: str, hash_type: int) -> bytes:
    """The BIP-341 signature hash of ``to_sign``'s only input, spending 0 sats of ``script_pubkey``."""
    return bip341_sighash(
        version=0,
        locktime=0,
        prevouts=[to_spend_txid(script_pubkey, message) + (0).to_bytes(4, "little")],
        sequences=[0],
        amounts=[0],
        script_pubkeys=[script_pubkey],
        outputs=[(0).to_bytes(8, "little") + varstr(OP_RETURN)],
        index=0,
        hash_type=hash_type,
    )


def is_simple_signature(text: str) -> bool:
    """Whether ``text`` reads as a BIP-322 simple signature (base64 witness stack) rather than a 65-byte BIP-137 one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) == 65 and 27 <= raw[0] <= 42:
        return False
    try:
        decode_witness(raw, exact=False)
    except ValueError:
        return False
    return True


def verify_p2tr(script_pubkey: bytes, message: str, signature: str, *, exact: bool = True) -> str:
    """'' when ``signature`` is a valid BIP-322 simple key-path signature for this P2TR output; else why not."""
    if len(script_pubkey) != 34 or script_pubkey[:2] != b"\x51\x20":
        return "not a taproot (witness v1, 32-byte) output"
    if not signature:
        return "empty BIP-322 signature"
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return "BIP-322 signature is not valid base64"
    try:
        stack = decode_witness(raw, exact=exact)
    except ValueError as exc:
        return f"BIP-322 witness does not decode: {exc}"
    if len(stack) != 1:
        return f"BIP-322 witness has {len(stack)} items; a taproot key-path spend has exactly one (script-path proofs are not supported)"
    sig = stack[0]
    if len(sig) == 64:
        hash_type = SIGHASH_DEFAULT
    elif len(sig) == 65 and sig[64] != SIGHASH_DEFAULT:
        hash_type, sig = sig[64], sig[:64]
    else:
        return f"Schnorr signature is {len(sig)} bytes; expected 64, or 65 with a sighash type other than 0x00"
    try:
        digest = taproot_sighash(script_pubkey, message, hash_type)
    except ValueError as exc:
        return str(exc)
    try:
        key = PublicKeyXOnly(script_pubkey[2:])
    except (ValueError, TypeError):
        return "the output key of the address is not a point on secp256k1"
    if not key.verify(sig, digest):
        return "BIP-322 Schnorr signature does not verify for this address's output key"
    return ""


# --- row verdicts (the UTXO verifier calls these for taproot addresses) ------------------------
def _taproot_spk(address: str) -> bytes | None:
    """The scriptPubKey of a Bitcoin mainnet P2TR address, decoded as btcutil does (bech32m, hrp bc); else None."""
    from chains.common.encoding import segwit_decode

    pos = address.rfind("1")
    if pos < 1 or address[:pos].lower() != "bc":
        return None
    try:
        version, program = segwit_decode("bc", address)
    except ValueError:
        return None
    return b"\x51\x20" + program if version == 1 and len(program) == 32 else None


def strict_verdict(row, script_pubkey: bytes):
    """The strict Verdict of a taproot row whose signature1 is a BIP-322 simple signature."""
    from indexer.models import Verdict

    problem = verify_p2tr(script_pubkey, row.message, row.signature1)
    if problem:
        return Verdict("failed", problem)
    note = "BIP-322 key-path signature by the address's own output key"
    if row.signature2:
        note += "; signature2 is not part of a taproot key-path proof and was not checked"
    return Verdict("verified", note)


def okx_verdict(row):
    """OKX's current VerifyUtxoCoin for a Bitcoin mainnet taproot address (BIP-322 only), else None (not taproot)."""
    from indexer.models import Verdict

    spk = _taproot_spk(row.address)
    if spk is None:
        return None
    problem = verify_p2tr(spk, row.message, row.signature1, exact=False)
    return Verdict("failed", problem) if problem else Verdict("verified")

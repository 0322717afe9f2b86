"""ed25519 public key -> account address, one derivation per chain (SPEC §3.5).

Two views of the same derivations:

* ``okx_candidates(address_type, pub)``: the strings OKX's tool compares the
  claimed address with (EqualFold), or None where it checks no address. Used
  only by compat mode, so its quirks (no TON V4/V5, partial zero-stripping of
  APTOS fails, case-insensitive base58) are reproduced on purpose.
* ``check(address_type, claimed, pub)``: the strict link between key and
  address, as a (status, reason) pair. Addresses are compared as the values the
  chain means (an Aptos/Sui address is a 32-byte number, a TON address is
  workchain + account id, bech32 is case-insensitive, base58 is not), and chains
  OKX leaves "signature only" are checked wherever the chain defines a
  derivation (NEAR implicit accounts, Algorand, MultiversX, Tezos tz1, Kadena
  ``k:``, IOTA, Casper, Substrate SS58 under any prefix).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from chains.common.encoding import (
    b58check_decode,
    b58check_encode,
    b58decode,
    b58encode,
    bech32_decode,
    bech32_encode,
    bech32_encode_words,
)
from chains.common.hashes import blake2b, sha3_256, sha256
from chains.common import cardano, toncells as ton

Link = tuple[str, str]  # (status, reason): status verified | signature_only | failed

SS58_IDS = {
    "DOT": 0, "ASSET-HUB": 0, "KSM": 2, "ENJIN": 2135, "PHA": 30, "CLV": 42,
    "AVAIL": 42, "SDN": 5, "CFG": 36, "EFI": 1110, "KARU": 8,
}  # fmt: skip
_STELLAR_TYPES = ("XLM", "PI", "STELLAR")
_HEX64 = re.compile(r"[0-9a-f]{64}")


# --- derivations ---------------------------------------------------------------------
def aptos_auth_key(pub: bytes) -> bytes:
    """Single-key ed25519 authentication key = the address of an account created by that key."""
    return sha3_256(pub + b"\x00")


def sui_address(pub: bytes) -> bytes:
    return blake2b(b"\x00" + pub, 32)


def ss58_prefix(ident: int) -> bytes:
    if ident < 64:
        return bytes([ident])
    return bytes([((ident & 0xFC) >> 2) | 0x40, (ident >> 8) | ((ident & 3) << 6)])


def ss58_address(pub: bytes, ident: int) -> str:
    body = ss58_prefix(ident) + pub
    return b58encode(body + hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2])


def ss58_decode(text: str) -> tuple[bytes, bytes]:
    """(prefix bytes, 32-byte account id); ValueError on a bad checksum or shape."""
    raw = b58decode(text)
    plen = 1 if raw and raw[0] < 64 else 2
    if len(raw) != plen + 32 + 2 or raw[0] >= 128:
        raise ValueError("not a 32-byte SS58 address")
    body = raw[:-2]
    if hashlib.blake2b(b"SS58PRE" + body, digest_size=64).digest()[:2] != raw[-2:]:
        raise ValueError("SS58 checksum mismatch")
    return raw[:plen], raw[plen:-2]


def stellar_address(pub: bytes) -> str:
    body = b"\x30" + pub  # 35 bytes with the checksum: 56 base32 characters, no padding
    return base64.b32encode(body + ton.crc16_xmodem(body).to_bytes(2, "little")).decode()


def _words(payload: bytes) -> list[int]:
    """8-bit bytes to zero-padded 5-bit groups in one integer pass (convertbits, faster)."""
    nbits = len(payload) * 8
    count = -(-nbits // 5)
    n = int.from_bytes(payload, "big") << (count * 5 - nbits)
    return [(n >> (5 * (count - 1 - i))) & 31 for i in range(count)]


def ada_enterprise_address(pub: bytes) -> str:
    return bech32_encode_words("addr", _words(b"\x61" + blake2b(pub, 28)))


def algorand_address(pub: bytes) -> str:
    check = hashlib.new("sha512_256", pub).digest()[-4:]
    return base64.b32encode(pub + check).decode().rstrip("=")


def tezos_tz1(pub: bytes) -> str:
    return b58check_encode(b"\x06\xa1\x9f" + blake2b(pub, 20))


# --- OKX's candidate strings (compat) -----------------------------------------------
def okx_candidates(address_type: str, pub: bytes) -> list[str] | None:
    """What OKX's tool EqualFolds the claimed address against; None = no address check."""
    if address_type == "SOL":
        return [b58encode(pub)]
    if address_type == "APTOS":
        full = "0x" + aptos_auth_key(pub).hex()
        return [full, "0x" + full[2:].lstrip("0")]
    if address_type == "SUI":
        return ["0x" + sui_address(pub).hex()]
    if address_type == "TON":
        return [ton.friendly(ton.wallet_hash(v, pub), b) for v in ton.OKX_VERSIONS for b in (True, False)]
    if address_type in SS58_IDS:
        return [ss58_address(pub, SS58_IDS[address_type])]
    if address_type in _STELLAR_TYPES:
        return [stellar_address(pub)]
    if address_type == "ADA":
        return [ada_enterprise_address(pub)]
    return None


# --- strict checks -----------------------------------------------------------------
def _hex_account(text: str) -> int | None:
    """A 0x-prefixed hex account number below 2**256 (any leading-zero stripping), else None."""
    if text[:2] not in ("0x", "0X") or not 1 <= len(text) - 2 <= 64:
        return None
    try:
        return int(text[2:], 16) if all(c in "0123456789abcdefABCDEF" for c in text[2:]) else None
    except ValueError:
        return None


def _check_hex32(claimed: str, derived: bytes, what: str) -> Link:
    value = _hex_account(claimed)
    if value is None:
        return "failed", f"address is not a 0x-prefixed hex account of at most 32 bytes"
    if value != int.from_bytes(derived, "big"):
        return "failed", f"address is not {what} of the public key (0x{derived.hex()})"
    return "verified", ""


def _check_sol(claimed: str, pub: bytes) -> Link:
    if claimed == b58encode(pub):
        return "verified", ""
    return "failed", "address is not base58(public key)"


def _check_aptos(claimed: str, pub: bytes) -> Link:
    status, reason = _check_hex32(claimed, aptos_auth_key(pub), "sha3-256(key‖0x00)")
    if status == "verified":
        return status, "address is the key's authentication key; later on-chain key rotation is not checked"
    return status, reason


def _check_sui(claimed: str, pub: bytes) -> Link:
    return _check_hex32(claimed, sui_address(pub), "blake2b-256(0x00‖key)")


def _check_ton(claimed: str, pub: bytes) -> Link:
    try:
        addr = ton.parse_address(claimed)
    except ValueError as exc:
        return "failed", str(exc)
    if addr.testnet:
        return "failed", "address carries the testnet flag"
    if addr.workchain != 0:
        return "failed", f"address is on workchain {addr.workchain}; wallets are derived on workchain 0"
    for version in ton.ALL_VERSIONS:
        if ton.wallet_hash(version, pub) == addr.account:
            if version in ton.OKX_VERSIONS:
                return "verified", f"TON wallet {version}"
            return "verified", f"TON wallet {version} (OKX's tool derives only v3r2 and highload v3)"
    return "failed", "address is not the v3r2, highload v3, v4r2 or v5r1 wallet of the public key"


def _ss58_checker(ident: int) -> Callable[[str, bytes], Link]:
    def check(claimed: str, pub: bytes) -> Link:
        if claimed == ss58_address(pub, ident):
            return "verified", ""
        try:
            prefix, account = ss58_decode(claimed)
        except ValueError as exc:
            return "failed", f"address is not SS58: {exc}"
        if account != pub:
            return "failed", "SS58 address encodes a different public key"
        return "failed", f"SS58 network prefix is {prefix.hex()}, expected id {ident}"

    return check


def _check_stellar(claimed: str, pub: bytes) -> Link:
    if claimed == stellar_address(pub):
        return "verified", ""
    return "failed", "address is not the StrKey G… of the public key"


def _check_ada(claimed: str, pub: bytes) -> Link:
    if claimed[:2] in ("Ae", "Dd"):
        return "signature_only", "Byron address: it hashes an extended key the row does not carry"
    return cardano.check(claimed, pub)


def _check_near(claimed: str, pub: bytes) -> Link:
    if _HEX64.fullmatch(claimed):
        if claimed == pub.hex():
            return "verified", "NEAR implicit account = hex(public key); access keys can change on-chain"
        return "failed", "implicit NEAR account is not hex(public key)"
    return "signature_only", "named NEAR account: its access keys are on-chain state, not derivable from the key"


def _check_algo(claimed: str, pub: bytes) -> Link:
    if claimed == algorand_address(pub):
        return "verified", "Algorand address = key ‖ checksum; a rekey would move control on-chain (not checked)"
    try:
        raw = base64.b32decode(claimed + "======")
    except ValueError:
        raw = b""
    if len(raw) == 36 and hashlib.new("sha512_256", raw[:32]).digest()[-4:] == raw[32:]:
        return "signature_only", "address is another key's account; Algorand rekeying (auth-addr, on-chain) is not checked"
    return "failed", "address is not an Algorand address"


def _check_egld(claimed: str, pub: bytes) -> Link:
    if claimed.lower() == bech32_encode("erd", pub):
        return "verified", ""
    return "failed", "address is not bech32('erd', public key)"


def _check_tezos(claimed: str, pub: bytes) -> Link:
    if claimed == tezos_tz1(pub):
        return "verified", ""
    if claimed.startswith("KT1"):
        return "signature_only", "KT1 contract account: its signers are contract storage, not checked"
    return "failed", "address is not the tz1 of the public key"


def _check_kda(claimed: str, pub: bytes) -> Link:
    if claimed.startswith("k:"):
        if claimed[2:].lower() == pub.hex():
            return "verified", "Kadena principal account k:<key>"
        return "failed", "k: account names a different key"
    return "signature_only", "Kadena vanity account: its keyset is on-chain state"


def _check_iota(claimed: str, pub: bytes) -> Link:
    if claimed[:2] in ("0x", "0X"):  # IOTA Rebased: Sui's scheme
        return _check_hex32(claimed, sui_address(pub), "blake2b-256(0x00‖key)")
    try:
        hrp, payload = bech32_decode(claimed)
    except ValueError:
        return "failed", "address is neither 0x-hex nor bech32"
    if hrp != "iota" or payload[:1] != b"\x00":
        return "failed", "address is not an IOTA mainnet ed25519 address"
    if payload[1:] != blake2b(pub, 32):
        return "failed", "address is not blake2b-256(public key)"
    return "verified", ""


def _check_cspr(claimed: str, pub: bytes) -> Link:
    low = claimed.lower()
    if low == "01" + pub.hex():
        return "verified", "Casper account public key (tag 01 = ed25519)"
    if low == "account-hash-" + blake2b(b"ed25519\x00" + pub, 32).hex():
        return "verified", "Casper account hash"
    return "failed", "address is neither 01‖key nor the account hash of the public key"


def _check_any_ss58(claimed: str, pub: bytes) -> Link:
    looks_ss58 = False
    try:
        looks_ss58 = len(b58decode(claimed)) in (35, 36)
        _, account = ss58_decode(claimed)
    except ValueError as exc:
        if looks_ss58:
            return "failed", f"address is not valid SS58: {exc}"
        return "signature_only", "address is not SS58; no key derivation applied"
    if account == pub:
        return "verified", "SS58 address encodes the public key"
    return "failed", "SS58 address encodes a different public key"


def _signature_only(reason: str) -> Callable[[str, bytes], Link]:
    return lambda claimed, pub: ("signature_only", reason)


_CHECKS: dict[str, Callable[[str, bytes], Link]] = {
    "SOL": _check_sol,
    "APTOS": _check_aptos,
    "SUI": _check_sui,
    "TON": _check_ton,
    **{t: _ss58_checker(i) for t, i in SS58_IDS.items()},
    **dict.fromkeys(_STELLAR_TYPES, _check_stellar),
    "ADA": _check_ada,
    "NEAR": _check_near,
    "ALGO": _check_algo,
    "EGLD": _check_egld,
    "ERD": _check_egld,
    "TEZOS": _check_tezos,
    "XTZ": _check_tezos,
    "KDA": _check_kda,
    "IOTA": _check_iota,
    "IOTA_NEW": _check_iota,
    "IOTA_STARDUST": _check_iota,
    "CSPR": _check_cspr,
    "ACA": _check_any_ss58,
    "ASTR": _check_any_ss58,
    "ENJ": _check_any_ss58,
    "HBAR": _signature_only("Hedera account ids are bound to keys by on-chain state"),
    "SC": _signature_only("Sia addresses hash unlock conditions; that derivation is not implemented"),
    "ICP": _signature_only("ICP account identifiers hash a principal and subaccount; not derivable from the row"),
    "IOST": _signature_only("IOST account names are bound to keys on-chain"),
    "LSK": _signature_only("Lisk address derivation is not implemented"),
    "POKT": _signature_only("Pocket address derivation is not implemented"),
    "VENOM": _signature_only("Venom wallets are contracts whose code is not modelled here"),
    "CC_CANTON": _signature_only("Canton parties are bound to keys by on-chain topology"),
    "KLY": _signature_only("KLY address derivation is not implemented"),
}


def check(address_type: str, claimed: str, pub: bytes) -> Link:
    """The strict key -> address link for one address type."""
    fn = _CHECKS.get(address_type)
    if fn is None:
        return "signature_only", f"no address derivation is known for address type {address_type or '(none)'}"
    return fn(claimed, pub)

"""Address text -> scriptPubKey bytes, the key every UTXO balance source is indexed by.

Balances are looked up by script, never by address string: ``scantxoutset raw(...)``
and a UTXO dump both speak scripts, and a script is the same on every fork whatever
the fork's address prefix or hrp (litecoind cannot parse ``bc1`` addresses, but it
can match their scripts). Decoding is strict: an address the chain itself would
refuse raises AddressError so the row becomes an error, never a zero balance.
"""

from __future__ import annotations

from collections.abc import Sequence

from chains.common.encoding import b58check_decode, cashaddr_decode, segwit_decode
from chains.utxo.params import ChainParams
from indexer.models import BalanceRequest, BalanceResult, Network

OP_0, OP_DUP, OP_HASH160, OP_HASH256 = 0x00, 0x76, 0xA9, 0xAA
OP_EQUAL, OP_EQUALVERIFY, OP_CHECKSIG = 0x87, 0x88, 0xAC


class AddressError(ValueError):
    """The address does not decode to a script on this chain (the message says why)."""


def p2pkh_script(h160: bytes) -> bytes:
    return bytes([OP_DUP, OP_HASH160, 20]) + h160 + bytes([OP_EQUALVERIFY, OP_CHECKSIG])


def p2sh_script(h160: bytes) -> bytes:
    return bytes([OP_HASH160, 20]) + h160 + bytes([OP_EQUAL])


def witness_script(version: int, program: bytes) -> bytes:
    """``OP_n <program>``: P2WPKH (v0, 20), P2WSH (v0, 32), P2TR (v1, 32), future versions."""
    return bytes([OP_0 if version == 0 else 0x50 + version, len(program)]) + program


def script_for_address(address: str, params: ChainParams) -> bytes:
    text = address.strip()
    if not text:
        raise AddressError("empty address")
    lower = text.lower()
    if params.hrp and lower.startswith(params.hrp + "1"):
        try:
            version, program = segwit_decode(params.hrp, text)
        except ValueError as exc:
            raise AddressError(f"invalid segwit address: {exc}") from None
        return witness_script(version, program)
    if params.cashaddr and (":" in text or lower[0] in "qp"):
        return _cashaddr_script(text, params.cashaddr)
    try:
        payload = b58check_decode(text)
    except ValueError as exc:
        raise AddressError(f"not a valid address for this chain: {exc}") from None
    for prefix in params.p2pkh:
        if payload.startswith(prefix) and len(payload) == len(prefix) + 20:
            return p2pkh_script(payload[len(prefix) :])
    for prefix in params.p2sh:
        if payload.startswith(prefix) and len(payload) == len(prefix) + 20:
            return p2sh_script(payload[len(prefix) :])
    raise AddressError(f"base58 version {payload[:2].hex()} (length {len(payload)}) is no P2PKH/P2SH prefix of this chain")


def _cashaddr_script(text: str, prefix: str) -> bytes:
    try:
        version, payload = cashaddr_decode(prefix, text)
    except ValueError as exc:
        raise AddressError(f"invalid cashaddr: {exc}") from None
    kind = (version >> 3) & 0x0F  # 0/2: P2PKH (2 = token-aware), 1/3: P2SH (3 = token-aware)
    if kind in (0, 2) and len(payload) == 20:
        return p2pkh_script(payload)
    if kind in (1, 3) and len(payload) == 20:
        return p2sh_script(payload)
    if kind in (1, 3) and len(payload) == 32:  # P2SH32 (BCH May 2023 upgrade)
        return bytes([OP_HASH256, 32]) + payload + bytes([OP_EQUAL])
    raise AddressError(f"cashaddr type {kind} with a {len(payload)}-byte hash has no standard script")


def decode_scripts(
    network: Network, chain: str, params: ChainParams, requests: Sequence[BalanceRequest], source: str, method: str = "state_at_height"
) -> tuple[dict[int | None, dict[bytes, list[int]]], list[BalanceResult | None]]:
    """Requests grouped by block, then by scriptPubKey (duplicates read once); undecodable ones as error results."""
    results: list[BalanceResult | None] = [None] * len(requests)
    groups: dict[int | None, dict[bytes, list[int]]] = {}
    for i, req in enumerate(requests):
        if req.contract:
            results[i] = BalanceResult(req, None, None, f"{network.name} has no token contracts (got {req.contract!r})", source, method=method)
            continue
        try:
            script = script_for_address(req.address, params)
        except AddressError as exc:
            results[i] = BalanceResult(req, None, None, f"address does not decode on {network.name} ({chain}): {exc}", source, method=method)
            continue
        groups.setdefault(req.block, {}).setdefault(script, []).append(i)
    return groups, results

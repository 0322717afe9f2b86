"""TON wallet addresses: our cell hashing against pytoniq_core for all four wallet versions, and the strict/compat rules."""

from __future__ import annotations

import base64
import os

import pytest
from nacl.signing import SigningKey

from chains.common import toncells as ton
from chains.common.framed_ed25519 import verify_ed25519, verify_ed25519_okx_go
from indexer.registry import registry
from tests.fixtures.secp_vectors import coin_for, row_from_vector, vectors
from tests.test_ed25519_signatures import signed_row

pytoniq_core = pytest.importorskip("pytoniq_core", reason="pytoniq-core (test extra) gives the independent cell hashing")


def pytoniq_state_init_hash(version: str, pub: bytes) -> bytes:
    """The same wallet built with pytoniq_core's own BOC parser, builder and hasher."""
    from pytoniq_core import Cell, begin_cell
    from pytoniq_core.tlb.account import StateInit

    code = Cell.one_from_boc(bytes.fromhex(ton._CODE_BOCS[version]))
    b = begin_cell()
    if version == "v3r2":
        b.store_uint(0, 32).store_uint(698983191, 32).store_bytes(pub)
    elif version == "v4r2":
        b.store_uint(0, 32).store_uint(698983191, 32).store_bytes(pub).store_bit(0)
    elif version == "highload_v3":
        b.store_bytes(pub).store_uint(4269, 32).store_bit(0).store_bit(0).store_uint(0, 64).store_uint(43200, 22)
    elif version == "v5r1":
        wallet_id = ((1 << 31) ^ -239) & 0xFFFFFFFF
        b.store_bit(1).store_uint(0, 32).store_uint(wallet_id, 32).store_bytes(pub).store_bit(0)
    return StateInit(code=code, data=b.end_cell()).serialize().hash


@pytest.mark.parametrize("version", ton.ALL_VERSIONS)
def test_wallet_hash_matches_pytoniq_core(version: str) -> None:
    for _ in range(3):
        pub = os.urandom(32)
        assert ton.wallet_hash(version, pub) == pytoniq_state_init_hash(version, pub)


def test_code_cells_parse_to_the_known_hashes() -> None:
    from pytoniq_core import Cell

    for version in ton.ALL_VERSIONS:
        ours = ton.code_cell(version)
        theirs = Cell.one_from_boc(bytes.fromhex(ton._CODE_BOCS[version]))
        assert ours.hash == theirs.hash
        assert ours.depth == theirs.get_depth()


def test_friendly_form_round_trip_and_pytoniq_agrees() -> None:
    from pytoniq_core import Address

    account = os.urandom(32)
    for bounceable in (True, False):
        text = ton.friendly(account, bounceable)
        assert text.startswith("EQ" if bounceable else "UQ")
        assert Address(text).hash_part == account
        parsed = ton.parse_address(text)
        assert (parsed.workchain, parsed.account, parsed.testnet) == (0, account, False)
        assert ton.parse_address(base64.b64encode(base64.urlsafe_b64decode(text)).decode()) == parsed  # standard alphabet
    assert ton.parse_address("0:" + account.hex()).account == account
    broken = ton.friendly(account, True)
    broken = broken[:-1] + ("A" if broken[-1] != "A" else "B")
    with pytest.raises(ValueError):
        ton.parse_address(broken)


def _key_and_pub():
    key = SigningKey(os.urandom(32))
    return key, bytes(key.verify_key)


@pytest.mark.parametrize("version", ton.ALL_VERSIONS)
def test_every_wallet_version_strict_and_compat(version: str) -> None:
    coin = registry().coin("TON")
    key, pub = _key_and_pub()
    account = pytoniq_state_init_hash(version, pub)  # the expected address comes from the independent library
    for bounceable in (True, False):
        row = signed_row(key, ton.friendly(account, bounceable))
        strict = verify_ed25519(row, coin)
        assert strict.status == "verified" and version in strict.reason
        okx = verify_ed25519_okx_go(row, coin).status
        assert okx == ("verified" if version in ("v3r2", "highload_v3") else "failed")  # OKX lacks V4/V5
    wrong_key = signed_row(SigningKey(os.urandom(32)), ton.friendly(account, True))
    assert verify_ed25519(wrong_key, coin).status == "failed"


def test_ton_comparison_is_exact_in_strict_mode() -> None:
    coin = registry().coin("USDT-TON")
    key, pub = _key_and_pub()
    address = ton.friendly(ton.wallet_hash("v3r2", pub), True)
    swapped = signed_row(key, address.swapcase())
    assert verify_ed25519(swapped, coin).status == "failed"  # a different 36-byte string (bad checksum / other account)
    assert verify_ed25519_okx_go(swapped, coin).status == "verified"  # OKX's EqualFold quirk
    testnet = signed_row(key, ton.friendly(ton.wallet_hash("v3r2", pub), True, testnet=True))
    assert verify_ed25519(testnet, coin).status == "failed"
    masterchain = signed_row(key, ton.friendly(ton.wallet_hash("v3r2", pub), True, workchain=-1))
    assert verify_ed25519(masterchain, coin).status == "failed"
    raw = signed_row(key, "0:" + ton.wallet_hash("v3r2", pub).hex())
    assert verify_ed25519(raw, coin).status == "verified"
    assert verify_ed25519_okx_go(raw, coin).status == "failed"


def test_okx_ton_vectors() -> None:
    seen = 0
    for v in vectors("ED25519"):
        if coin_for(v).address_type != "TON":
            continue
        row, coin = row_from_vector(v), coin_for(v)
        pub = bytes.fromhex(v["pubkey_or_script"].removeprefix("0x"))
        account = ton.parse_address(v["address"]).account
        assert account in {pytoniq_state_init_hash(ver, pub) for ver in ton.OKX_VERSIONS}
        expected = "verified" if v["expected"] == "pass" else "failed"
        assert verify_ed25519(row, coin).status == expected
        assert verify_ed25519_okx_go(row, coin).status == expected
        seen += 1
    assert seen >= 5

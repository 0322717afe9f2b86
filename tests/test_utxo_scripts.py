"""Address -> scriptPubKey against published vectors (BIP-173/350, the CashAddr spec, the Bitcoin
wiki's base58 examples) and hand-built scripts; every decoder must also refuse a mutated address."""

from __future__ import annotations

from decimal import Decimal

import pytest
from coincurve import PrivateKey

from chains.common.encoding import (
    BECH32_CONST,
    BECH32M_CONST,
    b58check_encode,
    bech32_encode_words,
    cashaddr_encode,
    convertbits,
    segwit_encode,
)
from chains.common.hashes import hash160, sha256
from chains.utxo.fetch import to_base_units
from chains.utxo.params import CHAIN_PARAMS, chain_params
from chains.utxo.scripts import AddressError, script_for_address

BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

VECTORS = [  # (network, chain, address, scriptPubKey hex)
    ("BTC", "main", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "76a91477bff20c60e522dfaa3350c39b030a5d004e839a88ac"),
    ("BTC", "main", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", "a914b472a266d0bd89c13706a4132ccfb16f7c3b9fcb87"),
    ("BTC", "main", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("BTC", "main", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    (
        "BTC", "main", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    (
        "BTC", "main", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
        "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",
    ),
    (
        "BTC", "test", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
        "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262",
    ),
    ("BCH", "main", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac"),
    ("BCH", "main", "qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac"),
    ("BCH", "main", "bitcoincash:ppm2qsznhks23z7629mms6s4cwef74vcwvn0h829pq", "a91476a04053bda0a88bda5177b86a15c3b29f55987387"),
    ("BCH", "main", "1BpEi6DfDAUFd7GtittLSdBeYJvcoaVggu", "76a91476a04053bda0a88bda5177b86a15c3b29f55987388ac"),
]  # fmt: skip


@pytest.mark.parametrize(("network", "chain", "address", "spk"), VECTORS)
def test_published_vectors(network: str, chain: str, address: str, spk: str) -> None:
    assert script_for_address(address, chain_params(network, chain)).hex() == spk


@pytest.mark.parametrize(
    ("network", "address", "why"),
    [
        ("BTC", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "checksum"),
        ("BTC", "bc1qw508d6qejxtdg4y5r3zarvarY0c5xw7kv8f3t4", "mixed case"),
        ("BTC", "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "testnet hrp on main"),
        ("BTC", segwit_encode("bc", 1, bytes(32))[:-6] + "aaaaaa", "bech32m checksum broken"),
        ("BTC", bech32_encode_words("bc", [1] + convertbits(bytes(32), 8, 5), BECH32_CONST), "v1 with a bech32 checksum"),
        ("BTC", bech32_encode_words("bc", [0] + convertbits(bytes(20), 8, 5), BECH32M_CONST), "v0 with a bech32m checksum"),
        ("BTC", "LKDyUEtTR1HXamkiEphisSiBJu6o3ZPE34", "a Litecoin address"),
        ("DOGE", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "DOGE has no segwit"),
        ("BCH", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BCH has no segwit"),
        ("BCH", "ecash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6a", "another cashaddr network"),
        ("BCH", "bitcoincash:qpm2qsznhks23z7629mms6s4cwef74vcwvy22gdx6b", "cashaddr checksum"),
        ("BTC", "", "empty"),
    ],
)
def test_refusals(network: str, address: str, why: str) -> None:
    with pytest.raises(AddressError):
        script_for_address(address, chain_params(network, "main"))


def test_every_type_built_by_hand_and_mutations_fail() -> None:
    """Keys from coincurve; scripts assembled here byte by byte; each address mutated in every position."""
    pubs = [PrivateKey(bytes([i + 1]) * 32).public_key.format(compressed=True) for i in range(3)]
    ms = bytes([0x52]) + b"".join(b"\x21" + p for p in pubs) + bytes([0x53, 0xAE])
    h, hs = hash160(pubs[0]), hash160(ms)
    for (network, chain), params in CHAIN_PARAMS.items():
        cases = {b58check_encode(params.p2pkh[0] + h): "76a914" + h.hex() + "88ac"}
        for prefix in params.p2sh:  # Litecoin/DigiByte: both P2SH prefixes name the same script
            cases[b58check_encode(prefix + hs)] = "a914" + hs.hex() + "87"
        if params.hrp:
            cases[segwit_encode(params.hrp, 0, h)] = "0014" + h.hex()
            cases[segwit_encode(params.hrp, 0, sha256(ms))] = "0020" + sha256(ms).hex()
            cases[segwit_encode(params.hrp, 1, pubs[1][1:])] = "5120" + pubs[1][1:].hex()
        if params.cashaddr:
            cases[cashaddr_encode(params.cashaddr, 0, h)] = "76a914" + h.hex() + "88ac"
            cases[cashaddr_encode(params.cashaddr, 8, hs)] = "a914" + hs.hex() + "87"
            cases[cashaddr_encode(params.cashaddr, 11, sha256(ms))] = "aa20" + sha256(ms).hex() + "87"  # P2SH32
        for address, spk in cases.items():
            assert script_for_address(address, params).hex() == spk, (network, chain, address)
            if ":" in address:
                alphabet, start = BECH32, address.index(":") + 1
            elif params.hrp and address.startswith(params.hrp + "1"):
                alphabet, start = BECH32, len(params.hrp) + 1
            else:
                alphabet, start = B58, 0
            for i in range(start, len(address)):
                mutated = address[:i] + next(c for c in alphabet if c != address[i]) + address[i + 1 :]
                try:
                    got = script_for_address(mutated, params).hex()
                except AddressError:
                    continue
                pytest.fail(f"{network}/{chain}: mutated {mutated} decoded to {got}")


def test_exact_amounts() -> None:
    assert to_base_units(Decimal("20999999.97690000"), 8) == 2_099_999_997_690_000
    assert to_base_units(Decimal("0.00000001"), 8) == 1
    assert to_base_units(Decimal("152000000000.12345678"), 8) == 15_200_000_000_012_345_678  # beyond float's exact range
    assert to_base_units(Decimal("1.2345678"), 7) == 12_345_678  # BCD: 7 decimals
    with pytest.raises(TypeError):
        to_base_units(0.1, 8)  # a float may already be inexact: refused
    with pytest.raises(ValueError):
        to_base_units(Decimal("0.000000001"), 8)

"""Address codecs as chain plugins (``ChainPlugin.address_codecs``): every address type the registries sign under
OKX's framed schemes is declared by exactly one installed chain, on the curve its scheme uses.

The derivations themselves are pinned by OKX's vectors and the *_signatures tests (keys signed by independent
libraries); this file checks the wiring the move into chain packages could break: a type nobody declares, a type
two chains declare, a codec on the wrong curve, a shape lookup that finds the wrong chain.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from coincurve import PrivateKey

from indexer.plugins import ED25519, SECP256K1, AddressCodec, address_codec, address_codec_by_shape, plugins

ROOT = Path(__file__).resolve().parents[1]
CURVE = {"ECDSA": SECP256K1, "ED25519": ED25519}


def _registry_types() -> set[tuple[str, str]]:
    """(scheme family, address type) of every framed-scheme row of data/coins.csv and OKX's network table."""
    found = set()
    for path, family in ((ROOT / "data" / "coins.csv", "family"), (ROOT / "exchanges" / "okx" / "networks.csv", "scheme")):
        with path.open(newline="") as f:
            found |= {(r[family], r["address_type"]) for r in csv.DictReader(f) if r[family] in CURVE and r["address_type"]}
    return found


def test_every_framed_address_type_of_the_registries_has_a_codec_on_its_curve() -> None:
    types = _registry_types()
    assert len(types) >= 55  # 17 ECDSA and 42 ed25519 types today: a registry read wrong would pass an empty set
    missing = sorted((fam, t) for fam, t in types if address_codec(t, CURVE[fam]) is None)
    assert not missing, f"no installed chain declares the address codec of {missing}"
    for fam, t in types:
        if fam == "ECDSA":  # OKX's tool derives every named ECDSA type: a codec without a derivation would fail all rows
            assert address_codec(t, SECP256K1).address is not None, t


def test_no_address_type_is_declared_twice() -> None:
    declared = Counter((codec.curve, t) for p in plugins() for t, codec in p.address_codecs.items())
    assert declared and not [k for k, n in declared.items() if n > 1]


def test_chain_packages_declare_their_own_codecs() -> None:
    """Where each family landed (the grouping the move chose), so a codec moved to another chain is seen."""
    owner = {(codec.curve, t): p.name for p in plugins() for t, codec in p.address_codecs.items()}
    assert owner[ED25519, "SOL"] == "solana" and owner[ED25519, "APTOS"] == "aptos" and owner[ED25519, "TON"] == "ton"
    assert {owner[ED25519, t] for t in ("DOT", "KSM", "ASSET-HUB", "ACA", "ASTR", "ENJ", "ENJIN")} == {"polkadot"}
    assert {owner[ED25519, t] for t in ("XLM", "PI", "STELLAR")} == {"stellar"}
    assert {owner[SECP256K1, t] for t in ("ATOM", "TIA", "CRO", "DORA", "DYDX", "TERRA", "LUNC", "INJ")} == {"cosmos"}
    assert owner[SECP256K1, "ETH"] == "evm" and owner[SECP256K1, "FIL"] == "filecoin" and owner[SECP256K1, "ELF"] == "aelf"
    assert owner[SECP256K1, "XRP"] == "xrpl" and owner[SECP256K1, "AVAX-X"] == "avalanche"


def test_a_type_is_found_only_on_its_curve() -> None:
    assert address_codec("SOL", ED25519) is not None and address_codec("SOL", SECP256K1) is None
    assert address_codec("ATOM", SECP256K1) is not None and address_codec("ATOM", ED25519) is None
    assert address_codec("", ED25519) is None and address_codec("NOT-A-TYPE", ED25519) is None


def test_shapes_find_the_chain_of_a_claim_with_no_address_type() -> None:
    key = PrivateKey(b"\x07" * 32).public_key.format(compressed=False)
    xrp, avax = address_codec("XRP", SECP256K1), address_codec("AVAX-X", SECP256K1)
    assert address_codec_by_shape(xrp.address(key), SECP256K1) is xrp
    assert address_codec_by_shape(avax.address(key), SECP256K1) is avax
    assert address_codec_by_shape("P-" + avax.address(key)[2:], SECP256K1) is avax
    assert address_codec_by_shape("0x" + "11" * 20, SECP256K1) is None  # no codec claims an EVM-looking string
    assert address_codec_by_shape(xrp.address(key), ED25519) is None  # shapes are per curve too
    assert xrp.check(xrp.address(key), key) == ("verified", "")
    assert xrp.check(xrp.address(PrivateKey(b"\x08" * 32).public_key.format(compressed=False)), key)[0] == "failed"


def test_a_codec_on_an_unknown_curve_is_refused() -> None:
    with pytest.raises(ValueError, match="curve"):
        AddressCodec("ed448", lambda claimed, key: ("verified", ""))

"""Primitives several chains share (hashes, base58/bech32/SS58 encodings, secp256k1 recovery, ed25519 verification,
OKX message framing, TON cells, address-link rules): no I/O, no global state, no chain's own derivation."""

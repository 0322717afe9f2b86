"""Filecoin f1 addresses of secp256k1 keys (address type FIL under OKX's framed ECDSA).

The encoding (protocol byte, payload, blake2b-32 checksum, base32) is ``chains.common.filaddr``'s, shared with
the EVM verifier's delegated f410f form.
"""

from __future__ import annotations

from chains.common.filaddr import f1_address
from chains.common.links import ONE_CASE, derived_codec

ADDRESS = derived_codec(f1_address, ONE_CASE)

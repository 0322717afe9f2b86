"""Pure TON codecs: a wallet's address from its ed25519 key (address type TON), and for jetton reads an address as a
one-cell BOC (a ``tvm.Slice`` argument) and back.

``MsgAddressInt`` (``addr_std``): tag ``10``, anycast ``0``, 8-bit workchain, 256-bit account id: 267 bits.
"""

from __future__ import annotations

from chains.common import toncells
from chains.common.links import okx_go_candidates
from chains.common.toncells import TonAddress, boc_cells, friendly, parse_address
from indexer.plugins import ED25519, AddressCodec, AddressLink

ADDR_STD_BITS = 267


def address_boc(address: TonAddress) -> bytes:
    """A bag with one cell holding ``address`` (the ``tvm.Slice`` toncenter's runGetMethod takes, base64)."""
    value = (0b100 << 264) | ((address.workchain & 0xFF) << 256) | int.from_bytes(address.account, "big")
    full, rem = divmod(ADDR_STD_BITS, 8)
    data = ((value << (8 - rem)) | (1 << (7 - rem))).to_bytes(full + 1, "big")  # completion tag
    cell = bytes((0, full * 2 + 1)) + data
    header = bytes.fromhex("b5ee9c72") + bytes((0x01, 0x01, 1, 1, 0, len(cell), 0))
    return header + cell


def address_from_boc(boc: bytes) -> TonAddress:
    """The ``addr_std`` at the start of a BOC's root cell (what ``get_wallet_address`` returns)."""
    raw, root = boc_cells(boc)
    _d1, d2, data, _refs = raw[root]
    nbits = d2 // 2 * 8 if d2 % 2 == 0 else _bits_with_tag(data)
    if nbits < ADDR_STD_BITS:
        raise ValueError(f"cell holds {nbits} bits, an address needs {ADDR_STD_BITS}")
    value = int.from_bytes(data, "big") >> (len(data) * 8 - ADDR_STD_BITS)
    if value >> 265 != 0b10 or (value >> 264) & 1:
        raise ValueError("cell does not start with addr_std without anycast")
    wc = (value >> 256) & 0xFF
    return TonAddress(wc - 256 if wc >= 128 else wc, (value & ((1 << 256) - 1)).to_bytes(32, "big"), False)


def _bits_with_tag(data: bytes) -> int:
    """Bits in a cell whose last byte carries the completion tag (a 1 then zeros)."""
    last = data[-1]
    trailing = (last & -last).bit_length()  # position of the lowest set bit, 1-based
    return len(data) * 8 - trailing


def raw_form(address: TonAddress) -> str:
    return f"{address.workchain}:{address.account.hex()}"


__all__ = ["address_boc", "address_from_boc", "friendly", "parse_address", "raw_form"]


# --- a wallet's address (address type TON) ------------------------------------------------------------------
def check_address(claimed: str, pub: bytes) -> AddressLink:
    """The address is the standard wallet (v3r2, highload v3, v4r2 or v5r1) the key deploys on workchain 0."""
    try:
        addr = parse_address(claimed)
    except ValueError as exc:
        return "failed", str(exc)
    if addr.testnet:
        return "failed", "address carries the testnet flag"
    if addr.workchain != 0:
        return "failed", f"address is on workchain {addr.workchain}; wallets are derived on workchain 0"
    for version in toncells.ALL_VERSIONS:
        if toncells.wallet_hash(version, pub) == addr.account:
            if version in toncells.OKX_VERSIONS:
                return "verified", f"TON wallet {version}"
            return "verified", f"TON wallet {version} (OKX's tool derives only v3r2 and highload v3)"
    return "failed", "address is not the v3r2, highload v3, v4r2 or v5r1 wallet of the public key"


def okx_candidates(pub: bytes) -> list[str]:
    """OKX's tool: the v3r2 and highload v3 wallets, bounceable and not."""
    return [friendly(toncells.wallet_hash(v, pub), b) for v in toncells.OKX_VERSIONS for b in (True, False)]


def address(pub: bytes) -> str:
    return friendly(toncells.wallet_hash("v3r2", pub), True)


ADDRESS = AddressCodec(ED25519, check_address, address=address, variants={"okx-go": okx_go_candidates(okx_candidates)})

"""Pure Starknet codecs: selectors, felts, and the u256 a Cairo ``balanceOf`` returns.

No I/O here, so each rule is testable on bytes alone.
"""

from __future__ import annotations

from chains.common.hashes import keccak256

# The Stark field prime: every felt is below it, a contract address below 2**251.
FIELD_PRIME = 2**251 + 17 * 2**192 + 1
ADDRESS_BOUND = 2**251
_MASK_250 = (1 << 250) - 1

# Starknet mainnet ETH and STRK token contracts (Starknet docs, "Important addresses";
# the same values in starknet.js/starknet-py constants): native ETH is an ERC-20 on Starknet.
ETH_TOKEN = "0x049d36570d4e46f48e99674bd3fcc84644ddd6b96f7c741b1562b82f9e004dc7"
STRK_TOKEN = "0x04718f5a0fc34cc1af16a1cdee98ffb20c31f5cd61d6ab07201858f4287c938d"
MAINNET_CHAIN_ID = "0x534e5f4d41494e"  # "SN_MAIN" as a felt


def selector(name: str) -> str:
    """``starknet_keccak(name)``: keccak-256 masked to 250 bits, as a 0x felt."""
    return hex(int.from_bytes(keccak256(name.encode()), "big") & _MASK_250)


BALANCE_OF = selector("balanceOf")


def felt(text: str) -> int:
    """A 0x-hex felt as an integer; raises ValueError when it is not one."""
    t = text.strip()
    if not t.lower().startswith("0x") or len(t) < 3:
        raise ValueError(f"{text!r} is not a 0x-hex felt")
    value = int(t, 16)
    if value >= FIELD_PRIME:
        raise ValueError(f"{text!r} is not below the Stark field prime")
    return value


def account_felt(address: str) -> str:
    """A Starknet contract address as the canonical 0x felt a call takes (below 2**251)."""
    value = felt(address)
    if value >= ADDRESS_BOUND:
        raise ValueError(f"{address!r} is not a Starknet address (must be below 2**251)")
    return hex(value)


def decode_u256(result: list[str]) -> int:
    """A Cairo ``u256`` return value: two felts ``[low, high]``, each below 2**128."""
    if not isinstance(result, list) or len(result) != 2:
        raise ValueError(f"balanceOf answered {result!r}, not a u256 (low, high)")
    low, high = (felt(x) for x in result)
    if low >= 2**128 or high >= 2**128:
        raise ValueError(f"u256 limbs out of range: {result!r}")
    return (high << 128) | low

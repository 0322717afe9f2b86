// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title BalanceReader — many balances in one eth_call, from one block.
/// @notice Never deployed. por-indexer places this contract's runtime code at an unused
/// address through an eth_call state override, so it works at any past block on any node
/// that serves that block's state — including blocks before Multicall3 existed.
///
/// Input (raw calldata, no selector; cheap to build by concatenation):
///   n records of 40 bytes: token (20 bytes) || holder (20 bytes). token = 0 means the native coin.
/// Output (raw, not ABI-encoded):
///   n 32-byte big-endian balances, then n status bytes:
///     0 ok
///     1 balanceOf reverted (or ran out of its own gas allowance)
///     2 balanceOf returned fewer than 32 bytes (e.g. nothing at all)
///     3 no contract code at the token address at this block
/// A per-item failure never becomes a zero: the caller turns statuses 1..3 into error rows.
/// If the whole call runs low on gas it reverts with a message containing "out of gas",
/// so the caller halves its chunk instead of seeing later items fail spuriously.
contract BalanceReader {
    uint256 private constant TOKEN_GAS = 200_000; // per balanceOf; generous for proxies, bounded for hostile tokens
    uint256 private constant RESERVE = 30_000; // gas kept back to finish the loop and return

    fallback(bytes calldata input) external returns (bytes memory out) {
        require(input.length % 40 == 0, "BalanceReader: input is not 40-byte records");
        uint256 n = input.length / 40;
        out = new bytes(n * 33);
        for (uint256 i = 0; i < n; ++i) {
            uint256 rec = i * 40;
            address token = address(bytes20(input[rec:rec + 20]));
            address holder = address(bytes20(input[rec + 20:rec + 40]));
            uint256 value;
            uint8 status;
            if (token == address(0)) {
                value = holder.balance;
            } else {
                if (gasleft() < TOKEN_GAS + RESERVE) revert("BalanceReader: out of gas, send fewer items");
                if (token.code.length == 0) {
                    status = 3;
                } else {
                    (value, status) = _balanceOf(token, holder);
                }
            }
            assembly {
                mstore(add(add(out, 32), mul(i, 32)), value)
                mstore8(add(add(add(out, 32), mul(n, 32)), i), status)
            }
        }
        if (gasleft() < 2_000) revert("BalanceReader: out of gas, send fewer items");
    }

    /// balanceOf(holder) through a static call that copies at most 32 bytes back
    /// (a hostile token cannot make us pay for a huge return buffer).
    function _balanceOf(address token, address holder) private view returns (uint256 value, uint8 status) {
        assembly {
            mstore(0x00, shl(224, 0x70a08231))
            mstore(0x04, holder)
            let ok := staticcall(TOKEN_GAS, token, 0x00, 0x24, 0x00, 0x20)
            switch ok
            case 0 { status := 1 }
            default {
                switch lt(returndatasize(), 0x20)
                case 1 { status := 2 }
                default { value := mload(0x00) }
            }
        }
    }
}

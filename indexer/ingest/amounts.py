"""Exact decimal text <-> base-unit integers, without floats or Decimal contexts.

Amounts are parsed by hand because ``Decimal`` silently honours exponents and
context precision, and a float would lose the 18th digit of an ETH balance.
"""

from __future__ import annotations


from indexer.models import AmountError, from_base_units, split_decimal, to_base_units

__all__ = ["AmountError", "from_base_units", "split_decimal", "to_base_units"]

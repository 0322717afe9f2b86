"""Exact decimal text <-> base-unit integers, without floats or Decimal contexts.

Amounts are parsed by hand because ``Decimal`` silently honours exponents and
context precision, and a float would lose the 18th digit of an ETH balance.
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"\+?(\d*)(?:\.(\d*))?")


class AmountError(ValueError):
    """The text is not an exact non-negative decimal the coin can hold."""


def split_decimal(text: str) -> tuple[str, str]:
    """('123', '45') for '123.45'; AmountError for anything but plain non-negative decimals."""
    m = _DECIMAL.fullmatch(text)
    if not m or not (m.group(1) or m.group(2)):
        raise AmountError(f"not a plain decimal number: {text!r}")
    return m.group(1) or "0", m.group(2) or ""


def to_base_units(text: str, decimals: int) -> int:
    """'0.058959708849230328' at 18 decimals -> 58959708849230328, exactly.

    Trailing zeros past the coin's precision carry no value and are accepted;
    any other digit past it would need rounding, which we refuse.
    """
    whole, frac = split_decimal(text)
    if len(frac) > decimals:
        extra = frac[decimals:]
        if extra.strip("0"):
            raise AmountError(f"{text} has {len(frac)} decimals; the coin has {decimals}")
        frac = frac[:decimals]
    return int(whole + frac.ljust(decimals, "0"))


def from_base_units(units: int, decimals: int) -> str:
    """Exact coin-unit text for base units: 1500000 at 6 -> '1.5'; never scientific notation."""
    sign = "-" if units < 0 else ""
    units = abs(units)
    if decimals == 0:
        return f"{sign}{units}"
    whole, frac = divmod(units, 10**decimals)
    frac_text = str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{whole}.{frac_text}" if frac_text else f"{sign}{whole}"

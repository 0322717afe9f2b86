"""A scheme's strict verdict and its ``okx-go`` variant from one verifier that knows both rule sets.

Why: each chain's verify module checks a row once, with OKX's Go quirks switched on or off by a flag inside
the module; what it publishes are two plain functions ``(row, coin) -> Verdict`` (no verifier takes a flag).
"""

from __future__ import annotations

from collections.abc import Callable

from indexer.models import Coin, SignedRow, Verdict

Verifier = Callable[[SignedRow, Coin], Verdict]


def strict_and_okx_go(verify: Callable[[SignedRow, Coin, bool], Verdict], name: str) -> tuple[Verifier, Verifier]:
    """(strict, okx-go) verdict functions of ``verify(row, coin, okx_go)``, named ``name`` and ``name_okx_go``."""

    def strict(row: SignedRow, coin: Coin) -> Verdict:
        return verify(row, coin, False)

    def okx_go(row: SignedRow, coin: Coin) -> Verdict:
        return verify(row, coin, True)

    strict.__name__ = strict.__qualname__ = name
    strict.__doc__ = "The strict verdict: what the row proves."
    okx_go.__name__ = okx_go.__qualname__ = name + "_okx_go"
    okx_go.__doc__ = "Variant ``okx-go``: the verdict OKX's own Go VerifyAddress gives (its quirks reproduced, SPEC §3.11)."
    return strict, okx_go

"""What one row reads: the contract and the decimals its balance is read and stored with (part of the plan).

A row keeps the registry facts it was ingested with (``addresses.contract``/``decimals``): a token row is
read from the contract and at the decimals stored with it, so a later registry fix cannot rescale or
re-point an old snapshot. Only rows ingested without those facts (unknown coins, an audit row whose coin key
belongs to another network) fall back to today's registry, and a token row ingested while the registry had
no contract may use today's contract only if today's decimals are the ones stored, so its base units still
mean what the published amount meant.
"""

from __future__ import annotations

from dataclasses import dataclass

from indexer.registry import Registry


@dataclass(frozen=True)
class Target:
    contract: str  # "" = native coin
    decimals: int | None
    error: str = ""  # set: the row is not read; this is its error row's reason


def read_target(reg: Registry, coin_key: str, asset: str, network: str, contract: str | None = None, decimals: int | None = None) -> Target:
    """The target of a row of ``coin_key``/``asset`` on ``network`` with its stored ``contract``/``decimals``.

    ``reg`` is the coin registry of the snapshot's exchange (its coin keys as that exchange writes them).
    A pure function of its arguments: the plan caches it per distinct row facts.
    """
    coin = reg.coin(coin_key)
    if coin is not None and coin.form not in ("", "native") and not contract and not coin.contract:
        # a wrapped/bridged/staked/lent holding (stETH, WBTC) is a token: never read as the native coin
        return Target("", None, f"registry has no confirmed contract for {coin_key} ({coin.form} {coin.asset}) on {network}")
    if decimals is None or coin is None or coin.network != network:
        return _today(reg, coin_key, asset, network)
    if contract:
        return Target(contract, decimals)
    if reg.networks[network].is_native((coin.asset or asset).upper()):
        return Target("", decimals)
    today = _today(reg, coin_key, asset, network)
    if today.error or today.decimals == decimals:
        return today
    return Target("", None, f"{coin_key} was ingested with {decimals} decimals and no contract; today's registry says {today.decimals}: re-ingest the file")


def _today(reg: Registry, coin_key: str, asset: str, network: str) -> Target:
    """A row without stored facts, by today's registry: the key's own contract, the native coin, or the one token
    of the asset on the network. Two different contracts for one pair (X Layer's bridged USDT and USD₮0) leave the
    row unresolved: a guessed contract would be a wrong reserve."""
    net = reg.networks[network]
    coin = reg.coin(coin_key)
    same_net = coin is not None and coin.network == network
    if coin is not None and same_net and coin.contract:
        return Target(coin.contract, coin.decimals)
    wanted = ((coin.asset if coin is not None and coin.asset else "") or asset).upper()
    if net.is_native(wanted):
        return Target("", coin.decimals if coin is not None and same_net and coin.decimals is not None else net.native_decimals)
    found = reg.tokens(wanted, network)
    if len(found) == 1:
        return Target(found[0].contract, found[0].decimals)
    if found:
        keys = ", ".join(sorted(c.key for c in found))
        return Target("", None, f"{coin_key} on {network} is ambiguous: the registry has {len(found)} {wanted} tokens there ({keys}) and the row does not say which")
    return Target("", None, f"registry has no confirmed contract for {coin_key} on {network}")

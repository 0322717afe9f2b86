"""The user's node configuration (``por.toml``): which endpoints serve which network.

Why a file of its own: endpoints carry credentials (API keys in URL paths,
headers, basic auth). They enter only through ``${VAR}`` substitution from the
environment, are remembered as *secrets* on the settings object, and every
text that may reach a log, an error message or the ``balances.source`` column
goes through :meth:`NetworkSettings.redact` first. The dataclasses' ``repr``
is redacted too, so an accidental ``print(settings)`` leaks nothing.

Minimal file::

    [networks.ETH]
    rpc = "http://127.0.0.1:8545"

Full form::

    [networks.ETH]
    rpc = ["https://eth-mainnet.example/v2/${ALCHEMY_KEY}", "http://10.0.0.5:8545"]  # tried in order
    rps = 20            # HTTP requests per second per endpoint (a JSON-RPC batch is one request)
    concurrency = 8     # requests in flight per network
    batch_size = 500    # items per JSON-RPC batch / per multi-read eth_call
    timeout = 30        # seconds per HTTP request
    retries = 5         # retries after the first attempt, with exponential backoff + jitter
    rate_limit_retries = 30  # answers of 429 a request may get (apart from retries): the endpoint slows down instead
    backoff = 0.5       # first backoff in seconds (doubles, randomised, capped at backoff_max)
    headers = { Authorization = "Bearer ${TOKEN}" }
    auth = { user = "rpcuser", password = "${RPC_PASSWORD}" }

    [networks.ETH.options]   # adapter-specific knobs, passed through untouched to the adapter

    [proof]
    verifier = "/opt/okx/zk-por-cli"   # OKX's zk proof verifier (default: zk-por-cli on PATH)

Only the adapter reads ``options`` (the UTXO adapter's ``rewind`` and ``utxo_dump``, the EVM
adapter's ``method`` and ``chunk_size``, ...): the core knows how to reach a node, not how a
chain's adapter works.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from indexer.errors import PorError

DEFAULT_CONFIG = "por.toml"

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_KNOWN_KEYS = {
    "rpc",
    "rps",
    "concurrency",
    "batch_size",
    "timeout",
    "retries",
    "rate_limit_retries",
    "backoff",
    "backoff_max",
    "headers",
    "auth",
    "options",
}


class ConfigError(PorError):
    """The configuration cannot be used; the message is one sentence for the user (never a secret)."""


@dataclass(frozen=True)
class Auth:
    user: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"Auth(user={self.user!r}, password='***')"


@dataclass
class NetworkSettings:
    """How to reach one network. ``rpc`` keeps the real URLs: pass it to HTTP only, print ``redact(...)``."""

    name: str
    rpc: list[str] = field(default_factory=list)
    rps: float | None = None
    concurrency: int = 8
    batch_size: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    auth: Auth | None = None
    timeout: float = 30.0
    retries: int = 5
    rate_limit_retries: int = 30
    backoff: float = 0.5
    backoff_max: float = 10.0
    options: dict[str, Any] = field(default_factory=dict)
    secrets: tuple[str, ...] = field(default=(), repr=False)  # substituted env values, scrubbed from any text

    def redact(self, text: str) -> str:
        """``text`` with every secret value, URL credential and URL query removed."""
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret:
                text = text.replace(secret, "***")
        if self.auth and self.auth.password:
            text = text.replace(self.auth.password, "***")
        return _URL.sub(lambda m: redact_url(m.group(0)), text)

    def endpoint_label(self, index: int) -> str:
        """The name recorded in ``balances.source`` for endpoint ``index``: host[:port], else ``NAME#n``.

        The host is used only when it holds no substituted secret (some providers
        put the key in a sub-domain); the path and query are never used (keys live there).
        """
        fallback = f"{self.name}#{index + 1}"
        try:
            parts = urlsplit(self.rpc[index])
            host = parts.hostname or ""
            port = parts.port
        except (IndexError, ValueError):
            return fallback
        if not host or any(s and s in host for s in self.secrets):
            return fallback
        return f"{host}:{port}" if port else host

    def redacted_rpc(self) -> list[str]:
        return [self.redact(u) for u in self.rpc]

    def __repr__(self) -> str:
        return (
            f"NetworkSettings(name={self.name!r}, rpc={self.redacted_rpc()!r}, rps={self.rps!r}, "
            f"concurrency={self.concurrency!r}, batch_size={self.batch_size!r}, "
            f"headers={redact_headers(self.headers)!r}, auth={self.auth!r}, options={sorted(self.options)!r})"
        )


@dataclass
class PorConfig:
    networks: dict[str, NetworkSettings] = field(default_factory=dict)
    path: Path | None = None  # the file it came from (None: no file, nothing configured)
    proof_verifier: str | None = None  # [proof] verifier: OKX's zk-por-cli, when not on PATH
    prices: dict[str, Any] = field(default_factory=dict)  # raw [prices] table, parsed by indexer.prices

    def settings(self, network: str) -> NetworkSettings | None:
        return self.networks.get(network)


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """A URL safe to show: user info replaced, query dropped, long path segments (API keys) masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    segments = [("***" if len(seg) >= 16 or re.search(r"\d", seg) and len(seg) >= 8 else seg) for seg in parts.path.split("/")]
    out = f"{parts.scheme}://{netloc}{'/'.join(segments)}"
    if parts.query:
        out += "?***"
    return out


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """Header names only; every value is masked (any header may carry a token)."""
    return {k: "***" for k in headers}


def config_path(path: str | os.PathLike[str] | None) -> tuple[Path, bool]:
    """The file to read and whether the user asked for it explicitly (flag or ``POR_CONFIG``)."""
    if path:
        return Path(path), True
    env = os.environ.get("POR_CONFIG")
    if env:
        return Path(env), True
    return Path(DEFAULT_CONFIG), False


def load_config(path: str | os.PathLike[str] | None = None, *, env: dict[str, str] | None = None) -> PorConfig:
    """Read ``por.toml``. A missing default file is an empty configuration; a missing named file is an error."""
    file, explicit = config_path(path)
    if not file.exists():
        if explicit:
            raise ConfigError(f"config file {file} does not exist")
        return PorConfig()
    try:
        data = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    cfg = parse_config(data, env=os.environ if env is None else env, where=str(file))
    cfg.path = file
    return cfg


def parse_config(data: dict[str, Any], *, env: dict[str, str] | os._Environ[str], where: str = "config") -> PorConfig:
    from indexer.registry import registry

    reg = registry()
    unknown_top = set(data) - {"networks", "proof", "prices"}
    if unknown_top:
        raise ConfigError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown_top))}; expected [networks.<NAME>], [proof] or [prices]")
    if not isinstance(data.get("prices", {}), dict):
        raise ConfigError(f"{where}: prices must be a table")
    networks: dict[str, NetworkSettings] = {}
    for raw_name, table in (data.get("networks") or {}).items():
        net = reg.network(raw_name)
        if net is None:
            choices = sorted(set(reg.networks) | set(reg.network_aliases))
            close = difflib.get_close_matches(raw_name.upper(), choices, n=4, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else "; `por networks` lists them"
            raise ConfigError(f"{where}: [networks.{raw_name}] is not a network the registry knows{hint}")
        if net.name in networks:
            raise ConfigError(f"{where}: network {net.name} is configured twice ([networks.{raw_name}] is an alias)")
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: networks.{raw_name} must be a table")
        networks[net.name] = _parse_network(net.name, table, env, where)
    return PorConfig(networks=networks, proof_verifier=_parse_proof(data.get("proof", {}), where), prices=dict(data.get("prices") or {}))


def _parse_proof(table: Any, where: str) -> str | None:
    """``[proof] verifier = "/path/to/zk-por-cli"``: the one key of the table."""
    if not isinstance(table, dict) or set(table) - {"verifier"}:
        raise ConfigError(f"{where}: [proof] takes only verifier = \"/path/to/zk-por-cli\"")
    verifier = table.get("verifier")
    if verifier is not None and (not isinstance(verifier, str) or not verifier.strip()):
        raise ConfigError(f"{where}: [proof] verifier must be the path of the zk-por-cli executable")
    return verifier


def _parse_network(name: str, table: dict[str, Any], env: Any, where: str) -> NetworkSettings:
    at = f"{where}: [networks.{name}]"
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise ConfigError(
            f"{at} has unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_KNOWN_KEYS))}"
            f" (adapter settings go under [networks.{name}.options])"
        )
    secrets: list[str] = []

    def sub(value: Any, key: str) -> str:
        if not isinstance(value, str):
            raise ConfigError(f"{at} {key} must be a string")

        def one(m: re.Match[str]) -> str:
            var = m.group(1)
            if var not in env:
                raise ConfigError(f"{at} {key} needs environment variable {var}, which is not set")
            secrets.append(env[var])
            return env[var]

        return _VAR.sub(one, value)

    rpc_raw = table.get("rpc", [])
    rpc_list = [rpc_raw] if isinstance(rpc_raw, str) else rpc_raw
    if not isinstance(rpc_list, list):
        raise ConfigError(f"{at} rpc must be a URL or a list of URLs")
    rpc = [sub(u, "rpc") for u in rpc_list]
    for u in rpc:
        parts = urlsplit(u)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{at} rpc entry {redact_url(u)!r} is not an http(s) URL")
    headers_raw = table.get("headers", {})
    if not isinstance(headers_raw, dict):
        raise ConfigError(f"{at} headers must be a table")
    headers = {str(k): sub(v, f"headers.{k}") for k, v in headers_raw.items()}
    auth = None
    if "auth" in table:
        a = table["auth"]
        if not isinstance(a, dict) or "user" not in a:
            raise ConfigError(f"{at} auth must be a table with user and password")
        auth = Auth(user=sub(a["user"], "auth.user"), password=sub(a.get("password", ""), "auth.password"))
        if auth.password:
            secrets.append(auth.password)

    def num(key: str, kind: type, default: Any, minimum: float) -> Any:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
            raise ConfigError(f"{at} {key} must be a{'n integer' if kind is int else ' number'}")
        if value < minimum:
            raise ConfigError(f"{at} {key} must be at least {minimum}")
        return kind(value)

    options = table.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{at} options must be a table")
    return NetworkSettings(
        name=name,
        rpc=rpc,
        rps=num("rps", float, None, 0.001),
        concurrency=num("concurrency", int, 8, 1),
        batch_size=num("batch_size", int, None, 1),
        headers=headers,
        auth=auth,
        timeout=num("timeout", float, 30.0, 0.001),
        retries=num("retries", int, 5, 0),
        rate_limit_retries=num("rate_limit_retries", int, 30, 0),
        backoff=num("backoff", float, 0.5, 0.0),
        backoff_max=num("backoff_max", float, 10.0, 0.0),
        options=dict(options),
        secrets=tuple(s for s in secrets if s),
    )

"""por.toml parsing: endpoints, env-var credentials that never leak, and helpful errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.config import ConfigError, load_config, parse_config, redact_url


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "por.toml"
    p.write_text(text)
    return p


def test_minimal_config(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, '[networks.ETH]\nrpc = "http://127.0.0.1:8545"\n'))
    eth = cfg.networks["ETH"]
    assert eth.rpc == ["http://127.0.0.1:8545"]
    assert eth.rps is None and eth.concurrency == 8 and eth.batch_size is None
    assert eth.options == {}
    assert eth.endpoint_label(0) == "127.0.0.1:8545"


def test_full_config_with_secrets_from_env(tmp_path: Path) -> None:
    text = """
[networks.ethereum]   # an alias resolves to the registry's name
rpc = ["https://eth.example.com/v2/${KEY}?x=${KEY}", "http://10.0.0.5:8545"]
rps = 12.5
concurrency = 3
batch_size = 250
headers = { Authorization = "Bearer ${TOKEN}" }
auth = { user = "u", password = "${PW}" }
[networks.ethereum.options]
foo = 1
[networks.LTC]
rpc = "http://127.0.0.1:9332"
[networks.LTC.options]  # adapter settings reach the adapter untouched; the core does not read them
rewind = true
utxo_dump = "/tmp/utxo.dat"
"""
    env = {"KEY": "k3yk3yk3yk3ySECRET", "TOKEN": "tok-SECRET-9", "PW": "pw-SECRET"}
    import tomllib

    cfg = parse_config(tomllib.loads(text), env=env)
    eth = cfg.networks["ETH"]
    assert eth.rpc[0] == "https://eth.example.com/v2/k3yk3yk3yk3ySECRET?x=k3yk3yk3yk3ySECRET"
    assert eth.rps == 12.5 and eth.concurrency == 3 and eth.batch_size == 250
    assert eth.headers == {"Authorization": "Bearer tok-SECRET-9"}
    assert eth.auth is not None and eth.auth.password == "pw-SECRET"
    assert eth.options == {"foo": 1}
    ltc = cfg.networks["LTC"]
    assert ltc.options == {"rewind": True, "utxo_dump": "/tmp/utxo.dat"}
    # nothing secret in anything printable
    for text in (repr(eth), repr(cfg), eth.redact(f"failed calling {eth.rpc[0]} with {eth.headers}"), eth.endpoint_label(0)):
        for secret in env.values():
            assert secret not in text, text
    assert eth.endpoint_label(0) == "eth.example.com"
    assert eth.endpoint_label(1) == "10.0.0.5:8545"


def test_secret_in_host_falls_back_to_endpoint_name() -> None:
    cfg = parse_config({"networks": {"ETH": {"rpc": "https://${SUB}.quiknode.pro/"}}}, env={"SUB": "abcdef-secret"})
    assert cfg.networks["ETH"].endpoint_label(0) == "ETH#1"


def test_redact_url() -> None:
    assert redact_url("https://user:pw@host.io:8545/v3/0123456789abcdef0123?apikey=zz") == "https://***@host.io:8545/v3/***?***"
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


def test_unknown_network_lists_close_matches(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ETHW|ETH") as err:
        load_config(write(tmp_path, '[networks.ETHH]\nrpc = "http://x:1"\n'))
    assert "did you mean" in str(err.value)


def test_missing_env_var_names_the_variable_not_a_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NOPE_NOT_SET"):
        parse_config({"networks": {"ETH": {"rpc": "http://h/${NOPE_NOT_SET}"}}}, env={})


@pytest.mark.parametrize(
    "table, message",
    [
        ({"rpc": "ftp://x"}, "not an http"),
        ({"rpc": "http://x", "rsp": 3}, "unknown key"),
        ({"rpc": "http://x", "rewind": True}, r"options\]"),  # adapter settings live under [networks.X.options]
        ({"rpc": "http://x", "concurrency": 0}, "at least"),
        ({"rpc": "http://x", "batch_size": 1.5}, "integer"),
        ({"rpc": "http://x", "auth": "u:p"}, "auth"),
    ],
)
def test_bad_values_are_rejected(table: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config({"networks": {"ETH": table}}, env={})


def test_alias_and_name_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match="twice"):
        parse_config({"networks": {"ETH": {"rpc": "http://a"}, "ETHEREUM": {"rpc": "http://b"}}}, env={})


def test_missing_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POR_CONFIG", raising=False)
    assert load_config(None).networks == {}  # no por.toml here: nothing configured
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    monkeypatch.setenv("POR_CONFIG", str(write(tmp_path, '[networks.BSC]\nrpc = "http://127.0.0.1:1"\n')))
    assert list(load_config(None).networks) == ["BSC"]

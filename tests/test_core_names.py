"""The core names no exchange and no chain: ``indexer/`` is scanned for their names outside comments and docstrings.

Why: issue 17 put every exchange in ``exchanges/`` and every chain in ``chains/<chain>/``; the core reaches them only
through the plugin registries (``por.exchanges``, ``por.chains``). A name in the core's code or strings (a default
``"okx"``, a help text listing exchanges, a chain's rule) is knowledge that belongs in a plugin, so it fails here.
The names are read from the tree (every package under ``exchanges/`` and ``chains/``), so a new plugin is covered
without an edit. Comments and docstrings may name them (they explain where a rule came from).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "indexer"

# Names that contain an exchange's name but are the core's own public interface, kept on purpose (renaming them
# changes stored databases or users' scripts): the ``por verify --okx-compat`` option and its ``api.verify`` /
# ``verify_snapshot`` keyword, the signatures table's ``okx_status``/``okx_reason`` columns that hold the exchange
# tool's verdicts, and ``VerifySummary.okx_by_status`` that counts them.
PUBLIC_NAMES = ("okx_compat", "okx-compat", "okx_status", "okx_reason", "okx_by_status")
# (file, name) -> why the name may stand there.
ALLOWED = {
    ("store.py", "utxo"): "migrations 002 and 005 re-judge rows the utxo/evm adapters and the UTXO scheme stored before (history)",
    ("store.py", "evm"): "migration 002 (history)",
    ("plugins.py", "beacon"): "BlockReference's label: the beacon slot is Ethereum's consensus-layer block number, a kind of height",
    ("cli.py", "utxo"): "por fetch's --rewind/--utxo-dump shortcuts set a UTXO adapter's options (the CLI's, to become generic options)",
}


def plugin_names() -> set[str]:
    names = {"huobi"}  # HTX's former name, which its files still carry
    for folder in ("exchanges", "chains"):
        names |= {p.name for p in (ROOT / folder).iterdir() if (p / "__init__.py").exists() and p.name != "common"}
    return names


def _docstring_lines(tree: ast.AST) -> set[int]:
    """First lines of every docstring and bare string statement (what explains, not what runs)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            lines.add(node.lineno)
    return lines


def mentions(path: Path, names: set[str]) -> list[tuple[int, str, str]]:
    """(line, name, token) for every name in the file's identifiers and strings, outside comments and docstrings."""
    source = path.read_text(encoding="utf-8")
    docs = _docstring_lines(ast.parse(source))
    word = re.compile(r"(?<![a-z0-9])(" + "|".join(sorted(names)) + r")(?![a-z0-9])", re.IGNORECASE)
    public = re.compile(r"(?<![a-z0-9_])(" + "|".join(re.escape(n) for n in PUBLIC_NAMES) + r")(?![a-z0-9_])")
    text_tokens = {tokenize.NAME, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in text_tokens or (tok.type == tokenize.STRING and tok.start[0] in docs):
            continue
        text = public.sub(" ", tok.string)
        for m in word.finditer(text.replace("_", " ")):
            found.append((tok.start[0], m.group(1).lower(), tok.string[:80]))
    return found


def test_the_core_names_no_exchange_and_no_chain() -> None:
    names = plugin_names()
    assert {"okx", "htx", "binance", "evm", "solana", "cosmos", "hedera"} <= names
    bad = []
    for path in sorted(CORE.rglob("*.py")):
        for line, name, token in mentions(path, names):
            if (path.name, name) not in ALLOWED:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {name} in {token!r}")
    assert not bad, "the core names plugins (move the knowledge into the plugin, or ask the registry):\n" + "\n".join(bad)


def test_the_scan_finds_a_name_in_code_and_strings_but_not_in_comments_or_docstrings(tmp_path: Path) -> None:
    """The check can fail: each kind of mention is found, and what only explains is not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""OKX and solana may be named in a docstring."""\n'
        "# and in a comment: htx\n"
        'DEFAULT = "okx"  # a default naming an exchange\n'
        "def f(exchange_kind=None):\n"
        '    """binance here is fine."""\n'
        "    solana_rows = 1\n"
        '    return f"{DEFAULT} via HTX", solana_rows, "okx_status", "--okx-compat"\n'
    )
    found = [(line, name) for line, name, _ in mentions(sample, plugin_names())]
    assert found == [(3, "okx"), (6, "solana"), (7, "htx"), (7, "solana")]

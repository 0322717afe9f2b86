"""The CLI reference (``docs/cli.md``), generated from the typer app itself.

Why generated: a hand-kept reference drifts from ``por --help`` the first time an option is added. This walks
the same command tree ``por`` runs (``typer.main.get_command``: every command and sub-app, in the order they
were registered) and writes, per command, its usage, its arguments and options with their types as words
(``FILE...``, ``INTEGER``, ``table|json|csv``; never typer's ``<list[Path]>``), defaults, help and examples.
``tests/test_cli_reference.py`` fails when the committed file differs from what this writes.

    python -m indexer.cli_reference docs/cli.md      # write it
    python -m indexer.cli_reference --check docs/cli.md   # exit 1 when it differs
"""

from __future__ import annotations

import inspect
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from indexer.cli_words import argument_word, hints_of, type_word, usage_words

EXAMPLE = "Example:"
HEADER = """# The `por` command

<!-- Generated from the typer app by `python -m indexer.cli_reference docs/cli.md`: do not edit by hand.
     tests/test_cli_reference.py fails when this file differs from what the generator writes. -->

Every command also takes `--help`, which prints the same text. Exit codes: `0` ok, `1` a check you asked for
found a problem, `2` bad usage, bad input or any other error, `3` the database stayed locked, `130` interrupted.
"""


def command_tree(app: Any = None) -> list[tuple[list[str], Any]]:
    """Every command of ``app`` (default: ``indexer.cli.app``) with its words after ``por``, the root first, each
    group before its commands, in registration order."""
    import typer.main

    if app is None:
        from indexer.cli import app
    found: list[tuple[list[str], Any]] = []

    def walk(words: list[str], cmd: Any) -> None:
        found.append((words, cmd))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk([*words, name], sub)

    walk([], typer.main.get_command(app))
    return found


def split_help(text: str | None) -> tuple[list[str], list[str]]:
    """A command's help as (prose paragraphs, each joined into one line; its ``Example:`` lines, without the word).
    Click's no-rewrap marker (a line holding only ``\\b``) is dropped: it is for the terminal, not for the page."""
    paragraphs: list[str] = []
    examples: list[str] = []
    for block in inspect.cleandoc(text or "").split("\n\n"):
        prose = []
        for line in block.splitlines():
            line = line.strip()
            if line == "\b":
                continue
            if line.startswith(EXAMPLE):
                examples.append(line[len(EXAMPLE) :].strip())
            elif line:
                prose.append(line)
        if prose:
            paragraphs.append(" ".join(prose))
    return paragraphs, examples


def _default(param: Any) -> str:
    if param.required:
        return "required"
    if param.show_default is False or param.default in (None, False, (), []):
        return ""
    value = param.default
    return str(value.value if isinstance(value, Enum) else value)


def _prose(text: str) -> str:
    """Help text as markdown text: ``<snapshot>`` must not become an HTML tag."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_cell(text: str) -> str:
    """Text for a markdown table cell: escaped as prose, and ``|`` does not end the cell."""
    return _prose(text).replace("|", "\\|")


def render_command(words: list[str], cmd: Any) -> str:
    """One command's section: heading, help, usage, a table of its arguments and options, examples."""
    hints = hints_of(cmd)
    paragraphs, examples = split_help(cmd.help)
    usage = ["por", *words, *(w if w != "COMMAND [ARGS]..." else "COMMAND" for w in usage_words(cmd))]
    out = [f"## `{' '.join(['por', *words])}`", ""]
    for text in paragraphs:
        out += [_prose(text), ""]
    out += ["```text", " ".join(usage), "```", ""]
    if cmd.params:
        out += ["| argument or option | type | default | what it does |", "|---|---|---|---|"]
        for p in cmd.params:
            name = argument_word(p, hints.get(p.name)) if p.param_type_name == "argument" else ", ".join(p.opts)
            out.append(f"| `{name}` | {markdown_cell(type_word(p, hints.get(p.name)))} | {markdown_cell(_default(p))} | {markdown_cell(' '.join((p.help or '').split()))} |")
        out.append("")
    subs = getattr(cmd, "commands", {})
    if subs:
        out += ["| command | what it does |", "|---|---|"]
        out += [f"| [`{' '.join(['por', *words, name])}`](#{'-'.join(['por', *words, name])}) | {markdown_cell(sub.get_short_help_str(limit=300))} |" for name, sub in subs.items()]
        out.append("")
    if examples:
        out += ["Examples:" if len(examples) > 1 else "Example:", "", "```text", *examples, "```", ""]
    return "\n".join(out)


def render(app: Any = None) -> str:
    """The whole reference: every command of the tree, the root first."""
    return HEADER + "\n" + "\n".join(render_command(words, cmd) for words, cmd in command_tree(app))


def write_or_check(args: list[str], render: Any, module: str, source: str) -> int:
    """The command line of a generated page: ``[--check] PATH`` writes ``render()`` to PATH, or with ``--check``
    exits 1 when PATH differs from it. Shared by every generated reference (``indexer.networks_reference`` too)."""
    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    if len(paths) != 1:
        print(f"usage: python -m {module} [--check] PATH", file=sys.stderr)
        return 2
    target, text = Path(paths[0]), render()
    if check:
        same = target.is_file() and target.read_text(encoding="utf-8") == text
        if not same:
            print(f"{target} differs from {source}: run python -m {module} {target}", file=sys.stderr)
        return 0 if same else 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    return write_or_check(sys.argv[1:] if argv is None else argv, render, "indexer.cli_reference", "the CLI")


if __name__ == "__main__":
    sys.exit(main())

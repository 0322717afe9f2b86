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
import typing
from enum import Enum
from pathlib import Path
from typing import Any

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


def _hints(cmd: Any) -> dict[str, Any]:
    """The Python annotations of the function behind ``cmd`` (typer keeps it as ``__wrapped__``)."""
    if cmd.callback is None:
        return {}
    return typing.get_type_hints(inspect.unwrap(cmd.callback), include_extras=True)


def type_word(param: Any, annotation: Any) -> str:
    """``param``'s type as a word a reader knows: its metavar when it declares one, else FILE, DIR (a path named
    ``*_dir``), INTEGER, NUMBER, TEXT, the choices joined by ``|``, or ``flag``; ``...`` after an argument that
    takes several. A type with no word here is an error, so a new one cannot slip in as ``<SomeClass>``."""
    base, info = annotation, None
    if typing.get_origin(base) is typing.Annotated:
        base, *meta = typing.get_args(base)
        info = next((m for m in meta if hasattr(m, "min")), None)
    many = False
    while True:
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if typing.get_origin(base) in (typing.Union, getattr(__import__("types"), "UnionType", None)) and len(args) == 1:
            base = args[0]
        elif typing.get_origin(base) is list and len(args) == 1:
            base, many = args[0], True
        else:
            break
    if param.metavar:
        word = param.metavar
    elif base is bool:
        return "flag"
    elif isinstance(base, type) and issubclass(base, Enum):
        word = "|".join(str(m.value) for m in base)
    elif isinstance(base, type) and issubclass(base, Path):
        word = "DIR" if param.name.endswith("_dir") else "FILE"
    elif base is int:
        word = "INTEGER"
    elif base is float:
        word = "NUMBER"
    elif base is str:
        word = "TEXT"
    else:
        raise TypeError(f"--{param.name}: no word for the type {base!r}; add one to indexer/cli_reference.py")
    bounds = [f"at least {info.min}" if getattr(info, "min", None) is not None else "", f"at most {info.max}" if getattr(info, "max", None) is not None else ""]
    word += f" ({', '.join(b for b in bounds if b)})" if any(bounds) else ""
    if many:
        word += "..." if param.param_type_name == "argument" else ", repeatable"
    return word


def _argument_word(param: Any, annotation: Any) -> str:
    """An argument as it stands in a usage line: FILE... for paths, else its name (QUERY, A, B)."""
    word = type_word(param, annotation)
    if word.startswith(("FILE", "DIR")):
        return word
    return param.name.upper() + ("..." if word.endswith("...") else "")


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
    hints = _hints(cmd)
    paragraphs, examples = split_help(cmd.help)
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    usage = ["por", *words]
    if any(p.param_type_name == "option" for p in cmd.params):
        usage.append("[OPTIONS]")
    for p in arguments:
        word = _argument_word(p, hints.get(p.name))
        usage.append(word if p.required else f"[{word}]")
    if getattr(cmd, "commands", None):
        usage.append("COMMAND")
    out = [f"## `{' '.join(['por', *words])}`", ""]
    for text in paragraphs:
        out += [_prose(text), ""]
    out += ["```text", " ".join(usage), "```", ""]
    if cmd.params:
        out += ["| argument or option | type | default | what it does |", "|---|---|---|---|"]
        for p in cmd.params:
            name = _argument_word(p, hints.get(p.name)) if p.param_type_name == "argument" else ", ".join(p.opts)
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

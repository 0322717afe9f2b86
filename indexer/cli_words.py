"""Arguments and options as words a reader knows (``FILE...``, ``INTEGER``, ``table|json|csv``), for ``--help``
and ``docs/cli.md`` alike.

Why a module of its own: typer prints types as ``<list[Path]>`` and ``<int>``; both the real ``--help``
(``indexer.cli``) and the generated reference (``indexer.cli_reference``) must say the same words, chosen here once.
"""

from __future__ import annotations

import inspect
import typing
from enum import Enum
from pathlib import Path
from typing import Any


def hints_of(cmd: Any) -> dict[str, Any]:
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


def argument_word(param: Any, annotation: Any) -> str:
    """An argument as it stands in a usage line: FILE... for paths, else its name (QUERY, A, B)."""
    word = type_word(param, annotation)
    if word.startswith(("FILE", "DIR")):
        return word
    return param.name.upper() + ("..." if word.endswith("...") else "")


def usage_words(cmd: Any) -> list[str]:
    """The usage line after ``por <command>``: ``[OPTIONS]``, each argument as a word (``FILE...``, ``[FILE]...``,
    ``QUERY``), ``COMMAND`` for a group; what ``--help`` and this reference both print."""
    hints = hints_of(cmd)
    usage = ["[OPTIONS]"]  # --help at least
    for p in cmd.params:
        if p.param_type_name == "argument":
            word = argument_word(p, hints.get(p.name))
            usage.append(word if p.required else f"[{word}]")
    if getattr(cmd, "commands", None):
        usage.append("COMMAND [ARGS]...")
    return usage


def help_records(cmd: Any, ctx: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``--help``'s two lists, (name, help) for arguments and for options, with the type as a word; the help text
    (with its default, required, range) is click's own."""
    hints = hints_of(cmd)
    arguments: list[tuple[str, str]] = []
    options: list[tuple[str, str]] = []
    for p in cmd.get_params(ctx):
        record = p.get_help_record(ctx)
        if record is None:
            continue
        if p.param_type_name == "argument":
            arguments.append((argument_word(p, hints.get(p.name)), record[1]))
            continue
        word = "flag" if p.is_flag or p.name == "help" else type_word(p, hints.get(p.name))
        names = ", ".join([*p.opts, *p.secondary_opts])
        options.append((names if word == "flag" else f"{names} {word.split(' (')[0]}", record[1]))
    return arguments, options

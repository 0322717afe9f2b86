"""Every ``por`` command has help with an example, found by walking the typer app itself (no hand-kept list).

A command added tomorrow is checked without anyone remembering to list it: the tree is the one ``por`` runs
(``typer.main.get_command``), its groups (``por``, ``por prices``) and their commands. Each ``Example:`` of a
command's help must stand on its own line of the rendered ``--help``, whole, so it can be copied: click rewraps a
paragraph into running text unless the paragraph starts with its no-rewrap marker (a line holding ``\\b``).
"""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from indexer.cli import app

NARROW = 60  # columns: a paragraph click rewraps at this width cannot keep any example whole on its line


def _walk(words: list[str], cmd) -> list[tuple[list[str], object]]:
    return [(words, cmd)] + [found for name, sub in getattr(cmd, "commands", {}).items() for found in _walk([*words, name], sub)]


TREE = _walk([], typer.main.get_command(app))


def test_the_walk_reaches_every_command_and_sub_app():
    names = [" ".join(words) for words, _ in TREE]
    registered = [c.name or c.callback.__name__ for c in app.registered_commands] + [g.name for g in app.registered_groups]
    assert set(registered) <= set(names) and {"prices import", "prices fetch"} <= set(names), names
    from indexer.cli_reference import command_tree

    assert [words for words, _ in command_tree()] == [words for words, _ in TREE]  # the reference documents the same tree


@pytest.mark.parametrize("words,cmd", TREE, ids=[" ".join(["por", *w]) for w, _ in TREE])
def test_every_command_has_help_with_examples_each_on_its_own_line(words, cmd):
    where = " ".join(["por", *words])
    assert (cmd.help or "").strip(), f"{where} has no help text"
    examples = [line.strip() for line in cmd.help.splitlines() if line.strip().startswith("Example:")]
    assert examples, f"{where}: its help has no line starting with 'Example:'"
    shown = CliRunner().invoke(app, [*words, "--help"], prog_name="por", terminal_width=NARROW)
    assert shown.exit_code == 0, shown.output
    lines = [line.strip() for line in shown.output.splitlines()]
    for example in examples:
        assert example in lines, f"{where} --help does not show {example!r} whole on its own line:\n{shown.output}"
    for line in lines:
        if "Example:" in line:
            assert line in examples, f"{where} --help runs an example into other text: {line!r}"

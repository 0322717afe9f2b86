"""docs/cli.md is what ``indexer.cli_reference`` writes from the typer app: the reference cannot drift from ``por``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Optional

import pytest
import typer

from indexer import cli_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def test_the_committed_reference_is_what_the_generator_writes():
    assert DOC.read_text(encoding="utf-8") == cli_reference.render(), (
        "docs/cli.md differs from the CLI: run `python -m indexer.cli_reference docs/cli.md` and commit it"
    )


def test_every_command_and_option_is_documented_with_its_type_as_a_word():
    text = cli_reference.render()
    for words, cmd in cli_reference.command_tree():
        heading = f"## `{' '.join(['por', *words])}`"
        assert heading in text, heading
        section = text.split(heading, 1)[1].split("\n## ", 1)[0]
        for p in cmd.params:
            if p.param_type_name == "option":
                assert f"| `{', '.join(p.opts)}` |" in section, (heading, p.opts)
    assert "| `FILE...` | FILE... | required | PoR files: CSV, .gz or .zip. |" in text  # por ingest FILE...
    assert "| `--rows` | INTEGER (at least 1) |  | Detail rows to write, per month with --months (default: 2,000). |" in text
    assert "| `--out` | FILE | required | Where to write the PoR CSV. |" in text
    assert "| `--format` | table\\|json\\|csv\\|html | table |" in text  # a choice: its values, its default
    assert "| `--network` | TEXT, repeatable |" in text and "| `--max-rejected` | N\\|P% |" in text
    assert "```text\npor ingest [OPTIONS] FILE...\n```" in text and "```text\npor run [OPTIONS] [FILE...]\n```" in text
    assert "<list[" not in text and "<path>" not in text and "<int>" not in text and "\b" not in text
    assert "por-report-&lt;snapshot&gt;.html" in text  # help text is escaped, not read as an HTML tag


def test_a_type_without_a_word_is_refused_rather_than_shown_as_a_class():
    odd = typer.Typer()

    @odd.command()
    def cmd(amount: Annotated[Optional[Decimal], typer.Option(parser=Decimal, help="An amount.")] = None) -> None:
        """Help.

        Example: odd --amount 1
        """

    with pytest.raises(TypeError, match="no word for the type"):
        cli_reference.render(odd)


def test_check_mode_says_whether_the_file_is_current(tmp_path):
    target = tmp_path / "cli.md"
    assert cli_reference.main(["--check", str(target)]) == 1  # missing
    assert cli_reference.main([str(target)]) == 0 and target.read_text(encoding="utf-8") == cli_reference.render()
    assert cli_reference.main(["--check", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("Detail rows to write,", "Rows,"), encoding="utf-8")
    assert cli_reference.main(["--check", str(target)]) == 1

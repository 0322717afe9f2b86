"""docs/networks.md and the README's provider table are what ``indexer.networks_reference`` writes from the
registry and the adapter plugins' ``AdapterCapabilities``: they cannot drift from what the adapters declare."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import indexer.plugins
from indexer import networks_reference
from indexer.cli_reference import markdown_cell
from indexer.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "networks.md"
README = ROOT / "README.md"


def test_the_committed_page_is_what_the_generator_writes():
    assert DOC.read_text(encoding="utf-8") == networks_reference.render(), (
        "docs/networks.md differs from the adapters: run `python -m indexer.networks_reference docs/networks.md` and commit it"
    )


def test_the_readme_table_is_what_the_generator_writes():
    text = README.read_text(encoding="utf-8")
    assert networks_reference.splice_readme(text, networks_reference.render_readme_table()) == text, (
        "README.md's provider table differs: run `python -m indexer.networks_reference --readme README.md` and commit it"
    )


def _row(page: str, network: str) -> str:
    rows = [line for line in page.splitlines() if line.startswith(f"| `{network}`")]
    assert len(rows) == 1, network
    return rows[0]


def test_every_registry_network_has_a_row_with_what_its_adapter_declares():
    page = networks_reference.render()
    table = networks_reference.render_readme_table()
    for net in load_registry().networks.values():
        row = _row(page, net.name)
        caps = indexer.plugins.capabilities_for(net.adapter) if net.adapter else None
        if caps is None:
            assert "no balance adapter installed" in row or net.adapter == "", row
            continue
        assert markdown_cell(caps.needs) in row, net.name  # what a snapshot read needs, per network
        assert caps.block_reference.label in row
        for method in caps.native_methods + caps.token_methods:
            assert f"`{method}`" in row
        if not caps.token_methods:
            assert "| no tokens |" in row
        assert f"#adapter-{net.adapter})" in row and f"### Adapter `{net.adapter}`" in page
        assert f"{net.name}" in table and markdown_cell(caps.needs) in table
    assert "| Native ETH Staking | `ETH` | `BEACON` |" in page  # data/fetch_routes.csv


def _with_xrpl(monkeypatch: pytest.MonkeyPatch, capabilities) -> None:
    """The installed plugins, with the xrpl adapter declaring ``capabilities`` instead of its own."""
    installed = indexer.plugins.plugins()
    patched = tuple(dataclasses.replace(p, capabilities=capabilities) if p.adapter == "xrpl" else p for p in installed)
    monkeypatch.setattr(indexer.plugins, "plugins", lambda: patched)


def test_a_changed_declaration_changes_the_page_and_the_readme(monkeypatch):
    caps = indexer.plugins.capabilities_for("xrpl")
    _with_xrpl(monkeypatch, dataclasses.replace(caps, native_methods=("latest",), needs="a server that keeps <every> ledger"))
    row = _row(networks_reference.render(), "XRP")
    assert "| `latest` |" in row and "a server that keeps &lt;every&gt; ledger" in row
    assert "a server that keeps &lt;every&gt; ledger" in networks_reference.render_readme_table()
    assert networks_reference.render() != DOC.read_text(encoding="utf-8")


def test_an_adapter_without_capabilities_is_said_to_be_not_fetched(monkeypatch):
    _with_xrpl(monkeypatch, None)
    page = networks_reference.render()
    assert "- **Declares no capabilities**: its networks are not fetched" in page.split("### Adapter `xrpl`", 1)[1]
    assert "declares no capabilities: not fetched" in networks_reference.render_readme_table()


def test_the_readme_markers_are_required():
    start, end = networks_reference.README_START, networks_reference.README_END
    assert networks_reference.splice_readme(f"a\n{start}\nold\n{end}\nb", "new\n") == f"a\n{start}\nnew\n{end}\nb"
    for broken in ("no markers", f"{start}\n{start}\n{end}", f"{end}\n{start}"):
        with pytest.raises(ValueError, match="markers"):
            networks_reference.splice_readme(broken, "new\n")


def test_check_mode_says_whether_the_files_are_current(tmp_path):
    page = tmp_path / "networks.md"
    assert networks_reference.main(["--check", str(page)]) == 1  # missing
    assert networks_reference.main([str(page)]) == 0 and networks_reference.main(["--check", str(page)]) == 0
    page.write_text(page.read_text(encoding="utf-8").replace("archive", "any"), encoding="utf-8")
    assert networks_reference.main(["--check", str(page)]) == 1

    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{networks_reference.README_START}\n{networks_reference.README_END}\n", encoding="utf-8")
    assert networks_reference.main(["--check", "--readme", str(readme)]) == 1
    assert networks_reference.main(["--readme", str(readme)]) == 0
    assert networks_reference.main(["--check", "--readme", str(readme)]) == 0
    assert "| networks | adapter | a snapshot read needs |" in readme.read_text(encoding="utf-8")

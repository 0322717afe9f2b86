"""The networks reference (``docs/networks.md``), generated from the registry and the installed adapter plugins.

Why generated: which methods an adapter has, what its block numbers count and what a provider must offer for a
snapshot value are declared once, in each chain plugin's ``AdapterCapabilities``; a hand-kept table of them drifted
from the code the first time an adapter changed. This writes the same rows ``por networks`` shows (through
``indexer.fetch.status.network_status``, which reads the plugins through ``indexer.plugins``; the core imports no
chain), without a configuration, plus each adapter's own notes. ``tests/test_networks_reference.py`` fails when
the committed file differs from what this writes.

    python -m indexer.networks_reference docs/networks.md           # write it
    python -m indexer.networks_reference --check docs/networks.md   # exit 1 when it differs
    python -m indexer.networks_reference --readme README.md         # the README's short table, between its markers
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from indexer.cli_reference import markdown_cell, write_or_check
from indexer.config import PorConfig
from indexer.fetch.status import network_status
from indexer.plugins import capabilities_for
from indexer.registry import registry

HEADER = """# Networks and what a snapshot read needs

<!-- Generated from the registry and the adapter plugins by `python -m indexer.networks_reference docs/networks.md`:
     do not edit by hand. tests/test_networks_reference.py fails when this file differs from what it writes. -->

One row per network of the registry (`data/networks.csv`), with what its adapter plugin declares in its
`AdapterCapabilities` (`indexer/plugins.py`): how native-coin and token balances can be obtained, in order of
preference (the methods are explained in [Fetching balances](fetching.md#networks-and-methods)), what the block
numbers of its results count, and **what a provider must offer for a snapshot value** (archive state, a history
API and how far back it must reach, retention windows, versions). Without it an adapter that can fall back reads
only the current state (`latest`, never counted as the snapshot's value) or writes error rows; it never writes a
zero. `por networks --config por.toml` shows the same columns beside your configuration and your snapshot's rows.
How each adapter reads, and its options, in detail: [Adapters](adapters.md).
"""


def _words(text: str) -> str:
    """A declared list or sentence as a cell; ``-`` (nothing declared) as a dash."""
    return "—" if text in ("", "-") else markdown_cell(text)


def _methods(text: str) -> str:
    if text in ("", "-"):
        return "—"
    if text == "no tokens":
        return text
    return ", ".join(f"`{m.strip()}`" for m in text.split(","))


def network_rows() -> list[dict[str, Any]]:
    """``por networks``' rows with no configuration: what the registry and the installed plugins say."""
    return network_status(PorConfig())


def render_networks(rows: list[dict[str, Any]]) -> str:
    out = [
        "## By network",
        "",
        "| network | adapter | native coin | tokens | block reference | a snapshot read needs |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        name = f"`{row['network']}`" + (f"<br>{markdown_cell(row['description'])}" if row["description"] else "")
        if row["adapter"] == "-":
            adapter = "none"
        elif row["plugin"] == "installed":
            adapter = f"[`{row['adapter']}`](#adapter-{row['adapter']})"
        else:
            state = "no balance adapter installed: its rows are not fetched" if row["plugin"] == "not installed" else row["plugin"]
            adapter = f"`{row['adapter']}` ({markdown_cell(state)})"
        out.append(
            f"| {name} | {adapter} | {_methods(row['native_methods'])} | {_methods(row['token_methods'])} "
            f"| {_words(row['block_reference'])} | {_words(row['needs'])} |"
        )
    return "\n".join(out) + "\n"


def render_adapters(rows: list[dict[str, Any]]) -> str:
    """One section per installed adapter: its networks and the rest of what it declares."""
    networks: dict[str, list[str]] = {}
    for row in rows:
        if row["plugin"] == "installed":
            networks.setdefault(row["adapter"], []).append(row["network"])
    out = ["## By adapter", ""]
    for adapter in sorted(networks):
        caps = capabilities_for(adapter)
        out += [f"### Adapter `{adapter}`", ""]  # its anchor: #adapter-<name>, the same on GitHub and in MkDocs
        out.append(f"- **Networks:** {', '.join(f'`{n}`' for n in networks[adapter])}")
        if caps is None:  # the fetch planner refuses such an adapter: say so rather than invent its abilities
            out += ["- **Declares no capabilities**: its networks are not fetched (fetch contract v2).", ""]
            continue
        if caps.notes:
            out.append(f"- **How it reads:** {markdown_cell(caps.notes)}")
        out.append(f"- **Block reference:** {markdown_cell(caps.block_reference.label)}"
                   + ("" if caps.block_reference.comparable else
                      " (another counter than the block asked: the adapter maps one to the other and checks it itself)"))
        if caps.token_methods:
            out.append(f"- **Tokens:** {markdown_cell(caps.token_kind) if caps.token_kind else 'yes'}")
        out.append(f"- **Addresses per request:** {caps.max_batch if caps.max_batch else 'no fixed limit'}")
        for option, network in sorted(caps.options_from_networks.items()):
            out.append(f"- **`options.{option}`** unset: the settings of `[networks.{network}]`")
        out.append(f"- **A snapshot read needs:** {_words(caps.needs)}")
        out.append("")
    return "\n".join(out)


def render_routes() -> str:
    """The rows whose balance is read on another network than their own (``data/fetch_routes.csv``)."""
    routes = registry().fetch_routes
    if not routes:
        return ""
    out = [
        "## Rows read on another network",
        "",
        "`data/fetch_routes.csv` sends these rows to another network's adapter; `por fetch` plans them there.",
        "",
        "| rows | published on | read on | why |",
        "|---|---|---|---|",
    ]
    out += [f"| {markdown_cell(r.row_type)} | `{r.network}` | `{r.fetch_network}` | {markdown_cell(r.source)} |" for r in routes]
    return "\n".join(out) + "\n"


def render() -> str:
    rows = network_rows()
    parts = [HEADER, render_networks(rows), render_routes(), render_adapters(rows)]
    return "\n".join(p for p in parts if p).rstrip("\n") + "\n"


README_START = "<!-- Generated by `python -m indexer.networks_reference --readme README.md`: do not edit by hand. -->"
README_END = "<!-- End of the generated table. -->"


def render_readme_table(rows: list[dict[str, Any]] | None = None) -> str:
    """The README's short table: per installed adapter, its networks and what a snapshot read needs (issue 16:
    a newcomer sees which provider to pay for before the first fetch); the full page is docs/networks.md."""
    groups: dict[str, list[str]] = {}
    for row in network_rows() if rows is None else rows:
        if row["plugin"] == "installed":
            groups.setdefault(row["adapter"], []).append(row["network"])
    out = ["| networks | adapter | a snapshot read needs |", "|---|---|---|"]
    for adapter, names in groups.items():
        caps = capabilities_for(adapter)
        needs = _words(caps.needs) if caps is not None else "declares no capabilities: not fetched"
        out.append(f"| {', '.join(names)} | [`{adapter}`](docs/networks.md#adapter-{adapter}) | {needs} |")
    return "\n".join(out) + "\n"


def splice_readme(text: str, table: str) -> str:
    """``text`` (the README) with the block between the two markers replaced by ``table``; an error when the
    markers are missing, so the table cannot silently stop being refreshed."""
    if text.count(README_START) != 1 or text.count(README_END) != 1 or text.index(README_START) > text.index(README_END):
        raise ValueError(f"the README must hold the markers {README_START!r} and {README_END!r} once each, in that order")
    head, rest = text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{table}{README_END}{tail}"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    source = "the registry and the adapter plugins"
    if "--readme" in args:
        args.remove("--readme")
        paths = [a for a in args if a != "--check"]
        target = Path(paths[0]) if len(paths) == 1 else None

        def spliced() -> str:
            return splice_readme(target.read_text(encoding="utf-8"), render_readme_table())

        return write_or_check(args, spliced, "indexer.networks_reference --readme", source)
    return write_or_check(args, render, "indexer.networks_reference", source)


if __name__ == "__main__":
    sys.exit(main())

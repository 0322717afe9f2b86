"""The docs build and the README stays a front door (issue 17).

``mkdocs build --strict`` of ``docs/`` with ``mkdocs.yml``'s validation turns every broken link, missing anchor,
absolute link and page left out of the nav into a warning, and ``--strict`` into a failure. The README stays
under 12 KB, opens with the two commands CI runs, and every relative link in it reaches a file (and a heading,
where it names one) as GitHub resolves them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
README_LIMIT = 12_000  # bytes: issue 17's "a README under 12 KB", in the strictest reading


def mkdocs_build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(project / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=project, capture_output=True, text=True, timeout=300,
    )


def test_the_docs_build_strictly_with_no_warning(tmp_path):
    done = mkdocs_build(ROOT, tmp_path / "site")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "WARNING" not in output, output
    for page in ("index.html", "cli.html", "networks.html", "adapters.html", "tables.html", "views.html"):
        assert (tmp_path / "site" / page).is_file(), page


def test_a_broken_link_or_a_page_missing_from_the_nav_fails_the_build(tmp_path):
    """The strict build can fail: the same project with one bad anchor, then with one page outside the nav."""
    for damage in ("anchor", "orphan"):
        project = tmp_path / damage
        shutil.copytree(ROOT / "docs", project / "docs")
        shutil.copy(ROOT / "mkdocs.yml", project / "mkdocs.yml")
        if damage == "anchor":
            with (project / "docs" / "index.md").open("a", encoding="utf-8") as f:
                f.write("\nSee [the balances table](tables.md#no-such-table).\n")
        else:
            (project / "docs" / "orphan.md").write_text("# A page no one listed\n", encoding="utf-8")
        done = mkdocs_build(project, project / "site")
        assert done.returncode != 0, damage
        assert ("no-such-table" if damage == "anchor" else "orphan.md") in done.stdout + done.stderr


def test_the_readme_is_under_12_kb():
    size = len(README.read_bytes())
    assert size < README_LIMIT, f"README.md is {size:,} bytes; the reference belongs in docs/"


def test_the_readme_opens_with_the_two_commands():
    """The first code block is exactly the demo and the suite (.ci/run runs the second)."""
    first = re.search(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert first is not None
    commands = [line.split("#", 1)[0].strip() for line in first.group(1).splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _without_code(text: str) -> str:
    """Markdown with fenced blocks, inline code and HTML comments removed: links in them are not links."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a file's headings: the heading's text lower-cased, characters other than letters,
    digits, ``_``, ``-`` and spaces dropped, spaces made ``-``; a repeated anchor gets ``-1``, ``-2``, ..."""
    seen: dict[str, int] = {}
    anchors = set()
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, flags=re.M):
        words = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
        slug = re.sub(r"[^\w\- ]", "", words.lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def relative_links(markdown: str) -> list[str]:
    targets = re.findall(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", _without_code(markdown))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.I)]


def broken_links(markdown: str, base: Path) -> list[str]:
    broken = []
    for target in relative_links(markdown):
        path, _, anchor = target.partition("#")
        file = (base / path).resolve() if path else README
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (file.suffix != ".md" or anchor not in github_anchors(file.read_text(encoding="utf-8"))):
            broken.append(f"{target}: no heading with that anchor")
    return broken


def test_every_relative_link_in_the_readme_reaches_its_file_and_heading():
    text = README.read_text(encoding="utf-8")
    links = relative_links(text)
    assert any(link.startswith("docs/") for link in links)  # the reference is reached from the front door
    assert broken_links(text, ROOT) == []


def test_the_link_check_finds_a_missing_file_and_a_missing_heading():
    text = "[a](docs/layout.md#packaging) [b](docs/nope.md) [c](docs/layout.md#nope) `[d](docs/nope.md)` [e](https://x.example/y)"
    assert broken_links(text, ROOT) == ["docs/nope.md: no such file", "docs/layout.md#nope: no heading with that anchor"]
    assert "adapter-evm" in github_anchors("### Adapter `evm`\n") and "what-contract-holds" in github_anchors("## What `contract` holds")
    assert github_anchors("## A\n## A\n") == {"a", "a-1"}

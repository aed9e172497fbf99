"""The README and docs/ cannot point at nothing: every relative link, image and anchor resolves, and every
config, script and notebook a command or code span names exists.

Cheap: it reads Markdown and checks paths, no training. Anchors are GitHub's: the heading's text, lower case,
punctuation dropped, spaces as hyphens, ``-1``, ``-2`` ... on repeats.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]

FENCE = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"`[^`\n]+`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# paths a command or code span names: configs/X.yaml, scripts/X.py|sh, notebooks/X.ipynb
NAMED_PATH = re.compile(r"(?<![\w/.-])((?:configs|scripts|notebooks)/[\w/.-]*\w\.(?:yaml|py|sh|ipynb))\b")


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids of a Markdown page."""
    seen: dict[str, int] = {}
    ids = set()
    for title in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", title)  # a link's text
        text = re.sub(r"[`*_]", "", text).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def relative_links(page: Path) -> list[str]:
    text = CODE_SPAN.sub("", FENCE.sub("", page.read_text(encoding="utf-8")))
    return [target for target in LINK.findall(text) if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_relative_link_image_and_anchor_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no file {file.relative_to(REPO) if file.is_relative_to(REPO) else file}")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {file.relative_to(REPO)}")
    assert not broken, f"{page.relative_to(REPO)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.relative_to(REPO).as_posix())
def test_every_named_config_script_and_notebook_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    named = set(NAMED_PATH.findall(text))
    missing = sorted(path for path in named if not (REPO / path).exists())
    assert not missing, f"{page.relative_to(REPO)} names files that do not exist: {missing}"


def test_every_page_in_docs_is_linked_from_the_readme() -> None:
    readme_targets = {target.partition("#")[0] for target in relative_links(REPO / "README.md")}
    unlinked = [page.name for page in sorted((REPO / "docs").glob("*.md")) if f"docs/{page.name}" not in readme_targets]
    assert not unlinked, f"docs pages the README does not link: {unlinked}"


def test_anchor_slugs_follow_github() -> None:
    page = REPO / "docs" / "FORKING.md"
    assert {"where-things-live", "a-metric"} <= anchors(page)

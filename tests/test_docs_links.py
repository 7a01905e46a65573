"""Every link between the README and the pages under docs/ leads to a page that exists,
and to a heading on it where it names one."""

import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#+ (.+)$", re.M)
CODE = re.compile(r"```.*?```", re.S)


def anchor(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to -."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {anchor(h) for h in HEADING.findall(CODE.sub("", page.read_text()))}


def links() -> list[tuple[Path, str]]:
    found = []
    for page in PAGES:
        for target in LINK.findall(CODE.sub("", page.read_text())):
            if not re.match(r"[a-z]+:", target):  # not http:, mailto:, ...
                found.append((page, target))
    return found


LINKS = links()


def test_the_pages_link_to_each_other():
    assert len(LINKS) >= 20
    linked = {(page.parent / target.split("#")[0]).resolve() for page, target in LINKS}
    assert {page.resolve() for page in PAGES[1:]} <= linked, "a page nothing links to"


@pytest.mark.parametrize(
    ("page", "target"), LINKS, ids=[f"{p.relative_to(PROJECT_ROOT)}->{t}" for p, t in LINKS]
)
def test_each_link_leads_somewhere(page: Path, target: str):
    path, _, fragment = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    assert destination.exists(), f"{page.name}: {target} leads nowhere"
    if fragment and destination.suffix == ".md":
        assert fragment in anchors(destination), f"{page.name}: no heading #{fragment}"

"""docs/architecture.md maps every package and top-level module; a new one must be added to it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kbportal"
MAP = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _parts() -> list[str]:
    packages = [f"kbportal/{p.parent.name}/" for p in PACKAGE.glob("*/__init__.py")]
    modules = [f"kbportal/{p.name}" for p in PACKAGE.glob("*.py")]
    return sorted(packages + modules)


@pytest.mark.parametrize("part", _parts())
def test_every_package_is_on_the_map(part: str) -> None:
    assert f"`{part}`" in MAP, f"add a row for {part} to docs/architecture.md"


def test_the_map_names_the_five_journeys() -> None:
    for heading in ("A request", "Content is parsed", "Search lives", "An event", "A publish"):
        assert f"**{heading}" in MAP

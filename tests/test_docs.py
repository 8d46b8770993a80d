"""Docs that cannot drift: every setting, CLI command and API endpoint is in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbportal.config import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_every_setting_is_documented(key: str) -> None:
    assert f"`KBPORTAL_{key}`" in README


def test_readme_names_the_two_commands() -> None:
    assert "make serve" in README
    assert "make test" in README

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


def _commands() -> list[str]:
    """Every kbportal command and subcommand (the group's and the app's), except Flask's own."""
    import tempfile

    import click

    from kbportal import create_app
    from kbportal.cli import cli

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    commands = {**cli.commands, **app.cli.commands}
    names = []
    for name, command in commands.items():
        if name in {"run", "shell", "routes"}:
            continue
        if isinstance(command, click.Group):
            names.extend(f"{name} {sub}" for sub in command.commands)
        else:
            names.append(name)
    return sorted(names)


@pytest.mark.parametrize("command", _commands())
def test_every_cli_command_is_documented(command: str) -> None:
    assert f"`kbportal {command}" in README or f"`{command}" in README


def test_every_api_endpoint_is_documented(tmp_path: Path) -> None:
    from kbportal import create_app

    app = create_app({"DATA_DIR": tmp_path, "TESTING": True})
    rules = [r.rule for r in app.url_map.iter_rules() if r.rule.startswith(("/api/", "/hooks/"))]
    assert rules
    for rule in rules:
        documented = rule.replace("<path:slug>", "<slug>")
        assert f"{documented}" in README, rule

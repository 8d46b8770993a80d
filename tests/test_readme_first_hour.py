"""The README's first hour works as written: each command and option it shows exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FIRST_HOUR = README[README.index("### Your first hour") : README.index("### Tests, CI")]


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```sh\n(.*?)```", FIRST_HOUR, re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("kbportal ")]


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    """The click command a README line runs, and the options it passes."""
    import tempfile

    from kbportal import create_app
    from kbportal.cli import cli

    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app({"DATA_DIR": data_dir, "TESTING": True})
    command: click.Command = cli
    for word in words[1:]:
        if word.startswith("-"):
            break
        group = {**cli.commands, **app.cli.commands} if command is cli else None
        found = (group or getattr(command, "commands", {})).get(word)
        if found is None:
            break
        command = found
    return command, [w.split("=", 1)[0] for w in words if w.startswith("--")]


def test_the_first_hour_shows_the_whole_path() -> None:
    shown = {" ".join(words[:2]) for words in _commands()}
    assert {"kbportal users", "kbportal check", "kbportal index", "kbportal serve"} <= shown
    assert "kbportal sync" in shown and ". .venv/bin/activate" in FIRST_HOUR
    assert "/login" in FIRST_HOUR and "KBPORTAL_ARTICLES_DIR" in FIRST_HOUR


@pytest.mark.parametrize("words", _commands(), ids=" ".join)
def test_each_command_and_option_exists(words: list[str]) -> None:
    command, options = _command(words)
    assert command.name != "cli", f"{words}: no such command"
    known = {opt for param in command.params for opt in getattr(param, "opts", [])}
    assert set(options) <= known, f"{' '.join(words)}: unknown {set(options) - known}"


def test_make_targets_the_readme_names_exist() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"`make (\w+)", README):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target}"
    assert "$(PORT)" in makefile  # make serve PORT=8001

"""Bad KBPORTAL_* values: one clear line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbportal.config import ConfigError, load_config


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PROXY_FIX", "abc"),
        ("PROXY_FIX", "-1"),
        ("SEARCH_PAGE_SIZE", "0"),
        ("SEARCH_PAGE_SIZE", "ten"),
        ("SYNC_INTERVAL", "-5"),
    ],
)
def test_bad_values_name_the_variable(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=f"KBPORTAL_{key}='{value}' cannot be used"):
        load_config(environ={f"KBPORTAL_{key}": value})


def test_good_values_parse() -> None:
    config = load_config(environ={"KBPORTAL_PROXY_FIX": "2", "KBPORTAL_SEARCH_PAGE_SIZE": "25"})
    assert config["PROXY_FIX"] == 2 and config["SEARCH_PAGE_SIZE"] == 25


def test_the_command_says_it_plainly(tmp_path: Path) -> None:
    env = {**os.environ, "KBPORTAL_PROXY_FIX": "abc", "KBPORTAL_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "from kbportal.cli import main; main()", "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: KBPORTAL_PROXY_FIX='abc' cannot be used")
    assert "Traceback" not in result.stderr

"""The content pipeline and search load without the web stack (lint-imports checks the graph)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

WEB = ("flask", "werkzeug", "sqlalchemy", "alembic", "flask_login", "flask_wtf", "gunicorn")


@pytest.mark.parametrize(
    "module", ["kbportal.content.render", "kbportal.content.loader", "kbportal.search"]
)
def test_importing_the_pipeline_loads_nothing_web(module: str) -> None:
    probe = (
        f"import sys, {module}; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({WEB!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]", f"{module} pulls in {result.stdout.strip()}"


def test_the_package_itself_is_light() -> None:
    probe = "import sys, kbportal; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False"  # create_app imports the web stack when called


def test_the_module_graph_keeps_the_import_rules() -> None:
    # `make lint` runs this too; here a plain `pytest` run catches a new cycle before it lands.
    root = Path(__file__).resolve().parents[1]
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout

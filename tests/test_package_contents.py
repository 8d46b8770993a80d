"""The installed package carries the product only: test helpers live in tests/, not kbportal/.

Every .py file under kbportal/ ships in the wheel (pyproject: packages.find include "kbportal*"),
so a helper kept there would be installed on every server.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kbportal"
# Names that mark a module as made for tests rather than for the product.
TEST_MODULE = re.compile(r"^(testing|conftest|fixtures?|test_.*|.*_tests?|.*_sample)\.py$")
# The dev extra's packages (pyproject [project.optional-dependencies] dev): never installed on
# a server, so product code importing one would break there.
DEV_ONLY = {
    "pytest",
    "_pytest",
    "selenium",
    "aiosmtpd",
    "time_machine",
    "openapi_spec_validator",
    "importlinter",
}


def modules() -> list[Path]:
    """Every Python file the package ships."""
    return sorted(PACKAGE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    """The top-level module names a file imports (absolute imports only)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_test_helper_module_ships_in_the_package() -> None:
    found = [str(p.relative_to(PACKAGE)) for p in modules() if TEST_MODULE.match(p.name)]
    assert found == [], f"test helpers inside kbportal/ (move them under tests/): {found}"


def test_no_shipped_module_imports_a_test_only_package() -> None:
    found = {
        str(p.relative_to(PACKAGE)): sorted(imported_roots(p) & DEV_ONLY)
        for p in modules()
        if imported_roots(p) & DEV_ONLY
    }
    assert found == {}, f"product modules importing dev-only packages: {found}"


def test_the_checks_would_catch_the_old_helper(tmp_path: Path) -> None:
    """The pattern and the import walk really flag what they are meant to (not vacuous)."""
    helper = tmp_path / "testing.py"
    helper.write_text("import pytest\nfrom selenium.webdriver import Chrome\n", encoding="utf-8")
    assert TEST_MODULE.match(helper.name)
    assert imported_roots(helper) & DEV_ONLY == {"pytest", "selenium"}
    assert len(modules()) > 100  # the walk sees the package itself

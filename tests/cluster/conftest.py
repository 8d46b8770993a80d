"""Two real `kbportal serve` nodes on loopback: own working copies and data, one PostgreSQL."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from cluster_nodes import ARTICLES, KBPORTAL, STAFF_EMAIL, Cluster, git
from support import TEST_PASSWORD
from throwaway_db import postgres_url, temporary_database


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Nodes a and b serving one articles repository, sharing one PostgreSQL database."""
    if postgres_url() is None:
        pytest.skip("KBPORTAL_TEST_POSTGRES_URL is not set (see scripts/test-postgres.sh)")
    root = tmp_path_factory.mktemp("cluster")
    with temporary_database("postgresql", root) as url:
        origin, editor = root / "origin.git", root / "editor"
        git(root, "init", "-q", "--bare", "-b", "main", str(origin))
        git(root, "clone", "-q", str(origin), str(editor))
        git(editor, "checkout", "-q", "-b", "main")
        found = Cluster(root, origin, editor, url)
        found.push(ARTICLES, "first articles")
        create = [KBPORTAL, "users", "create", STAFF_EMAIL, "--role", "agent", "--password-stdin"]
        subprocess.run(
            create,
            env=found.node_env("a"),
            input=TEST_PASSWORD.encode(),
            check=True,
            capture_output=True,
        )
        try:
            found.start("a")
            found.start("b")
            yield found
        finally:
            for node in found.nodes:
                node.stop()

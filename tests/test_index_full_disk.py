"""`kbportal index` on a full disk: a plain error, nothing half-made, the old version served."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from support import write_tree

ARTICLES = {
    f"en/topic/article-{n}.md": f"# Article {n}\n\n" + "Words to index. " * 400 + "\n"
    for n in range(40)
}


def index(tmp_path: Path, max_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run `kbportal index`; with a cap on file size, as a disk that fills up would stop it."""

    def cap() -> None:
        if max_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG from write(), not a kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    env = {
        **os.environ,
        "KBPORTAL_ARTICLES_DIR": str(tmp_path / "articles"),
        "KBPORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    kbportal = str(Path(sys.executable).with_name("kbportal"))
    return subprocess.run(
        [kbportal, "index"], env=env, capture_output=True, text=True, preexec_fn=cap, timeout=300
    )


def test_index_on_a_full_disk_says_what_failed_and_leaves_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path / "articles", ARTICLES)
    assert index(tmp_path).returncode == 0
    builds = tmp_path / "data" / "builds"
    before = sorted(p.name for p in builds.iterdir())
    served = os.readlink(tmp_path / "data" / "current")

    failed = index(tmp_path, max_file_bytes=64 * 1024)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr
    assert "could not write the new build" in failed.stderr
    assert "File too large" in failed.stderr or "disk" in failed.stderr
    assert sorted(p.name for p in builds.iterdir()) == before  # no half-made build left
    assert os.readlink(tmp_path / "data" / "current") == served
    assert not [p for p in (tmp_path / "data").iterdir() if p.name.startswith(".current-")]

"""`kbportal serve`: gunicorn managing worker processes, each an event loop in front of threads."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kbportal import forked

WORKER_CLASS = "kbportal.serving.worker.KBPortalWorker"


def gunicorn_options(host: str, port: int, workers: int) -> dict[str, Any]:
    """gunicorn's settings for kbportal (the worker class does the request reading)."""
    return {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": WORKER_CLASS,
        "timeout": 60,  # a worker whose event loop is silent this long is replaced
        "graceful_timeout": 20,
        "keepalive": 5,
        "errorlog": "-",
        # Newer gunicorn opens a control socket in $HOME: several servers would clash.
        "control_socket_disable": True,
        # Logged once a worker has warmed up: operators (and bench_load.py) see when every
        # worker is ready, not only the first one that answers.
        "post_worker_init": log_worker_ready,
    }


MAX_DEFAULT_SEARCH_PROCESSES = 4  # each holds its own copy of the index (~370 MB at 100k)


def search_processes(setting: int) -> int:
    """How many search processes a node runs: the setting, or by default one per two cores
    (at least 1, at most 4). Niced, they take only the CPU the workers leave; on two cores a
    second one gained nothing clear under load and cost ~370 MB at 100k (docs/benchmarks.md)."""
    if setting:
        return setting
    return max(1, min(forked.cores() // 2, MAX_DEFAULT_SEARCH_PROCESSES))


# Parts that run something in each worker (a background thread) list a callable here.
WORKER_START = "kbportal.worker_start"


def log_worker_ready(worker: Any) -> None:
    """gunicorn hook: log that a worker has warmed up and now takes requests."""
    worker.log.info("Worker %s warm and accepting requests", worker.pid)


def run(
    config: dict[str, Any],
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    in_each_worker: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Run gunicorn in this process; each worker makes its own app from the same settings.

    `in_each_worker(config)` runs in every worker once it is warm (e.g. to follow publishes).
    """
    from gunicorn.app.base import BaseApplication

    from kbportal import create_app

    class Server(BaseApplication):
        """gunicorn driven from code: no config file, our options only."""

        def load_config(self) -> None:
            for key, value in gunicorn_options(host, port, workers).items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self) -> Any:
            # Made in the worker, after the fork: no database or index handle is shared.
            from kbportal.publish import remote_search
            from kbportal.serving.buffered import BufferedWSGI
            from kbportal.web.warmup import warm_up

            app = create_app(config)
            if app.config.get("KBPORTAL_SEARCH_PROCESS"):
                # Searches go to the node's search process, started by the first worker
                # that searches and gone with this master (kbportal.serving.searchd).
                remote_search.enable(
                    os.getppid(),
                    Path(app.config["KBPORTAL_DATA_DIR"]),
                    nice=int(app.config.get("KBPORTAL_SEARCH_NICE", 10)),
                    processes=search_processes(int(app.config.get("KBPORTAL_SEARCH_PROCESSES", 0))),
                    cache_mb=int(app.config.get("KBPORTAL_SEARCH_CACHE_MB", 64)),
                )
            warm_up(app)  # open the KB and fill caches now, not on a customer's first request
            if in_each_worker is not None:
                in_each_worker(config)
            for start in app.extensions.get(WORKER_START, ()):
                start(app)  # e.g. the request relay (kbportal.support): one per worker
            return BufferedWSGI(app, threads=threads)

    click.echo(f"serving on http://{host}:{port} with {workers} workers x {threads} threads")
    Server().run()

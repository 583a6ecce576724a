"""The production WSGI server behind `vlkg serve`: granian (default) or gunicorn.

Settings reach the worker processes through VLKG_* environment variables; each worker builds the app
with `create_app()` (a factory, so nothing is opened before the fork).

Why granian by default: on this 2-core machine a constant WSGI response took p50 0.13 ms sequentially
under granian (Rust HTTP/1 handling) against 0.44 ms under gunicorn (sync or gthread) -- the fixed cost
per request the benchmark goal is about (native oxigraph answers a trivial query in 0.15 ms).
"""

from __future__ import annotations

import os
from typing import Any

from vlkg.server.settings import to_environ

TARGET = "vlkg.server:create_app"


def run(settings: dict[str, Any]) -> None:
    """Start the configured server in the foreground until it is stopped (Ctrl-C / SIGTERM)."""
    os.environ.update(to_environ(settings))
    if settings["server"] == "granian":
        _granian(settings)
    elif settings["server"] == "gunicorn":
        _gunicorn(settings)
    else:
        raise ValueError(f"server: expected granian or gunicorn, got {settings['server']!r}")


def _granian(settings: dict[str, Any]) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        TARGET,
        factory=True,
        address=settings["host"],
        port=settings["port"],
        interface=Interfaces.WSGI,
        workers=settings["workers"],
        blocking_threads=settings["threads"],
        respawn_failed_workers=True,
        log_access=False,
    ).serve()


def _gunicorn(settings: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class _App(BaseApplication):  # type: ignore[misc] - gunicorn has no type hints
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings['host']}:{settings['port']}")
            self.cfg.set("workers", settings["workers"])
            self.cfg.set("threads", settings["threads"])
            self.cfg.set("worker_class", "gthread")
            # gunicorn's timeout is a worker heartbeat, not a query timeout (benoitc/gunicorn#2086); queries
            # are stopped by the executor, this is only a backstop for a stuck worker.
            self.cfg.set("timeout", int(settings["max_timeout"]) + 30)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            from vlkg.server import create_app

            return create_app()

    _App().run()

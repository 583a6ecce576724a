"""The production WSGI server behind `vlkg serve`: granian (default) or gunicorn.

Settings reach the worker processes through VLKG_* environment variables; each worker builds the app
with `create_app()` (a factory, so nothing is opened before the fork).

Why granian by default: on this 2-core machine a constant WSGI response took p50 0.13 ms sequentially
under granian (Rust HTTP/1 handling) against 0.44 ms under gunicorn (sync or gthread) -- the fixed cost
per request the benchmark goal is about (native oxigraph answers a trivial query in 0.15 ms).

Both servers get the same limits (server/README.md, "Request limits"): HTTP/1.1 only, a request-target of
at most 65,534 bytes (414), at most 100 headers of 8,190 bytes (431), the request head within
`header_timeout`. Request bodies are bounded by `wsgi_guard.py` (size cap, `body_timeout`).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Any

from vlkg.server.settings import to_environ
from vlkg.server.wsgi_guard import MAX_HEADER_FIELD_BYTES, MAX_HEADERS, MAX_URL_BYTES

TARGET = "vlkg.server:create_app"
# gunicorn limits the whole request line: method, target and version ("OPTIONS " + target + " HTTP/1.1").
REQUEST_LINE_BYTES = MAX_URL_BYTES + len("OPTIONS ") + len(" HTTP/1.1")
# granian (hyper) has no per-header limit, only one buffer for the whole head: sized like gunicorn's worst case.
HEAD_BUFFER_BYTES = REQUEST_LINE_BYTES + MAX_HEADERS * (MAX_HEADER_FIELD_BYTES + 2)


class PortInUse(Exception):
    """The address cannot be bound: another process listens there (message says which and what to do)."""


def check_port_free(host: str, port: int) -> None:
    """Refuse an address another server already listens on, whichever server we run.

    granian binds its socket with SO_REUSEPORT (in its Rust SocketSpec, no option to turn it off), so a
    second granian on a busy port starts without error and the kernel shares connections between the two;
    gunicorn (reuse_port off) would retry for 5 s and then exit with a log line. Binding a plain socket
    (SO_REUSEADDR only, so connections in TIME_WAIT do not count; no SO_REUSEPORT) fails on a port where
    anything listens, reuse-port or not. The check and the server's own bind are not atomic: a server
    started in between still wins the race, which is acceptable for a command a person runs.
    """
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortInUse(f"cannot resolve --host {host!r}: {exc.strerror}") from None
    for family, kind, proto, _, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(
                        f"port {port} on {host} is already in use (another `vlkg serve` or another program "
                        f"listens there). Stop it, or choose another port with --port."
                    ) from None
                if exc.errno == errno.EADDRNOTAVAIL and family == socket.AF_INET6:
                    continue  # no IPv6 on this machine: the IPv4 address decides
                raise PortInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from None


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
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    server = Granian(
        TARGET,
        factory=True,
        address=settings["host"],
        port=settings["port"],
        interface=Interfaces.WSGI,
        workers=settings["workers"],
        blocking_threads=settings["threads"],
        # HTTP/2 (h2c) would bring other header limits and no header timeout; gunicorn speaks HTTP/1.1 only too.
        http=HTTPModes.http1,
        http1_settings=HTTP1Settings(
            # in ms, at most granian's 60 s; at the limit hyper closes the connection without a response
            header_read_timeout=min(60_000, max(1, round(settings["header_timeout"] * 1000))),
            max_buffer_size=HEAD_BUFFER_BYTES,
        ),
        respawn_failed_workers=True,
        log_access=False,
    )
    # granian warns about any WSGI server with more than 2 x cores + 1 threads. Ours are many on purpose: most
    # wait on a query process, not on the interpreter (the `threads` setting), so the warning only alarms people.
    logging.getLogger("_granian").addFilter(lambda r: not r.getMessage().startswith("Configuration allows spawning"))
    server.serve()


def _gunicorn(settings: dict[str, Any]) -> None:
    import gunicorn.http.message
    from gunicorn.app.base import BaseApplication

    # gunicorn clamps limit_request_line to this constant (8190) unless it is 0, which means no limit at all;
    # raising it is the only way to a bounded 64 KB line like granian's.
    gunicorn.http.message.MAX_REQUEST_LINE = max(gunicorn.http.message.MAX_REQUEST_LINE, REQUEST_LINE_BYTES)
    worker = _gunicorn_worker(settings["header_timeout"])

    class _App(BaseApplication):  # type: ignore[misc] - gunicorn has no type hints
        def load_config(self) -> None:
            self.cfg.set("bind", f"{settings['host']}:{settings['port']}")
            self.cfg.set("workers", settings["workers"])
            self.cfg.set("threads", settings["threads"])
            self.cfg.set("worker_class", worker)
            self.cfg.set("limit_request_line", REQUEST_LINE_BYTES)
            self.cfg.set("limit_request_fields", MAX_HEADERS)
            self.cfg.set("limit_request_field_size", MAX_HEADER_FIELD_BYTES)
            # gunicorn's timeout is a worker heartbeat, not a query timeout (benoitc/gunicorn#2086); queries
            # are stopped by the executor, this is only a backstop for a stuck worker.
            self.cfg.set("timeout", int(settings["max_timeout"]) + 30)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            from vlkg.server import create_app

            return create_app()

    _App().run()


def _gunicorn_worker(header_timeout: float) -> type:
    """gunicorn's gthread worker with a deadline on the request head (gunicorn reads it without one).

    A thread that takes a connection arms the watchdog; at `header_timeout` it shuts the socket's read side,
    the blocked parser sees the end of the stream, and the client gets a 408. The alarm is cancelled as soon
    as the head is parsed, before the app runs (the body has its own deadline in wsgi_guard.py).
    """
    from gunicorn.workers import gthread

    from vlkg.server.wsgi_guard import WATCHDOG, raw_408, shut_read

    class GuardedThreadWorker(gthread.ThreadWorker):  # type: ignore[misc] - gunicorn has no type hints
        def handle(self, conn: Any) -> Any:
            # As gthread does itself: a new connection waits for its first bytes without a deadline of ours
            # (at most gunicorn's 5 s, then it goes back to the poller), so an idle connection gets no 408.
            if not conn.initialized and not conn.data_ready and not conn.wait_for_data(
                    gthread.DEFAULT_WORKER_DATA_TIMEOUT):
                return gthread._DEFER
            sock = conn.sock
            conn.vlkg_alarm = WATCHDOG.arm(header_timeout, lambda: shut_read(sock))
            conn.vlkg_head_done = False
            try:
                keep = super().handle(conn)
            finally:
                fired = WATCHDOG.cancel(conn.vlkg_alarm)
            if fired and not conn.vlkg_head_done:
                try:
                    sock.settimeout(2)  # a client that does not read its 408 is not waited for
                    sock.sendall(raw_408(header_timeout))
                except OSError:
                    pass
                return False
            return keep

        def handle_request(self, req: Any, conn: Any) -> Any:
            WATCHDOG.cancel(conn.vlkg_alarm)
            conn.vlkg_head_done = True
            return super().handle_request(req, conn)

    return GuardedThreadWorker

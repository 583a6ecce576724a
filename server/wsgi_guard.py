"""Every request body is read whole, under a deadline and a size cap, before the app sees it.

granian and gunicorn give the app a body that is read from the client on demand and without a time limit:
a client trickling its body held a request thread as long as it liked, and a chunked body (no
Content-Length) slipped past the 413 check and was cut at the cap without a word. Here the body is read
first: more than `max_request_bytes` -> 413; not all there within `body_timeout` -> 408; ended early -> 400.
Otherwise the app gets it as a BytesIO with a correct CONTENT_LENGTH, so protocol.py works unchanged.

How the deadline is kept depends on the server (neither has a body timeout of its own):
- gunicorn (`gunicorn.socket` in environ): the request thread reads; at the deadline a watchdog shuts the
  socket's read side, which wakes the blocked recv(). The same watchdog bounds the request head
  (`http_server.py`'s worker).
- granian (and any other server): the body object blocks in Rust and cannot be interrupted, so a helper
  thread reads it while the request thread waits at most `body_timeout`. An abandoned helper stops at the
  next bytes that arrive and drops the body, and granian then closes the connection.

A refusal is raised as a Problem by a before_request hook, so it gets the usual error page and headers.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vlkg.server.errors import Problem

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from flask import Flask

# The longest request-target (path and query string) granian's HTTP library accepts (the `http` crate's
# Uri: u16::MAX - 1, whatever the buffer sizes); gunicorn is configured to the same, so a GET query can be
# about 64 KB under either server. Longer queries go by POST, up to max_request_bytes.
MAX_URL_BYTES = 65_534
# Header limits of both servers: gunicorn's defaults, which granian's whole-head buffer is sized from.
MAX_HEADERS = 100
MAX_HEADER_FIELD_BYTES = 8_190

_REFUSAL = "vlkg.refusal"  # environ key: the exception the before_request hook raises
_PIECE = 65_536  # largest single read


class _Alarm:
    __slots__ = ("action", "state")

    def __init__(self, action: Callable[[], object]) -> None:
        self.action: Callable[[], object] | None = action
        self.state = "armed"  # then "fired" or "cancelled"


class Watchdog:
    """Run an action at a deadline unless cancelled first; one thread per process for every alarm."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, _Alarm]] = []
        self._seq = itertools.count()
        self._cancelled = 0
        self._pid = 0

    def arm(self, seconds: float, action: Callable[[], object]) -> _Alarm:
        """An alarm for `action` in `seconds`; pass it to cancel()."""
        alarm = _Alarm(action)
        with self._cond:
            if self._pid != os.getpid():  # first use, or a forked child: the parent's thread is not here
                self._pid = os.getpid()
                self._heap.clear()
                self._cancelled = 0
                threading.Thread(target=self._run, name="vlkg-watchdog", daemon=True).start()
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), alarm))
            if self._heap[0][2] is alarm:
                self._cond.notify()
        return alarm

    def cancel(self, alarm: _Alarm) -> bool:
        """Disarm; True if the action had already run. After this returns the action never runs."""
        with self._cond:
            if alarm.state == "armed":
                alarm.state, alarm.action = "cancelled", None
                self._cancelled += 1
                if self._cancelled > 1024 and self._cancelled * 2 > len(self._heap):  # keep the heap small
                    self._heap = [entry for entry in self._heap if entry[2].state == "armed"]
                    heapq.heapify(self._heap)
                    self._cancelled = 0
            return alarm.state == "fired"

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][2].state != "armed":
                    heapq.heappop(self._heap)
                    self._cancelled = max(0, self._cancelled - 1)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                alarm = heapq.heappop(self._heap)[2]
                action, alarm.state, alarm.action = alarm.action, "fired", None
                # Under the lock: once cancel() has returned, the socket may be closed and its number reused.
                try:
                    if action is not None:
                        action()
                except Exception:
                    log.exception("watchdog action failed")


WATCHDOG = Watchdog()


def shut_read(sock: socket.socket) -> None:
    """Wake a recv() blocked on `sock` (it returns b""), and make the server close the connection."""
    with contextlib.suppress(OSError):  # already closed by the client
        sock.shutdown(socket.SHUT_RD)


def head_timeout_message(seconds: float) -> str:
    return (
        f"The request line and headers did not all arrive within {seconds:g} s, the limit of this service. "
        "Send the request again, all at once."
    )


def raw_408(seconds: float) -> bytes:
    """A whole HTTP/1.1 408 response, for a server that gave up before the app could answer."""
    body = f"408 Request timeout\n\n{head_timeout_message(seconds)}\n".encode()
    head = (
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n\r\n"
    )
    return head.encode() + body


def too_large_message(limit: int) -> str:
    # The same sentence as protocol.py's, for bodies refused before the app runs.
    return (
        f"The request is larger than {limit:,} bytes, the limit of this service. "
        "Shorten the query (e.g. VALUES with fewer rows), or load a dump from /dumps/ into your own store."
    )


class _Refused(Exception):
    """Why the request is refused: an errors.py code, or "uri_too_long" (414, which has no code there)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def exception(self) -> Exception:
        if self.code == "uri_too_long":
            from werkzeug.exceptions import RequestURITooLarge

            return RequestURITooLarge(self.message)
        return Problem(self.code, self.message, {"Connection": "close"})


class Guard:
    """WSGI middleware: checks the URL length and reads the body whole before the app runs."""

    def __init__(self, wsgi_app: Callable[..., Any], settings: dict[str, Any]) -> None:
        self.wsgi_app = wsgi_app
        self.limit = int(settings["max_request_bytes"])
        self.body_timeout = float(settings["body_timeout"])

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            self._check_url(environ)
            if _has_body(environ):
                body = self._read(environ)
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                environ.pop("HTTP_TRANSFER_ENCODING", None)  # werkzeug ignores Content-Length beside chunked
        except _Refused as refused:
            environ[_REFUSAL] = refused.exception()
            environ["wsgi.input"] = io.BytesIO()
            environ["CONTENT_LENGTH"] = "0"
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.wsgi_app(environ, start_response)

    def _check_url(self, environ: dict[str, Any]) -> None:
        # granian never passes a longer target; gunicorn's request-line limit has a few bytes of slack
        # for the method, so the last bytes are counted here and both servers agree.
        if len(environ.get("RAW_URI", "")) > MAX_URL_BYTES:
            raise _Refused("uri_too_long", _url_message(self.limit))
        if len(environ.get("QUERY_STRING", "")) > self.limit:
            raise _Refused("too_large", too_large_message(self.limit))

    def _read(self, environ: dict[str, Any]) -> bytes:
        length = _content_length(environ)
        sock = environ.get("gunicorn.socket")
        if length is not None and length > self.limit:
            _abort(sock)
            raise _Refused("too_large", too_large_message(self.limit))
        stream = environ["wsgi.input"]
        chunks: list[bytes] = []
        if isinstance(stream, io.BytesIO):  # already in memory (test clients): nothing can stall
            return self._whole(_read_into(chunks, stream, length, self.limit), length, sock)
        if isinstance(sock, socket.socket):
            return self._read_gunicorn(chunks, stream, length, sock)
        return self._read_helper(chunks, environ, stream, length)

    def _read_gunicorn(self, chunks: list[bytes], stream: Any, length: int | None, sock: socket.socket) -> bytes:
        alarm = WATCHDOG.arm(self.body_timeout, lambda: shut_read(sock))
        try:
            outcome: list[bytes] | _Failed = _read_into(chunks, stream, length, self.limit)
        except Exception as exc:  # gunicorn's NoMoreData, a malformed chunk, a reset connection
            outcome = _Failed(exc)
        if WATCHDOG.cancel(alarm):
            raise _Refused("request_timeout", self._timeout_message(chunks, length))
        return self._whole(outcome, length, sock)

    def _read_helper(self, chunks: list[bytes], environ: dict[str, Any], stream: Any, length: int | None) -> bytes:
        abandoned, done = threading.Event(), threading.Event()
        outcome: list[list[bytes] | _Failed] = []

        def run(stream: Any) -> None:
            try:
                outcome.append(_read_into(chunks, stream, length, self.limit, abandoned.is_set, ramp=True))
            except Exception as exc:
                outcome.append(_Failed(exc))
            done.set()

        threading.Thread(target=run, args=(stream,), name="vlkg-body", daemon=True).start()
        del stream
        if not done.wait(self.body_timeout):
            abandoned.set()  # the helper stops after its current read and drops the body
            environ.pop("wsgi.input", None)
            raise _Refused("request_timeout", self._timeout_message(chunks, length))
        return self._whole(outcome[0], length, None)

    def _whole(self, outcome: list[bytes] | _Failed, length: int | None, sock: Any) -> bytes:
        """The body, or a refusal: unreadable, over the cap, or shorter than announced."""
        if isinstance(outcome, _Failed):
            _abort(sock)
            raise _Refused(
                "bad_request",
                f"The request body could not be read ({outcome.reason}). Send it again, with a Content-Length "
                "or well-formed chunked encoding.",
            )
        size = sum(map(len, outcome))
        if size > self.limit:
            _abort(sock)
            raise _Refused("too_large", too_large_message(self.limit))
        if length is not None and size < length:
            _abort(sock)
            raise _Refused(
                "bad_request",
                f"The request body ended after {size:,} of the {length:,} bytes its Content-Length announced. "
                "Send the whole body.",
            )
        return b"".join(outcome)

    def _timeout_message(self, chunks: list[bytes], length: int | None) -> str:
        got = sum(map(len, list(chunks)))
        of = "" if length is None else f" of {length:,}"
        return (
            f"The request body did not all arrive within {self.body_timeout:g} s ({got:,} bytes{of} came), the "
            "limit of this service. Send the request again, all at once; over a slow connection, send a shorter "
            "query."
        )


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _read_into(chunks: list[bytes], stream: Any, length: int | None, limit: int,
               stop: Callable[[], bool] = lambda: False, ramp: bool = False) -> list[bytes]:
    """Append to `chunks` until the end, `length` bytes, or one byte past `limit`; `stop()` ends it early.

    With `ramp`, reads start at one byte and grow while data keeps coming: granian's read(n) blocks until n
    bytes are there, and an abandoned helper must not stay blocked in a large read behind a stalled client.
    """
    size, step = 0, 1 if ramp else _PIECE
    while size <= limit and not stop():
        want = min(step, limit + 1 - size)
        if length is not None:
            want = min(want, length - size)
            if want <= 0:
                break
        started = time.monotonic()
        data = stream.read(want)
        if not data:
            break
        chunks.append(data)
        size += len(data)
        if ramp:
            step = min(step * 4, _PIECE) if time.monotonic() - started < 0.01 else 1
    return chunks


def _has_body(environ: dict[str, Any]) -> bool:
    return "HTTP_TRANSFER_ENCODING" in environ or environ.get("CONTENT_LENGTH", "").strip() not in ("", "0")


def _content_length(environ: dict[str, Any]) -> int | None:
    if "HTTP_TRANSFER_ENCODING" in environ:
        return None
    text = environ.get("CONTENT_LENGTH", "").strip()
    if not (text.isascii() and text.isdigit()):
        raise _Refused("bad_request", f"Content-Length {text[:40]!r} is not a number of bytes.")
    return int(text)


def _abort(sock: Any) -> None:
    # gunicorn would otherwise read the rest of a refused body (up to 5 s) to keep the connection alive.
    if isinstance(sock, socket.socket):
        shut_read(sock)


def _url_message(limit: int) -> str:
    return (
        f"The URL is longer than {MAX_URL_BYTES:,} bytes, the limit of the HTTP server. Send a long query "
        f"with POST (application/sparql-query, or a form with query=), up to {limit:,} bytes."
    )


def _raise_refusal() -> None:
    from flask import request

    refusal = request.environ.get(_REFUSAL)
    if refusal is not None:
        raise refusal


def install(app: Flask) -> None:
    """Wrap `app.wsgi_app` in the Guard; its refusals are raised before any other before_request hook."""
    app.wsgi_app = Guard(app.wsgi_app, app.config["VLKG"])  # type: ignore[method-assign]
    app.before_request_funcs.setdefault(None, []).insert(0, _raise_refusal)

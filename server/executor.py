"""Query execution in a pool of long-lived query processes: timeouts that really stop the work, and light
queries that stay fast while runaway queries run.

pyoxigraph has no timeout or cancel (oxigraph#1926) and a thread cannot be killed, so each HTTP worker
keeps child processes (server/query_process.py), each with the store open read-only and connected by a
socketpair. A request borrows a ready process, sends the query, and waits for the answer until its
deadline; past it the process is killed (SIGKILL stops even a query that never yields a row). The round
trip costs 0.1-0.2 ms per query; a fresh process costs ~0.1 s of CPU to start, hence long-lived ones.

Scheduling: why light queries stay fast under runaway load. A query cannot be known to be a runaway
before it runs, and clients cannot be told apart (many share one address, behind a proxy or on
loopback), so the pool schedules by *age* and keeps processes ready, as an operating system would:

- A light query must never wait for a process. The keeper keeps `size` (`--executors`) processes ready
  when idle, and while queries run at least one, plus a spare for each busy process beyond `size` (up to
  SPARE): a runaway client that resends its query the moment it is stopped takes a spare, not the last
  ready process. Requests that do wait are served first come, first served, so a light query never
  waits behind a stream of later runaway requests.
- A query running longer than `old_after` turns *old*: its process is reniced to 19, so CFS gives it
  ~1/20 of a young one's CPU share whenever young work wants the CPU; runaway queries keep running on
  idle CPU only. Young queries run at nice 5 (set once a process is ready; starting processes keep nice
  0, so replacements come up fast under load), the HTTP worker at 0: request handling and /health stay
  ahead of every query.
- Old queries are capped: `max_old` per HTTP worker (503 `busy`) and `max_old_per_client` per client
  address (429), each with `Retry-After`: a query turning old past a cap is stopped then. So at most
  `size + max_old + SPARE` processes exist (idle ~43 MiB RSS, ~20 MiB PSS each; a busy one at most
  `--query-memory-mb`), and one client cannot take every old slot. Short queries are never refused by
  these limits: only queries that reach `old_after` count.
- A process that ran an old query is retired, not reused: an unprivileged process cannot lower its nice
  value again, and a long query leaves a big heap behind.

Measured with bench/runaway.py on the full build (2 shared cores, default settings, four clients looping
a runaway query from loopback): light ASK median 0.66 s (p90 3.7 s) and /health median 0.27 s with the
former fixed pool of two processes and four request threads; now 4.6 ms (p90 14 ms) and 1.8 ms. Without
the spares, light queries waited for starts (0.3-0.6 s each under load); without the first-come order,
behind runaway requests resent at once (server/README.md has the table).

Healing. Processes are started by one keeper thread, never by a request: a request with no ready process
queues (bounded by its timeout), so a burst of kills (timeouts, `timeout=0.1` loops) cannot become a
storm of starts; starts are rate-limited (a token bucket, SPAWN_RATE) and back off exponentially while
they fail. A new process sends a ready frame (`R`) once its store is open and readable, or `F` with a
path-free reason; only then does it serve. A ready process is checked before use (exit status, and its
socket: an idle process never writes, so a readable socket means it is gone) and once a second while
idle; a request whose process dies before its first answer frame (and within `old_after`) is retried
once on another. When starts fail twice in a row, `state()` says why (for /health) and requests that
would wait for a process get 503 at once.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from vlkg.server import frames
from vlkg.server.errors import Problem

log = logging.getLogger(__name__)

MEMORY_EXIT = 97  # exit status of a query process stopped by its memory limit
SPOOL_MEMORY = 8 * 1024 * 1024  # bigger answers wait on disk until complete
READY_TIMEOUT = 30.0  # a process whose store is not open and readable by then counts as unstartable
YOUNG_NICE = 5
OLD_NICE = 19
SPAWN_RATE = 5.0  # process starts per second at most, after a burst (each costs ~0.1 s of CPU at nice 0)
MAX_BACKOFF = 30.0  # seconds between start attempts while they keep failing
RETRY_AFTER = "5"
SPARE = 3  # ready processes kept while others are busy, so a new query never waits for a start
FAIL_AFTER = 2  # consecutive failed starts before the pool reports failure and refuses at once
IDLE_RETIRE = 30.0  # seconds an extra ready process stays before it is stopped


class StartFailed(Exception):
    """A query process could not start. `reason` names no path (it reaches /health); `detail` is its stderr."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Answer:
    """A complete answer: `header` from the query process, and `body` in memory or `file` (`size` bytes)."""

    header: dict[str, Any]
    body: bytes | None = None
    file: IO[bytes] | None = None
    size: int = 0

    def read_all(self) -> bytes:
        if self.body is None and self.file is not None:
            self.body = self.file.read()
            self.file.close()
            self.file = None
        return self.body or b""


class QueryProcess:
    """One child process and the parent's end of its socketpair; `state` is the pool's bookkeeping."""

    def __init__(self, store_path: str, memory_limit: int, service_allow: tuple[str, ...] = (),
                 stderr: IO[bytes] | None = None) -> None:
        parent, child = socket.socketpair()
        self.sock = parent
        self.state = "starting"  # starting, ready, young, old, dead
        self.client: str | None = None
        self.idle_since = 0.0
        self.reusable = False
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "vlkg.server.query_process", store_path, str(child.fileno()),
                 str(memory_limit), json.dumps(list(service_allow))],
                pass_fds=[child.fileno()],
                stdin=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
            )
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()

    def wait_ready(self, timeout: float) -> None:
        """Wait for the ready frame; StartFailed if the process reports a failure, exits or stays silent."""
        try:
            self.sock.settimeout(timeout)
            kind, payload = frames.recv(self.sock)
        except TimeoutError:
            raise StartFailed(f"a query process did not open the store within {timeout:g} s") from None
        except (EOFError, OSError):
            try:
                status = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = None
            raise StartFailed(f"a query process exited with status {status} before it was ready") from None
        if kind == b"R":
            return
        if kind == b"F":
            raise StartFailed(str(json.loads(payload).get("reason") or "a query process could not start"))
        raise StartFailed(f"a query process sent {kind!r} instead of its ready signal")

    def alive(self) -> bool:
        """False if the process has exited, or its socket is readable (an idle process never writes)."""
        if self.proc.poll() is not None:
            return False
        poller = select.poll()
        poller.register(self.sock, select.POLLIN)
        return not poller.poll(0)

    def renice(self, nice: int) -> None:
        """Lower the CPU priority of every thread (Linux nice values are per thread)."""
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{self.pid}/task")]
        except OSError:
            tids = [self.pid]
        for tid in tids:
            with contextlib.suppress(OSError):  # the thread may have ended
                os.setpriority(os.PRIO_PROCESS, tid, nice)

    def kill(self) -> None:
        """SIGKILL: the only way to stop pyoxigraph mid-query."""
        self.state = "dead"
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.sock.close()
        # Reap without blocking the calling thread; the process dies at once on SIGKILL.
        threading.Thread(target=self.proc.wait, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid


def probe(store_path: str, memory_limit: int = 0, service_allow: tuple[str, ...] = (),
          timeout: float = READY_TIMEOUT) -> None:
    """Start one query process and wait for its ready frame (`vlkg serve` does this before serving).

    Raises StartFailed with the process's own stderr as `detail` (for the operator's terminal).
    """
    with tempfile.TemporaryFile() as err:
        qp = QueryProcess(store_path, memory_limit, service_allow, stderr=err)
        try:
            qp.wait_ready(timeout)
        except StartFailed as exc:
            with contextlib.suppress(ProcessLookupError):
                qp.proc.kill()
            qp.proc.wait()
            err.seek(0)
            raise StartFailed(exc.reason, err.read().decode(errors="replace").strip()) from None
        finally:
            qp.kill()


@dataclass
class _Run:
    """One query in flight."""

    qp: QueryProcess
    timeout: float
    deadline: float
    old_at: float
    frames: int = 0


class _Died(Problem):
    """The query process ended without a word (not our kill, not its memory limit)."""

    def __init__(self, message: str, answered: bool) -> None:
        super().__init__("internal", message)
        self.answered = answered


class Executor:
    """The query processes of one HTTP worker: `size` young slots, at most `max_old` old queries."""

    def __init__(self, store_path: str, size: int, memory_limit: int = 0, service_allow: tuple[str, ...] = (), *,
                 old_after: float = 1.0, max_old: int = 4, max_old_per_client: int = 0) -> None:
        self.store_path = store_path
        self.memory_limit = memory_limit
        self.service_allow = tuple(service_allow)
        self.size = max(1, size)
        self.old_after = old_after
        self.max_old = max(0, max_old)
        self.max_old_per_client = max(0, max_old_per_client)
        self._cond = threading.Condition()
        self._procs: set[QueryProcess] = set()  # ready, young and old
        self._ready: list[QueryProcess] = []  # LIFO: warm caches first
        self._starting = 0
        self._queue: collections.deque[object] = collections.deque()  # requests waiting for a process
        self._young = 0
        self._old = 0
        self._old_by_client: dict[str, int] = {}
        self._started = 0
        self._failure: str | None = None
        self._failures = 0
        self._failed_at = 0.0
        self._burst = float(self.size + self.max_old)
        self._tokens = self._burst
        self._tokens_at = time.monotonic()
        self._closed = False
        threading.Thread(target=self._keep, name="vlkg-query-pool", daemon=True).start()

    # --- the keeper: the only starter of processes ----------------------------------------------------

    def _keep(self) -> None:
        with self._cond:
            while not self._closed:
                self._reap_ready()
                delay = self._start_delay()
                if delay is None or delay > 0:
                    self._cond.wait(1.0 if delay is None else min(delay, 1.0))
                    continue
                self._starting += 1
                self._tokens -= 1
                threading.Thread(target=self._start_one, name="vlkg-query-start", daemon=True).start()

    def _start_delay(self) -> float | None:
        """Seconds until the next start may happen; None when no start is needed."""
        wanted = max(self._keep_ready(), len(self._queue)) - (len(self._ready) + self._starting)
        if wanted <= 0 or len(self._procs) + self._starting >= self.size + self.max_old + SPARE:
            return None
        now = time.monotonic()
        if self._failures:  # one attempt at a time, further and further apart
            if self._starting:
                return None
            return max(0.0, self._failed_at + min(MAX_BACKOFF, 0.25 * 2 ** (self._failures - 1)) - now)
        self._tokens = min(self._burst, self._tokens + (now - self._tokens_at) * SPAWN_RATE)
        self._tokens_at = now
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / SPAWN_RATE

    def _failing(self) -> bool:
        """Starts keep failing (one failure may be a fluke, e.g. a process killed while it started)."""
        return self._failures >= FAIL_AFTER

    def _keep_ready(self) -> int:
        """Ready processes to keep: `size` when idle, always one, and a spare for each busy process beyond
        `size` (up to SPARE), so the next query rarely waits for a start however many queries run."""
        busy = self._young + self._old
        return max(self.size - busy, min(SPARE, busy - self.size + 1))

    def _start_one(self) -> None:
        qp: QueryProcess | None = None
        try:
            qp = QueryProcess(self.store_path, self.memory_limit, self.service_allow)
            qp.wait_ready(READY_TIMEOUT)
            qp.renice(YOUNG_NICE)
        except (StartFailed, OSError) as exc:
            if qp is not None:
                qp.kill()
            reason = exc.reason if isinstance(exc, StartFailed) else f"a query process cannot run ({exc.strerror})"
            log.warning("vlkg: %s", reason)
            with self._cond:
                self._starting -= 1
                self._failures += 1
                self._failed_at = time.monotonic()
                self._failure = reason
                self._cond.notify_all()
            return
        with self._cond:
            self._starting -= 1
            if self._closed:
                qp.kill()
                return
            self._failures = 0
            self._failure = None
            self._started += 1
            qp.state, qp.idle_since = "ready", time.monotonic()
            self._procs.add(qp)
            self._ready.append(qp)
            self._cond.notify_all()

    def _reap_ready(self) -> None:
        """Drop ready processes that died while idle (so state() is true and a replacement starts), and one
        idle for IDLE_RETIRE beyond what the pool keeps (a burst's extra processes do not stay forever)."""
        for qp in [qp for qp in self._ready if not qp.alive()]:
            self._ready.remove(qp)
            self._drop(qp)
        if len(self._ready) > self._keep_ready() and time.monotonic() - self._ready[0].idle_since > IDLE_RETIRE:
            self._drop(self._ready.pop(0))  # the least recently used

    def _drop(self, qp: QueryProcess) -> None:
        self._procs.discard(qp)
        qp.kill()
        self._cond.notify_all()

    # --- requests --------------------------------------------------------------------------------------

    def _acquire(self, wait_until: float, client: str | None) -> QueryProcess:
        """A ready, live process; waits (bounded, first come first served) while the keeper starts one."""
        with self._cond:
            ticket = object()
            self._queue.append(ticket)
            try:
                while True:
                    if self._closed:
                        raise Problem("unavailable", "The server is shutting down.", {"Retry-After": RETRY_AFTER})
                    # A request takes a ready process only once those queued before it have one: no request
                    # waits behind a stream of later ones (e.g. runaway queries resent as soon as stopped).
                    while self._ready and self._queue.index(ticket) < len(self._ready):
                        qp = self._ready.pop()
                        if qp.alive():
                            qp.state, qp.reusable, qp.client = "young", False, client
                            self._young += 1
                            return qp
                        self._drop(qp)  # died while idle: the keeper starts another
                    if self._failing() and not self._ready:
                        raise Problem(
                            "unavailable",
                            "No query process can start at the moment, so the query was not run. The operator "
                            "has been told (server log); try again later.",
                            {"Retry-After": "30"},
                        )
                    remaining = wait_until - time.monotonic()
                    if remaining <= 0:
                        raise Problem(
                            "busy",
                            f"All {self.size + self.max_old} query processes stayed busy, so the query was not "
                            "started. Try again in a moment.",
                            {"Retry-After": RETRY_AFTER},
                        )
                    self._cond.notify_all()  # the keeper counts queued requests
                    self._cond.wait(remaining)
            finally:
                self._queue.remove(ticket)
                self._cond.notify_all()  # the next in line may be first now

    def _release(self, qp: QueryProcess) -> None:
        with self._cond:
            if qp.state == "young":
                self._young -= 1
            elif qp.state == "old":
                self._old -= 1
                if qp.client is not None:
                    left = self._old_by_client[qp.client] - 1
                    if left:
                        self._old_by_client[qp.client] = left
                    else:
                        del self._old_by_client[qp.client]
            if qp.state == "young" and qp.reusable and not self._closed:
                qp.state, qp.idle_since = "ready", time.monotonic()
                self._ready.append(qp)
                self._cond.notify_all()
            else:  # timed out, died, still writing a result nobody reads, or old (retired): stop it
                self._drop(qp)

    def _demote(self, qp: QueryProcess) -> Problem | None:
        """Turn a young query old (lowest CPU priority, out of the young slots); the Problem if a cap forbids."""
        if self._old >= self.max_old:
            return Problem(
                "busy",
                f"The query ran longer than {self.old_after:g} s while {self._old} long queries were already "
                "running, the most this server runs at once; it was stopped so that short queries stay fast. "
                "Try again in a moment, or make it more selective.",
                {"Retry-After": RETRY_AFTER},
            )
        client = qp.client
        if client is not None and self.max_old_per_client:
            if self._old_by_client.get(client, 0) >= self.max_old_per_client:
                return Problem(
                    "too_many_requests",
                    f"The query ran longer than {self.old_after:g} s while {self.max_old_per_client} long "
                    "queries of yours were already running, the most this server runs per client; it was "
                    "stopped. Wait for those to finish, then try again.",
                    {"Retry-After": RETRY_AFTER},
                )
            self._old_by_client[client] = self._old_by_client.get(client, 0) + 1
        qp.state = "old"
        qp.renice(OLD_NICE)
        self._young -= 1
        self._old += 1
        self._cond.notify_all()  # a young slot is free; the keeper starts a replacement
        return None

    def run(self, request: dict[str, Any], timeout: float, max_bytes: int, *, client: str | None = None) -> Answer:
        """Run one query for at most `timeout` seconds, after waiting at most as long for a query slot.

        The wait does not count against the query: under load, queries queue (as in a native server)
        instead of failing; only a wait longer than the timeout itself answers "busy". `client` (the
        request's address; None for the server's own queries) is what `max_old_per_client` counts.
        The answer is complete before any byte goes to the client, so every failure (timeout, evaluation
        error, a result over `max_bytes`) gets its own status; a client never receives a cut result
        that looks whole (the fault of streamed bodies noted in oxigraph and OriginTrail/dkg#2298).
        """
        wait_until = time.monotonic() + timeout
        for attempt in (1, 2):
            qp = self._acquire(wait_until, client)
            try:
                try:
                    self._send(qp, request)
                except OSError:  # it died between the check and the send: nothing ran, so run it elsewhere
                    if attempt == 1:
                        continue
                    raise Problem("unavailable", "Two query processes in a row were found dead. Try again.",
                                  {"Retry-After": RETRY_AFTER}) from None
                now = time.monotonic()
                run = _Run(qp, timeout, now + timeout, now + self.old_after)
                try:
                    return self._answer(run, max_bytes)
                except _Died as died:
                    # Dead before its first frame and soon: most likely dead before the query reached it (a
                    # query that kills its process costs at most one more); run it once elsewhere.
                    if attempt == 1 and not died.answered and time.monotonic() < run.old_at:
                        continue
                    raise
            finally:
                self._release(qp)
        raise AssertionError("unreachable")

    @staticmethod
    def _send(qp: QueryProcess, request: dict[str, Any]) -> None:
        """The one place a query goes to a query process."""
        qp.sock.settimeout(5.0)  # an idle process reads at once; this only bounds a wedged one
        frames.send_json(qp.sock, b"Q", request)

    def _answer(self, run: _Run, max_bytes: int) -> Answer:
        kind, payload = self._recv(run)
        if kind == b"C":
            run.qp.reusable = True
            header, body = frames.split_complete(payload)
            return Answer(header, body=body)
        if kind == b"X":
            run.qp.reusable = True
            failure = json.loads(payload)
            raise Problem(failure["code"], failure["message"])
        if kind == b"H":
            return self._spool(run, json.loads(payload), max_bytes)
        raise Problem("internal", f"Unexpected answer from the query process (frame {kind!r}).")

    def _spool(self, run: _Run, header: dict[str, Any], max_bytes: int) -> Answer:
        """Collect a big answer into a temporary file (memory up to SPOOL_MEMORY, then disk)."""
        # Not a `with` block: on success the open file leaves with the Answer and is closed after sending.
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, prefix="vlkg-result-")  # noqa: SIM115
        try:
            while True:
                kind, payload = self._recv(run)
                if kind == b"D":
                    spool.write(payload)
                    if spool.tell() > max_bytes:
                        raise Problem(
                            "result_too_large",
                            f"The result is larger than {max_bytes / 2**20:g} MiB, the limit of this service. Page "
                            "through it with ORDER BY + LIMIT/OFFSET, or load a dump from /dumps/.",
                        )
                elif kind == b"E":
                    run.qp.reusable = True
                    size = spool.tell()
                    spool.seek(0)
                    return Answer(header, file=spool, size=size)
                elif kind == b"A":
                    run.qp.reusable = True  # its last frame: the process is idle again
                    failure = json.loads(payload)
                    raise Problem(failure["code"], failure["message"])
                else:
                    raise Problem("internal", f"Unexpected answer from the query process (frame {kind!r}).")
        except BaseException:
            spool.close()
            raise

    def _recv(self, run: _Run) -> tuple[bytes, bytes]:
        """The next frame; the query turns old on the way if it runs past `old_after`."""
        qp = run.qp
        poller = select.poll()
        poller.register(qp.sock, select.POLLIN)
        try:
            while True:
                now = time.monotonic()
                if now >= run.deadline:
                    raise TimeoutError
                young = qp.state == "young"
                if young and now >= run.old_at:
                    with self._cond:
                        problem = self._demote(qp) if qp.state == "young" else None
                    if problem is not None:
                        raise problem
                    young = False
                until = min(run.deadline, run.old_at) if young else run.deadline
                # Wait for the start of a frame without reading, so aging never cuts a frame in half.
                if not poller.poll(max(1, int((until - now) * 1000) + 1)):
                    continue
                qp.sock.settimeout(max(0.001, run.deadline - time.monotonic()))
                frame = frames.recv(qp.sock)
                run.frames += 1
                return frame
        except TimeoutError:
            raise Problem(
                "timeout",
                f"The query was stopped after {run.timeout:g} s, the time limit for this request. Make it more "
                "selective (more specific patterns, LIMIT), or work on a copy of the data from /dumps/.",
            ) from None
        except (EOFError, OSError):
            try:
                status = qp.proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                status = None
            if status == MEMORY_EXIT:
                raise Problem(
                    "out_of_memory",
                    f"The query was stopped when it needed more than {self.memory_limit >> 20} MiB of memory, the "
                    "limit of this service. Make it more selective, or work on a copy of the data from /dumps/.",
                ) from None
            raise _Died(
                f"The query process running this query ended unexpectedly (exit status {status}); it has been "
                "replaced. Try again; if this repeats, the query is what stops it.",
                answered=run.frames > 0,
            ) from None

    # --- introspection and shutdown --------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """What /health reports: process counts and, when processes cannot start, why (no paths)."""
        with self._cond:
            return {"ready": len(self._ready), "busy": self._young, "old": self._old, "starting": self._starting,
                    "started": self._started, "slots": self.size, "max_old": self.max_old,
                    "failure": self._failure if self._failing() else None}

    def wait_ready(self, timeout: float) -> bool:
        """Wait until some process is ready or busy (True), or starts fail, or `timeout` passes (False)."""
        end = time.monotonic() + timeout
        with self._cond:
            while not (self._procs or self._failing() or self._closed):
                remaining = end - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return bool(self._procs)

    def pids(self) -> list[int]:
        """Process ids of the query processes (for tests and memory accounting)."""
        with self._cond:
            return [qp.pid for qp in self._procs]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            procs = list(self._procs)
            self._procs.clear()
            self._ready.clear()
            self._cond.notify_all()
        for qp in procs:
            qp.kill()

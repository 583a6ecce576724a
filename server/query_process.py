"""A long-lived query process: holds the store open read-only, runs one query at a time, writes results.

Started by `executor.py` as `python -m vlkg.server.query_process STORE FD`. pyoxigraph has no query
timeout or cancel (oxigraph#1926), so the HTTP worker kills this process when a query runs too long and
starts another; nothing else runs here, so killing it loses nothing. Imports stay minimal (no Flask)
to keep each process small.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Mapping
from typing import Any

from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    Store,
    serialize,
)

from vlkg.server import frames, sandbox
from vlkg.server.errors import READ_ONLY
from vlkg.server.executor import MEMORY_EXIT
from vlkg.server.formats import GRAPH_FORMATS, TABLE_FORMATS
from vlkg.server.results_writer import write_solutions
from vlkg.server.sparql_help import answer_prefixes, explain, needed_prefixes, predefined_for
from vlkg.server.sparql_scan import MAX_DEPTH, Scan, scan

TABLE = {f.key: getattr(QueryResultsFormat, f.engine) for f in TABLE_FORMATS}
GRAPH = {f.key: getattr(RdfFormat, f.engine) for f in GRAPH_FORMATS}
# Prefixes (the query's own and the predefined ones it uses) make Turtle-family output readable;
# N-Triples/N-Quads have none.
PREFIXED = {RdfFormat.TURTLE, RdfFormat.TRIG, RdfFormat.N3, RdfFormat.RDF_XML}
BOM = b"\xef\xbb\xbf"
STREAM_AFTER = 8 * 1024 * 1024  # answers up to this size go back in one frame; bigger ones in chunks
CHUNK = 1024 * 1024
MAX_UNKNOWN_FUNCTIONS = 64
_UNKNOWN_FUNCTION = re.compile(r"The custom function <([^>]*)> is not supported")
ALLOWED: tuple[str, ...] = ()  # the operator's SERVICE allow-list, set by main()


class QueryFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Output:
    """File-like sink for pyoxigraph serialisers: buffers small answers, streams big ones, counts bytes."""

    def __init__(self, sock: socket.socket, header: dict[str, Any], max_bytes: int, gzip: bool = False,
                 started: float = 0.0) -> None:
        self.sock = sock
        self.started = started
        self.header = header
        self.buf = bytearray()
        self.streaming = False
        self.max_bytes = max_bytes
        self.written = 0
        # Big answers bypass the HTTP layer's compression (they are sent from a file): compress them here,
        # in this process and under the timeout, when the client accepts gzip.
        self.gzip = zlib.compressobj(5, zlib.DEFLATED, 31) if gzip else None

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.max_bytes and self.written > self.max_bytes:
            raise QueryFailed("result_too_large", too_large(self.max_bytes))
        self.buf += data
        limit = CHUNK if self.streaming else STREAM_AFTER
        if len(self.buf) >= limit:
            if not self.streaming:
                if self.gzip is not None:
                    self.header["encoding"] = "gzip"
                self.header["ms"] = _elapsed_ms(self.started)  # time to the first bytes of a big answer
                frames.send_json(self.sock, b"H", self.header)
                self.streaming = True
            self._send(bytes(self.buf))
            self.buf.clear()
        return len(data)

    def _send(self, chunk: bytes, last: bool = False) -> None:
        if self.gzip is not None:
            chunk = self.gzip.compress(chunk) + (self.gzip.flush() if last else b"")
        if chunk:
            frames.send(self.sock, b"D", chunk)

    def flush(self) -> None:
        """pyoxigraph calls flush(); frames are sent by write() and finish()."""

    def finish(self) -> None:
        if self.streaming:
            self._send(bytes(self.buf), last=True)
            frames.send(self.sock, b"E", b"")
        else:
            _complete(self.sock, self.header, bytes(self.buf), self.started)


def too_large(max_bytes: int) -> str:
    return (f"The result is larger than {max_bytes / 2**20:g} MiB, the limit of this service. Page through it "
            "with ORDER BY + LIMIT/OFFSET, or load a dump from /dumps/.")


def _graphs(iris: list[str] | None) -> list[NamedNode] | None:
    return None if iris is None else [NamedNode(i) for i in iris]


def _service_message(endpoints: list[str]) -> str:
    allowed = ", ".join(ALLOWED) if ALLOWED else "none (SERVICE is off)"
    named = ", ".join(f"<{e}>" if ":" in e and not e.startswith("?") else e for e in endpoints) or "an endpoint"
    return (f"SERVICE {named} is refused: this server only calls allow-listed endpoints (allowed: {allowed}). "
            "Query that endpoint directly, or ask the operator to allow it.")


def _classify(exc: Exception, services: list[str], query: str = "", found: Scan | None = None,
              predefined: Mapping[str, str] | None = None) -> QueryFailed:
    """pyoxigraph's exception -> an error code of server/errors.py, with the engine's own message (a parse
    error explained for a person: line, column, the text there, the PREFIX line to add; sparql_help.py).

    An error while a SERVICE query runs is the remote side's (or the sandbox's) doing: the client gets
    our sentence, never the remote body, so the service cannot be used to read other servers.
    """
    message = str(exc)
    if isinstance(exc, SyntaxError):
        return QueryFailed("malformed_query", explain(message, query, found, predefined or predefined_for(None))
                            if query else message)
    if services and isinstance(exc, (OSError, RuntimeError)):
        return QueryFailed(
            "service_failed",
            f"A SERVICE call ({', '.join(services)}) failed: the endpoint could not be reached or did not "
            "answer with SPARQL results. Try again later, or use SERVICE SILENT to go on without it.",
        )
    if isinstance(exc, (RuntimeError, ValueError)):
        return QueryFailed("query_error", message)
    return QueryFailed("internal", f"{type(exc).__name__}: {message}")


def _evaluate(store: Store, req: dict[str, Any], union: bool, predefined: Mapping[str, str],
              found: Scan | None = None) -> Any:
    """store.query() with the predefined prefixes (the query's own PREFIX lines override them); a function
    the engine does not know is an evaluation error (unbound), not a refusal.

    Only the predefined prefixes the scan saw in use are handed over (all 29 cost pyoxigraph ~50 µs a
    query); should the scan ever miss one, a syntax error is retried with all of them.
    """
    functions: dict[NamedNode, Any] = {}
    prefixes = needed_prefixes(found, predefined) if found is not None else dict(predefined)
    while True:
        try:
            return store.query(
                req["query"],
                base_iri=req.get("base") or None,
                use_default_graph_as_union=union,
                default_graph=_graphs(req.get("default")),
                named_graphs=_graphs(req.get("named")),
                custom_functions=functions or None,
                prefixes=prefixes or None,
            )
        except SyntaxError:
            if len(prefixes) == len(predefined):
                raise
            prefixes = dict(predefined)
        except RuntimeError as exc:
            match = _UNKNOWN_FUNCTION.fullmatch(str(exc))
            if match is None or len(functions) >= MAX_UNKNOWN_FUNCTIONS:
                raise
            functions[NamedNode(match[1])] = _unbound


def _unbound(*_args: Any) -> None:
    """SPARQL 1.1 §17.3: an unknown function raises an evaluation error, so the expression is unbound."""
    return None


def _elapsed_ms(started: float) -> float:
    """Milliseconds of engine time (scan, parse, evaluation, serialisation) for the Server-Timing header."""
    return round((time.perf_counter() - started) * 1000, 2)


def _complete(sock: socket.socket, header: dict[str, Any], body: bytes, started: float) -> None:
    """Send a whole answer in one frame, its header stamped with the engine time."""
    header["ms"] = _elapsed_ms(started)
    frames.send_complete(sock, header, body)


def run(store: Store, req: dict[str, Any], out_sock: socket.socket) -> None:
    """Execute one job (server/job.py Job.wire()) and write its answer frames."""
    started = time.perf_counter()
    limit = req.get("limit") or 0
    max_bytes = req.get("max_bytes") or 0
    output: Output | None = None
    services: list[str] = []
    found: Scan | None = None
    predefined = predefined_for(req.get("base"))  # kg: and id: follow the served base IRI
    try:
        found = scan(req["query"], req.get("base") or "")
        if found.depth > MAX_DEPTH:
            raise QueryFailed(
                "malformed_query",
                f"The query nests brackets more than {MAX_DEPTH} levels deep, more than this service parses. "
                "Flatten it (e.g. VALUES or UNION instead of nested groups).",
            )
        if found.is_update:
            raise QueryFailed("update_refused", READ_ONLY)
        services = found.services
        refused = [e for e in services if e not in ALLOWED]
        if refused:  # a friendly early answer; the sandbox is what stops the spellings the scan misses
            raise QueryFailed("service_refused", _service_message(refused))
        union = bool(req.get("union")) and not found.has_dataset_clause
        results = _evaluate(store, req, union, predefined, found)
        is_table = isinstance(results, (QuerySolutions, QueryBoolean))
        form = "table" if is_table else "graph"
        fmt = req.get(form)
        if not fmt:
            raise QueryFailed("not_acceptable", (req.get("refusal") or {}).get(form, "No offered format fits."))
        header: dict[str, Any] = {"form": form, "format": fmt}
        prefixes = answer_prefixes(found, predefined=predefined) if form == "graph" else None
        if isinstance(results, QueryBoolean):
            body = results.serialize(format=TABLE[fmt])
            _complete(out_sock, header, (BOM + body) if fmt == "csv-excel" else body, started)
            return
        if limit:
            rows = list(itertools.islice(results, limit + 1))
            header.update(truncated=len(rows) > limit, limit=limit)
            del rows[limit:]
            if isinstance(results, QuerySolutions):
                body = write_solutions(results.variables, rows, fmt)
            else:
                iris = (t.value for row in rows for t in (row.subject, row.predicate, row.object)
                        if isinstance(t, NamedNode))
                prefixed = answer_prefixes(found, iris, predefined) if GRAPH[fmt] in PREFIXED else None
                body = serialize(rows, format=GRAPH[fmt], prefixes=prefixed)
            body = (BOM + body) if fmt == "csv-excel" else body
            if max_bytes and len(body) > max_bytes:
                raise QueryFailed("result_too_large", too_large(max_bytes))
            _complete(out_sock, header, body, started)
            return
        output = Output(out_sock, header, max_bytes, gzip=bool(req.get("gzip")), started=started)
        if fmt == "csv-excel":
            output.write(BOM)
        if isinstance(results, QuerySolutions):
            results.serialize(output, format=TABLE[fmt])
        elif prefixes and GRAPH[fmt] in PREFIXED:
            serialize(results, output, format=GRAPH[fmt], prefixes=prefixes)
        else:
            results.serialize(output, format=GRAPH[fmt])
    except (QueryFailed, SyntaxError, RuntimeError, ValueError, OSError) as exc:
        if output is not None and output.written > output.max_bytes > 0:
            failure = QueryFailed("result_too_large", too_large(max_bytes))  # pyoxigraph may wrap our exception
        else:
            failure = exc if isinstance(exc, QueryFailed) else \
                _classify(exc, services, req["query"], found, predefined)
        started = output is not None and output.streaming
        frames.send_json(out_sock, b"A" if started else b"X", {"code": failure.code, "message": str(failure)})
        return
    output.finish()


def _watchdog(memory_limit: int) -> None:
    """Exit if the HTTP worker dies, or if this process outgrows `memory_limit` bytes (0 = no limit).

    Runs while a query evaluates (pyoxigraph releases the GIL then), so it also stops a runaway query
    whose worker is gone, or one that would exhaust the machine's memory before its timeout.
    """
    parent = os.getppid()
    page = os.sysconf("SC_PAGE_SIZE")

    def watch() -> None:
        while os.getppid() == parent:
            if memory_limit:
                with open("/proc/self/statm", "rb") as statm:
                    if int(statm.read().split()[1]) * page > memory_limit:
                        os._exit(MEMORY_EXIT)
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str]) -> None:
    """Open the store read-only, then answer requests until the parent closes the socket."""
    store_path, fd, memory_limit = argv[0], int(argv[1]), int(argv[2])
    global ALLOWED
    ALLOWED = tuple(json.loads(argv[3])) if len(argv) > 3 else ()
    try:  # before anything else: no query ever runs with network access
        sandbox.isolate_network(ALLOWED)
    except (OSError, ValueError) as exc:
        print(f"vlkg query process: cannot cut itself off the network ({exc}); it will not run queries. "
              "Run the server as root, or enable unprivileged user namespaces.", file=sys.stderr, flush=True)
        os._exit(sandbox.SANDBOX_EXIT)
    _watchdog(memory_limit)
    sock = socket.socket(fileno=fd)
    try:  # open and read one quad: a missing, locked or garbage store fails here, not on a user's query
        store = Store.read_only(store_path)
        next(iter(store.quads_for_pattern(None, None, None)), None)
    except Exception as exc:  # whatever the cause, this process cannot serve
        print(f"vlkg query process: cannot open the store {store_path}: {exc}", file=sys.stderr, flush=True)
        try:  # the reason names no path: it may reach /health
            frames.send_json(sock, b"F", {"reason": "the store cannot be opened or read"})
        finally:
            os._exit(2)
    frames.send(sock, b"R", b"")  # ready: the pool hands queries only to processes that said so
    while True:
        try:
            kind, payload = frames.recv(sock)
        except (EOFError, OSError):
            return
        if kind != b"Q":
            continue
        run(store, json.loads(payload), sock)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main(sys.argv[1:])

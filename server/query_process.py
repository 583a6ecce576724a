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
import socket
import sys
import threading
import time
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
from vlkg.server.executor import MEMORY_EXIT
from vlkg.server.formats import GRAPH_FORMATS, TABLE_FORMATS
from vlkg.server.results_writer import write_solutions

TABLE = {f.key: getattr(QueryResultsFormat, f.engine) for f in TABLE_FORMATS}
GRAPH = {f.key: getattr(RdfFormat, f.engine) for f in GRAPH_FORMATS}
# The query's own PREFIX declarations make Turtle-family output readable; N-Triples/N-Quads have none.
PREFIXED = {RdfFormat.TURTLE, RdfFormat.TRIG, RdfFormat.N3, RdfFormat.RDF_XML}
BOM = b"\xef\xbb\xbf"
STREAM_AFTER = 8 * 1024 * 1024  # answers up to this size go back in one frame; bigger ones in chunks
CHUNK = 1024 * 1024


class QueryFailed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Output:
    """File-like sink for pyoxigraph serialisers: buffers small answers, streams big ones."""

    def __init__(self, sock: socket.socket, header: dict[str, Any]) -> None:
        self.sock = sock
        self.header = header
        self.buf = bytearray()
        self.streaming = False

    def write(self, data: bytes) -> int:
        self.buf += data
        limit = CHUNK if self.streaming else STREAM_AFTER
        if len(self.buf) >= limit:
            if not self.streaming:
                frames.send_json(self.sock, b"H", self.header)
                self.streaming = True
            frames.send(self.sock, b"D", bytes(self.buf))
            self.buf.clear()
        return len(data)

    def flush(self) -> None:
        """pyoxigraph calls flush(); frames are sent by write() and finish()."""

    def finish(self) -> None:
        if self.streaming:
            if self.buf:
                frames.send(self.sock, b"D", bytes(self.buf))
            frames.send(self.sock, b"E", b"")
        else:
            frames.send_complete(self.sock, self.header, bytes(self.buf))


def _graphs(iris: list[str] | None) -> list[NamedNode] | None:
    return None if iris is None else [NamedNode(i) for i in iris]


def _classify(exc: Exception) -> QueryFailed:
    """pyoxigraph's exception -> an error code of server/errors.py, with the engine's own message."""
    message = str(exc)
    if isinstance(exc, SyntaxError):
        return QueryFailed("malformed_query", message)
    if "custom function" in message and "not supported" in message:
        return QueryFailed("unknown_function", message + " (pyoxigraph implements the SPARQL 1.1 functions only).")
    if isinstance(exc, (RuntimeError, ValueError)):
        return QueryFailed("query_error", message)
    return QueryFailed("internal", f"{type(exc).__name__}: {message}")


def run(store: Store, req: dict[str, Any], out_sock: socket.socket) -> None:
    """Execute one request and write its answer frames."""
    fmt = req["format"]
    limit = req.get("limit") or 0
    prefixes = req.get("prefixes") or None
    output: Output | None = None
    try:
        results = store.query(
            req["query"],
            base_iri=req.get("base") or None,
            use_default_graph_as_union=req.get("union", False),
            default_graph=_graphs(req.get("default")),
            named_graphs=_graphs(req.get("named")),
        )
        header: dict[str, Any] = {}
        if (fmt in TABLE) != isinstance(results, (QuerySolutions, QueryBoolean)):  # the parent misread the form
            raise QueryFailed("not_acceptable", f"format {fmt} does not fit this query form")
        if isinstance(results, QueryBoolean):
            body = results.serialize(format=TABLE[fmt])
            frames.send_complete(out_sock, header, (BOM + body) if fmt == "csv-excel" else body)
            return
        if limit:
            rows = list(itertools.islice(results, limit + 1))
            header.update(truncated=len(rows) > limit, limit=limit)
            del rows[limit:]
            if isinstance(results, QuerySolutions):
                body = write_solutions(results.variables, rows, fmt)
            else:
                prefixed = prefixes if GRAPH[fmt] in PREFIXED else None
                body = serialize(rows, format=GRAPH[fmt], prefixes=prefixed)
            frames.send_complete(out_sock, header, (BOM + body) if fmt == "csv-excel" else body)
            return
        output = Output(out_sock, header)
        if fmt == "csv-excel":
            output.write(BOM)
        if isinstance(results, QuerySolutions):
            results.serialize(output, format=TABLE[fmt])
        elif prefixes and GRAPH[fmt] in PREFIXED:
            serialize(results, output, format=GRAPH[fmt], prefixes=prefixes)
        else:
            results.serialize(output, format=GRAPH[fmt])
    except (QueryFailed, SyntaxError, RuntimeError, ValueError, OSError) as exc:
        failure = exc if isinstance(exc, QueryFailed) else _classify(exc)
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
    sandbox.isolate_network()  # before anything else: no query ever runs with network access
    _watchdog(memory_limit)
    sock = socket.socket(fileno=fd)
    store = Store.read_only(store_path)
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

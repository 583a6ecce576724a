"""Send GET requests to one endpoint from N threads (one kept-alive connection each) and time them."""

from __future__ import annotations

import http.client
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

GRAPH_FORMS = re.compile(r"^\s*(CONSTRUCT|DESCRIBE)\b", re.IGNORECASE | re.MULTILINE)


def accept_for(query: str) -> str:
    """JSON results for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE (the same for both servers)."""
    return "application/n-triples" if GRAPH_FORMS.search(query) else "application/sparql-results+json"


@dataclass
class Cell:
    """The timings of one (server, query, mode, concurrency) run."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_s: float = 0.0
    first_error: str = ""

    @property
    def n(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the latencies (ms)."""
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]

    @property
    def throughput(self) -> float:
        return self.n / self.wall_s if self.wall_s > 0 and self.n else math.nan

    def summary(self) -> dict:
        return {"n": self.n, "errors": self.errors, "p50_ms": self.percentile(0.5),
                "p95_ms": self.percentile(0.95), "throughput_rps": self.throughput, "wall_s": self.wall_s,
                "first_error": self.first_error}


class Endpoint:
    """A SPARQL endpoint URL; builds GET requests for it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path

    def target(self, query: str) -> str:
        return f"{self.path}?{urlencode({'query': query})}"

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, query: str) -> tuple[int, bytes]:
        """One request on a fresh connection (warm-up and result checks)."""
        conn = self.connect()
        try:
            conn.request("GET", self.target(query), headers={"Accept": accept_for(query)})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def result_size(query: str, body: bytes) -> str:
    """A short account of a result (rows, boolean or triples), to check both servers answer alike."""
    if GRAPH_FORMS.search(query):
        return f"{sum(1 for line in body.splitlines() if line.strip())} triples"
    doc = json.loads(body)
    if "boolean" in doc:
        return f"boolean {doc['boolean']}"
    return f"{len(doc['results']['bindings'])} rows"


def run(endpoint: Endpoint, make_query: Callable[[int], str], count: int, concurrency: int,
        time_cap_s: float) -> Cell:
    """Send `count` requests (request i carries make_query(i)) from `concurrency` threads, within the cap."""
    cell = Cell()
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + time_cap_s

    def worker() -> None:
        conn = endpoint.connect()
        try:
            while time.monotonic() < deadline:
                i = next(counter)
                if i >= count:
                    return
                query = make_query(i)
                target, headers = endpoint.target(query), {"Accept": accept_for(query)}
                start = time.perf_counter()
                try:
                    conn.request("GET", target, headers=headers)
                    resp = conn.getresponse()
                    resp.read()
                    status = resp.status
                except (OSError, http.client.HTTPException) as exc:
                    conn.close()
                    conn = endpoint.connect()
                    status, exc_text = 0, f"{type(exc).__name__}: {exc}"
                else:
                    exc_text = f"HTTP {status}"
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    if status == 200:
                        cell.latencies_ms.append(elapsed)
                    else:
                        cell.errors += 1
                        cell.first_error = cell.first_error or exc_text
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.wall_s = time.perf_counter() - start
    return cell

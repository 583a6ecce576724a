"""Blueprint: /health (whether queries can run now, from the query pool's own state) and /version.

/health never opens the store in the HTTP worker and never waits for a query slot: it reads the
executor's bookkeeping (ready, busy and old processes, and why none can start), so it answers at once
even while runaway queries keep every process busy. It says 503 when query processes cannot start (the
store was deleted or damaged after start-up, or the sandbox refuses), with a reason that names no path.
"""

from __future__ import annotations

import platform
from typing import Any

import pyoxigraph
from flask import Blueprint, Response, current_app, jsonify

import vlkg
from vlkg.server import build_info
from vlkg.server.errors import Problem

bp = Blueprint("health", __name__)

FIRST_START_WAIT = 5.0  # seconds /health waits for the first query process right after start-up
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"


def _triples(backend: Any, ready: int) -> int | None:
    """The build's size (Backend.triples); a bare store is counted in a ready query process, never by
    waiting for one: /health stays fast under load."""

    def count() -> int:
        rows = backend.query_json(COUNT, union=False, timeout=5.0)["results"]["bindings"]
        return int(rows[0]["n"]["value"])

    try:
        return backend.triples(count if ready else None)
    except (Problem, LookupError, ValueError):  # busy or slow now: say nothing rather than wait
        return None


@bp.get("/health")
def health() -> Response:
    """200 with the build id, size and query processes; 503 with a reason when queries cannot run."""
    backend = current_app.extensions["vlkg"]
    executor = backend.executor
    state = executor.state()
    if not (state["ready"] or state["busy"] or state["old"]) and state["failure"] is None:
        executor.wait_ready(FIRST_START_WAIT)  # just after start-up, the first process is on its way
        state = executor.state()
    failure = state.pop("failure")
    if failure is not None or not (state["ready"] or state["busy"] or state["old"]):
        reason = f"Query processes cannot start: {failure}." if failure else "Query processes are starting."
        response = jsonify(status="unavailable", reason=reason, build_id=backend.build_id, query_processes=state)
        response.status_code = 503
        response.headers["Retry-After"] = "30" if failure else "5"
    else:
        response = jsonify(status="ok", build_id=backend.build_id, triples=_triples(backend, state["ready"]),
                           query_processes=state)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/version")
def version() -> Response:
    """Versions of the code, the engine and the data being served."""
    backend = current_app.extensions["vlkg"]
    response = jsonify(
        vlkg=vlkg.__version__, pyoxigraph=pyoxigraph.__version__, python=platform.python_version(),
        build_id=backend.build_id, build_date=build_info.build_date(backend.manifest),
        dataset_version=backend.manifest.get("dataset_version"), issued=backend.manifest.get("issued"),
    )
    response.headers["Cache-Control"] = "no-cache"
    return response

"""One error map: every failure becomes a status and a sentence saying what is wrong and what to do.

Raise `Problem(code, message)` anywhere (the query processes send the same codes back). The body is
plain text, or JSON when the client prefers JSON (`{"error": {"status", "code", "title", "message"}}`).
werkzeug's own HTTP errors (404, 405, 413, ...) are rendered the same way.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported where responses are made: the CLI process imports this module too
    from flask import Flask, Response
    from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# code -> (HTTP status, title). The one place where statuses are decided.
ERRORS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "Bad request"),
    "malformed_query": (400, "Malformed query"),
    "unknown_function": (400, "Unknown function"),
    "query_error": (400, "Query could not be evaluated"),
    "update_refused": (403, "Updates are not accepted"),
    "service_refused": (403, "SERVICE call refused"),
    "not_found": (404, "Not found"),
    "method_not_allowed": (405, "Method not allowed"),
    "not_acceptable": (406, "Not acceptable"),
    "request_timeout": (408, "Request timeout"),
    "too_large": (413, "Request too large"),
    "unsupported_media_type": (415, "Unsupported media type"),
    "too_many_requests": (429, "Too many requests"),
    "internal": (500, "Internal error"),
    "service_failed": (502, "SERVICE call failed"),
    "timeout": (503, "Query timed out"),
    "busy": (503, "Server busy"),
    "unavailable": (503, "Service unavailable"),
    "result_too_large": (507, "Result too large"),
    "out_of_memory": (507, "Query needs too much memory"),
}
_BY_STATUS = {status: code for code, (status, _title) in reversed(ERRORS.items())}


class Problem(Exception):
    """A failure with a code from ERRORS and a message for the client; `headers` are added as-is."""

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return ERRORS[self.code][0]


def error_response(problem: Problem) -> Response:
    """Render a Problem as plain text or JSON, never cached."""
    from flask import Response

    status, title = ERRORS[problem.code]
    wants_json = _prefers_json()
    if wants_json:
        body: Any = json.dumps(
            {"error": {"status": status, "code": problem.code, "title": title, "message": problem.message}},
            ensure_ascii=False,
        )
        mimetype = "application/json"
    else:
        body = f"{status} {title}\n\n{problem.message}\n"
        mimetype = "text/plain"
    response = Response(body, status=status, mimetype=mimetype)
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    return response


def _prefers_json() -> bool:
    from flask import request

    accept = request.accept_mimetypes
    best = accept.best_match(["text/plain", "application/json", "application/sparql-results+json"])
    return best is not None and best != "text/plain" and accept.quality(best) > accept.quality("text/plain")


def _http_exception(exc: HTTPException) -> Response:
    code = _BY_STATUS.get(exc.code or 500, "bad_request" if (exc.code or 500) < 500 else "internal")
    message = exc.description or ERRORS[code][1]
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    response = error_response(Problem(code, message, headers))
    response.status_code = exc.code or 500  # keep werkzeug's exact status (e.g. 416), shape from the map
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(
        Problem("internal", f"The server failed ({type(exc).__name__}). This is a bug; please report the request.")
    )


def init_app(app: Flask) -> None:
    """Register the handlers: Problem, werkzeug HTTP errors, and anything unexpected (500, logged)."""
    from werkzeug.exceptions import HTTPException

    app.register_error_handler(Problem, error_response)
    app.register_error_handler(HTTPException, _http_exception)
    app.register_error_handler(Exception, _unexpected)

"""One error map: every failure becomes a status and a sentence saying what is wrong and what to do.

Raise `Problem(code, message)` anywhere (the query processes send the same codes back). The body is
plain text, JSON when the client prefers JSON (`{"error": {"status", "code", "title", "message"}}`), or
an HTML page when it prefers HTML (a browser). werkzeug's own HTTP errors (404, 405, 413, 416, ...) are
rendered the same way; every 503 and 429 carries Retry-After.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Flask is imported where responses are made: the CLI process imports this module too
    from flask import Flask, Response
    from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

READ_ONLY = (
    "This service is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, ...) is not accepted "
    "and nothing was changed. To work on the data, load a dump from /dumps/ into your own store."
)

# code -> (HTTP status, title). The one place where statuses are decided.
ERRORS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "Bad request"),
    "malformed_query": (400, "Malformed query"),
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
    """A failure with a code from ERRORS and a message for the client; `headers` are added as-is.

    `hints` are (sentence, link) pairs; a link is a path on this site ("/dumps/") or an absolute URL.
    """

    def __init__(self, code: str, message: str, headers: dict[str, str] | None = None,
                 hints: list[tuple[str, str]] | None = None) -> None:
        if code not in ERRORS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.hints = hints or []

    @property
    def status(self) -> int:
        return ERRORS[self.code][0]


# Every 503 and 429 says when to come back (RFC 9110 10.2.3); a Problem may name its own time.
DEFAULT_RETRY_AFTER = "5"
# The Vietnamese heading of the HTML error page, by status (the English title comes from ERRORS).
_VI_TITLES = {
    400: "Yêu cầu không hợp lệ", 403: "Yêu cầu bị từ chối", 404: "Không tìm thấy",
    405: "Phương thức không được hỗ trợ", 406: "Không có định dạng phù hợp", 408: "Hết thời gian chờ yêu cầu",
    413: "Yêu cầu quá lớn", 414: "Địa chỉ yêu cầu quá dài", 415: "Kiểu nội dung không được hỗ trợ",
    416: "Khoảng byte không hợp lệ",
    429: "Quá nhiều yêu cầu", 500: "Lỗi máy chủ", 502: "Lỗi khi gọi dịch vụ khác",
    503: "Máy chủ tạm thời không phục vụ", 507: "Kết quả quá lớn",
}


def error_response(problem: Problem, status: int | None = None, title: str | None = None) -> Response:
    """Render a Problem, never cached: an HTML page for browsers, else plain text or JSON (formats.ERROR_FORMATS)."""
    from flask import Response, request

    from vlkg.server.formats import ERROR_FORMATS, HTML, JSON, NotAcceptable, choose_header

    default_status, default_title = ERRORS[problem.code]
    status = status or default_status
    title = title or default_title
    try:
        fmt, _ = choose_header(ERROR_FORMATS, request.headers.get("Accept", ""), None, "an error")
    except NotAcceptable:  # e.g. Accept: text/turtle: the sentence still has to reach the client
        fmt = ERROR_FORMATS[0]
    body: str | None = None
    if fmt is HTML:
        body = _html(problem, status, title)
    if body is not None:
        mimetype = "text/html"
    elif fmt is JSON:
        error: dict[str, Any] = {"status": status, "code": problem.code, "title": title, "message": problem.message}
        if problem.hints:
            error["hints"] = [{"text": why, "href": _absolute(href)} for why, href in problem.hints]
        body, mimetype = json.dumps({"error": error}, ensure_ascii=False), "application/json"
    else:
        lines = [f"{status} {title}", "", problem.message]
        lines += [f"- {why}: {_absolute(href)}" for why, href in problem.hints]
        body, mimetype = "\n".join(lines) + "\n", "text/plain"
    response = Response(body, status=status, mimetype=mimetype)
    response.headers.update(problem.headers)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Accept"
    if status in (429, 503) and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = DEFAULT_RETRY_AFTER
    return response


def _absolute(href: str) -> str:
    """A hint's link for text and JSON: site paths become URLs at the configured base IRI, not Host."""
    from vlkg.server.responses import public_url

    return public_url(href) if href.startswith("/") else href


def _html(problem: Problem, status: int, title: str) -> str | None:
    """The HTML error page, or None if it cannot be drawn (the text body is sent instead)."""
    from flask import render_template

    from vlkg.server.responses import site_path

    hints = [(why, site_path(href) if href.startswith("/") else href) for why, href in problem.hints]
    try:
        return render_template("problem.html", status=status, title=title, title_vi=_VI_TITLES.get(status),
                               message=problem.message, hints=hints)
    except Exception:  # a broken page must not hide the error itself
        log.exception("the HTML error page failed")
        return None


def _http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _BY_STATUS.get(status, "bad_request" if status < 500 else "internal")
    title = ERRORS[code][1] if status in _BY_STATUS else exc.name  # e.g. 416 keeps werkzeug's own title
    message = exc.description or title
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return error_response(Problem(code, message, headers), status=status, title=title)


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

"""CORS for browser clients: any origin, GET/HEAD/POST/OPTIONS only, no credentials.

A fixed `Access-Control-Allow-Origin: *` (not the reflected Origin) keeps shared caches from splitting
per origin (ecosystem-notes D5). A POST with Content-Type application/sparql-query is not a "simple"
request, so browsers send a preflight OPTIONS first; it is answered here for every path.
"""

from __future__ import annotations

from flask import Flask, Response, request

METHODS = "GET, HEAD, POST, OPTIONS"
ALLOWED_HEADERS = ("Accept, Accept-Language, Content-Type, Cache-Control, If-None-Match, If-Range, Range, "
                   "X-Requested-With")
# Readable by scripts on other origins besides the defaults: caching, ranges, when to retry, alternates.
EXPOSED = ("ETag", "Content-Disposition", "Content-Range", "Accept-Ranges", "Retry-After", "Link")


def init_app(app: Flask, exposed: tuple[str, ...]) -> None:
    """Answer preflights and add CORS headers to every response."""
    expose = ", ".join((*EXPOSED, *exposed))

    @app.before_request
    def _preflight() -> Response | None:
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = METHODS
            requested = request.headers.get("Access-Control-Request-Headers")
            response.headers["Access-Control-Allow-Headers"] = requested or ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
            return response
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = expose
        return response

"""Headers on every response, from one after_request hook.

- `X-Content-Type-Options: nosniff`: a text/plain error that echoes a query is never run as HTML or script.
- `Referrer-Policy`: queries travel in URLs; other sites see only our origin.
- HTML pages get a Content-Security-Policy: scripts and styles only from this server (the page's
  configuration is a `<script type="application/json">` block, which is data, not script); nothing
  fetched elsewhere; no plugins, no <base>, no framing by other sites (a view that is made to be framed, the
  reconciliation preview, says so with `allow_framing`). Inline styles stay allowed:
  YASGUI's column resizer injects <style> elements with generated content (no hash can name them),
  CodeMirror sizes its panes with style attributes, and CSS cannot run code.
- Every 503 and 429 carries Retry-After (errors.py sets it on the problems it renders; this catches the rest).
"""

from __future__ import annotations

from flask import Flask, Response

from vlkg.server.errors import DEFAULT_RETRY_AFTER

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
FRAMABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'self'", "frame-ancestors *")
REFERRER_POLICY = "strict-origin-when-cross-origin"


def init_app(app: Flask) -> None:
    """Register the hook."""
    app.after_request(add_headers)


def allow_framing(response: Response) -> Response:
    """Let any site frame this HTML response (OpenRefine shows reconciliation previews in an iframe); the rest of
    the policy stays."""
    response.vlkg_framable = True  # type: ignore[attr-defined]  # read by add_headers
    return response


def add_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", REFERRER_POLICY)
    if response.mimetype == "text/html":
        framable = getattr(response, "vlkg_framable", False)
        response.headers["Content-Security-Policy"] = FRAMABLE_POLICY if framable else CONTENT_SECURITY_POLICY
    if response.status_code in (429, 503) and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = DEFAULT_RETRY_AFTER
    return response

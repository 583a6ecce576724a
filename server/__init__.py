"""The vlkg HTTP service: a Flask app factory, one blueprint per surface (sparql, ui, entities, dumps).

Nothing is opened at import time; importing `vlkg.server.settings` or `vlkg.server.cli` does not import
Flask or pyoxigraph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

# flask-compress leaves these out by default (ecosystem-notes D4): without them nothing we serve is compressed.
COMPRESSED_TYPES = (
    "application/sparql-results+json", "application/sparql-results+xml", "application/json", "application/xml",
    "text/xml", "text/csv", "text/tab-separated-values", "text/turtle", "application/n-triples",
    "application/n-quads", "application/trig", "application/ld+json", "application/rdf+xml", "text/n3",
    "text/html", "text/css", "text/plain", "application/javascript", "text/javascript", "image/svg+xml",
)


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    """Build the app for one store (a build directory or a bare pyoxigraph store).

    `settings` overrides the declared defaults and VLKG_* variables (see `server/settings.py`), e.g.
    {"store": "build"}. The store's query processes start on the first query, in the serving process.
    """
    from flask import Flask
    from flask_compress import Compress

    from vlkg.server import cors, dumps, entities, errors, health, malloc, reconcile, search, sparql, ui, wsgi_guard
    from vlkg.server.backend import Backend
    from vlkg.server.settings import resolve_settings

    malloc.tune()  # large request bodies must not raise the worker's memory for good
    app = Flask(__name__)
    resolved = resolve_settings(settings or {})
    app.config["VLKG"] = resolved
    app.config["MAX_CONTENT_LENGTH"] = resolved["max_request_bytes"]
    app.config["MAX_FORM_MEMORY_SIZE"] = resolved["max_request_bytes"]
    app.config["COMPRESS_MIMETYPES"] = list(COMPRESSED_TYPES)
    app.config["COMPRESS_LEVEL"] = 5  # gzip: most of the gain at a fraction of level 9's time
    app.extensions["vlkg"] = Backend.open(resolved)
    errors.init_app(app)
    wsgi_guard.install(app)  # bodies read whole under a deadline and a size cap, before any view
    from vlkg.server import headers  # nosniff, CSP, Referrer-Policy, Retry-After: on every response

    headers.init_app(app)
    cors.init_app(app, sparql.EXPOSED_HEADERS)
    Compress(app)
    for module in (sparql, ui, entities, dumps, health, search, reconcile):
        app.register_blueprint(module.bp)
    return app

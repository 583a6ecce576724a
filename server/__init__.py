"""The vlkg HTTP service: a Flask app factory, one blueprint per surface."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(settings: dict[str, Any] | None = None) -> Flask:
    """Build the app for one store; nothing is opened at import time.

    `settings` overrides the declared defaults (see `server/settings.py`), e.g. {"store": "build"}.
    """
    from vlkg.server import dumps, entities, errors, sparql, ui
    from vlkg.server.backend import Backend
    from vlkg.server.settings import resolve_settings

    app = Flask(__name__)
    resolved = resolve_settings(settings or {})
    app.config["VLKG"] = resolved
    app.extensions["vlkg"] = Backend.open(resolved)
    errors.init_app(app)
    for module in (sparql, ui, entities, dumps):
        app.register_blueprint(module.bp)
    return app

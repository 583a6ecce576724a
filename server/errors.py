"""One error map: every failure becomes a status and a sentence saying what is wrong and what to do."""

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the error handlers (placeholder, filled by its owner)."""

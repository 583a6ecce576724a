"""Blueprint: ui (placeholder, filled by its owner)."""

from flask import Blueprint

bp = Blueprint("ui", __name__)

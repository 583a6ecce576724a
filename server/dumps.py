"""Blueprint: dumps (placeholder, filled by its owner)."""

from flask import Blueprint

bp = Blueprint("dumps", __name__)

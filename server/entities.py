"""Blueprint: entities (placeholder, filled by its owner)."""

from flask import Blueprint

bp = Blueprint("entities", __name__)

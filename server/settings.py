"""Every server setting, declared once: it feeds CLI flags, VLKG_* environment variables and the README."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, type and a one-line help."""

    name: str
    default: Any
    type: type
    help: str

    @property
    def env(self) -> str:
        return "VLKG_" + self.name.upper()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "build", str, "Build directory (or bare pyoxigraph store directory) to serve read-only."),
    Setting("host", "127.0.0.1", str, "Interface to listen on."),
    Setting("port", 8000, int, "TCP port to listen on."),
    Setting("base_iri", "https://vinhloc-kg.example/", str,
            "IRI prefix of the data; /id/... on this server resolves <base_iri>id/...."),
)


def resolve_settings(overrides: dict[str, Any]) -> dict[str, Any]:
    """Defaults, then VLKG_* environment variables, then explicit overrides (CLI or tests)."""
    values: dict[str, Any] = {}
    for s in SETTINGS:
        value = overrides.get(s.name)
        if value is None and s.env in os.environ:
            value = os.environ[s.env]
        if value is None:
            value = s.default
        values[s.name] = s.type(value) if not isinstance(value, s.type) else value
    return values

"""Every server setting, declared once: it feeds CLI flags, VLKG_* environment variables and the README.

Order of precedence: explicit values (CLI flags, or a dict in tests) > VLKG_* environment > default.
`vlkg serve` passes the resolved values to its worker processes through the same VLKG_* variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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

    def parse(self, value: Any) -> Any:
        """Convert a CLI/env/test value to this setting's type; ValueError says what is expected."""
        if isinstance(value, self.type) and not (self.type is int and isinstance(value, bool)):
            return value
        text = str(value).strip()
        if self.type is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(f"{self.name}: expected true/false, got {value!r}")
        if self.type is tuple:  # comma- or space-separated list of strings
            return tuple(part for part in text.replace(",", " ").split() if part)
        try:
            return self.type(text)
        except ValueError:
            raise ValueError(f"{self.name}: expected {self.type.__name__}, got {value!r}") from None


SETTINGS: tuple[Setting, ...] = (
    Setting("store", "build", str,
            "Build directory written by `vlkg build`, or any pyoxigraph store directory, served read-only."),
    Setting("host", "127.0.0.1", str, "Interface to listen on (0.0.0.0 for all)."),
    Setting("port", 8000, int, "TCP port to listen on."),
    Setting("server", "granian", str,
            "WSGI server: `granian` (fastest measured) or `gunicorn` (gthread worker)."),
    Setting("workers", 1, int,
            "HTTP worker processes. Each has its own query processes and result cache."),
    Setting("threads", 32, int,
            "Request threads per HTTP worker. Most wait on query processes (idle, cheap), so keep enough for "
            "every running and queued query plus the light requests beside them."),
    Setting("executors", 0, int,
            "Query processes kept ready per HTTP worker (each holds the store open read-only); more start "
            "while queries run, up to executors + max-old-queries + 3. 0 = number of CPU cores."),
    Setting("old_after", 1.0, float,
            "Seconds after which a running query is old: its process drops to the lowest CPU priority (nice "
            "19), so short queries stay fast beside long ones."),
    Setting("max_old_queries", 4, int,
            "Old queries running at once per HTTP worker (each holds a query process); a query turning old "
            "past it is stopped with 503 and Retry-After."),
    Setting("max_old_per_client", 2, int,
            "Old queries running at once per client address and HTTP worker; a query turning old past it is "
            "stopped with 429 and Retry-After. 0 = no per-client limit (use 0 behind a reverse proxy, where "
            "every client has the proxy's address)."),
    Setting("timeout", 30.0, float,
            "Query timeout in seconds when the request gives none; the query process is killed at the limit."),
    Setting("max_timeout", 30.0, float, "Largest per-request `timeout=` a client may ask for, in seconds."),
    Setting("max_row_limit", 10000, int,
            "Largest `row-limit=` a client (the query UI) may ask for; results past it are cut and flagged."),
    Setting("result_cap", 0, int,
            "Cap on rows (or triples) for every response, API clients included; 0 = no cap (full results)."),
    Setting("query_memory_mb", 256, int,
            "Memory limit of one query process in MiB; a query that needs more is stopped (507). 0 = none."),
    Setting("max_result_mb", 512, int,
            "Largest result (after serialisation) in MiB; a bigger one gets 507 and a hint to page or use dumps."),
    Setting("max_request_bytes", 1_000_000, int,
            "Largest request body (chunked ones included) or query string accepted; larger requests get 413. "
            "A GET URL is further limited to 65,534 bytes by the HTTP layer (414): send longer queries by POST."),
    Setting("header_timeout", 5.0, float,
            "Seconds a client has to send the request line and headers; a slower one is dropped (gunicorn "
            "answers 408, granian closes the connection). granian reads heads without a request thread."),
    Setting("body_timeout", 10.0, float,
            "Seconds a client has to send the whole request body; a slower one gets 408 and frees its request "
            "thread. 10 s carries a 1 MB body at 100 KB/s."),
    Setting("service_allow", (), tuple,
            "Endpoint IRIs that SPARQL SERVICE may call (comma-separated). Empty = SERVICE refused."),
    Setting("cache_mb", 8, int,
            "Result cache per HTTP worker in MiB (keyed by build, query, dataset, format); 0 = off."),
    Setting("http_max_age", 300, int, "Cache-Control max-age (seconds) for GET results; ETags allow 304 after that."),
    Setting("base_iri", "https://vinhloc-kg.example/", str,
            "Base IRI of the data: /id/... on this server resolves <base_iri>id/...; relative IRIs in "
            "queries resolve against it."),
    Setting("public_url", "", str,
            "URL at which clients reach this server, for the links the reconciliation service (/reconcile) "
            "hands to OpenRefine: preview, suggest, entity pages (e.g. http://127.0.0.1:8000/ for a local "
            "server). Empty = the base IRI."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str) -> Any:
    """The declared default of one setting."""
    return _BY_NAME[name].default


def resolve_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then VLKG_* environment variables, then explicit overrides (CLI or tests)."""
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(_BY_NAME))
    if unknown:
        raise ValueError(f"Unknown setting(s) {', '.join(unknown)}; known: {', '.join(_BY_NAME)}")
    values: dict[str, Any] = {}
    for s in SETTINGS:
        value = overrides.get(s.name)
        if value is None and s.env in os.environ:
            value = os.environ[s.env]
        values[s.name] = s.default if value is None else s.parse(value)
    return values


def to_environ(values: Mapping[str, Any]) -> dict[str, str]:
    """VLKG_* variables carrying resolved settings to worker processes."""
    out = {}
    for s in SETTINGS:
        value = values[s.name]
        out[s.env] = ",".join(value) if s.type is tuple else str(value)
    return out


def _show_default(s: Setting) -> str:
    if s.type is tuple:
        return "(none)" if not s.default else ", ".join(s.default)
    if s.default == "":
        return "(none)"
    return str(s.default)


def settings_markdown() -> str:
    """The README table of settings (flag, environment variable, default, meaning)."""
    lines = ["| flag | environment | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.flag}` | `{s.env}` | `{_show_default(s)}` | {s.help} |")
    return "\n".join(lines) + "\n"

"""What the build manifest says about the served data: triple counts per graph and the dump files.

The manifest may be empty (a bare store); every reader here then returns an empty answer.
"""

from __future__ import annotations

from typing import Any


def graph_counts(manifest: dict[str, Any]) -> dict[str, int]:
    """Triples per named graph IRI, from `graphs` as {iri: n} or [{graph|iri, triples}], if present."""
    graphs = manifest.get("graphs")
    counts: dict[str, int] = {}
    if isinstance(graphs, dict):
        for iri, value in graphs.items():
            n = value.get("triples") if isinstance(value, dict) else value
            if isinstance(n, int):
                counts[str(iri)] = n
    elif isinstance(graphs, list):
        for item in graphs:
            if isinstance(item, dict) and isinstance(item.get("triples"), int):
                iri = item.get("graph") or item.get("iri")
                if iri:
                    counts[str(iri)] = item["triples"]
    return counts


def total_triples(manifest: dict[str, Any]) -> int | None:
    """All triples (quads) of the build: `triples`, else the all-graphs dump's count, else the graphs' sum."""
    total = manifest.get("triples")
    if isinstance(total, int):
        return total
    for d in dumps(manifest):
        if d.get("scope") == "dataset" and isinstance(d.get("triples"), int):
            return int(d["triples"])
    counts = graph_counts(manifest)
    return sum(counts.values()) if counts else None


def build_date(manifest: dict[str, Any]) -> str | None:
    """When the build was made (`built_at`, or `created` in older manifests)."""
    value = manifest.get("built_at") or manifest.get("created")
    return str(value) if value else None


def dumps(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The dump entries (file, format, media_type, scope, graph, bytes, triples, sha256), safe names only."""
    items = manifest.get("dumps") or []
    return [d for d in items if isinstance(d, dict) and _safe_name(d.get("file"))]


def dumps_of_graph(manifest: dict[str, Any], graph: str) -> list[dict[str, Any]]:
    """The dump files holding exactly one named graph."""
    return [d for d in dumps(manifest) if d.get("graph") == graph]


def _safe_name(name: object) -> bool:
    """A dump file name relative to the dumps directory, never escaping it."""
    return isinstance(name, str) and bool(name) and not name.startswith("/") and ".." not in name.split("/")

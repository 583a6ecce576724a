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
    """All triples of the build: `triples` if it is a number, else the sum over graphs, else None."""
    total = manifest.get("triples")
    if isinstance(total, int):
        return total
    if isinstance(total, dict):
        return sum(v for v in total.values() if isinstance(v, int))
    counts = graph_counts(manifest)
    return sum(counts.values()) if counts else None


def dumps(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The dump entries (file, format, media_type, graph, bytes, triples, sha256), file names made safe."""
    items = manifest.get("dumps") or []
    return [d for d in items if isinstance(d, dict) and _safe_name(d.get("file"))]


def dumps_of_graph(manifest: dict[str, Any], graph: str) -> list[dict[str, Any]]:
    """The dump files holding exactly one named graph."""
    return [d for d in dumps(manifest) if d.get("graph") == graph]


def _safe_name(name: object) -> bool:
    """A dump file name relative to the dumps directory, never escaping it."""
    return isinstance(name, str) and bool(name) and not name.startswith("/") and ".." not in name.split("/")

"""Curated link sets (`data/links/*.ttl`, reviewed by hand): one named graph each, `graph/links/{name}`."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import BlankNode, NamedNode, RdfFormat, parse

from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.namespaces import GRAPH, PREFIXES


def build_links(data_dir: Path) -> list[GraphBuild]:
    """Parse each link file; blank nodes are refused because they would make dumps unstable."""
    builds = []
    for path in sorted((data_dir / "links").glob("*.ttl")):
        prefixes = "".join(f"@prefix {p}: <{iri}> .\n" for p, iri in PREFIXES.items())
        try:
            triples = list(parse(prefixes + path.read_text(encoding="utf-8"), format=RdfFormat.TURTLE))
        except SyntaxError as exc:
            raise BuildError(f"{path}: not valid Turtle ({exc}). Fix the file and build again.") from exc
        if any(isinstance(t.subject, BlankNode) or isinstance(t.object, BlankNode) for t in triples):
            raise BuildError(f"{path}: blank nodes are not allowed in link files; give every node an IRI.")
        gb = GraphBuild(NamedNode(f"{GRAPH}links/{path.stem}"), f"Curated links: {path.stem}",
                        f"Liên kết biên soạn: {path.stem}", f"data/links/{path.name}", triples)
        builds.append(gb)
    return builds

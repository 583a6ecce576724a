"""The ontology graph: every Turtle file of `ontology/` (OWL, SKOS schemes, SHACL shapes) as one named graph."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pyoxigraph import BlankNode, RdfFormat, Triple, parse

from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.namespaces import GRAPH_ONTOLOGY


def ontology_files() -> list[Path]:
    """The ontology's Turtle files, in a stable order."""
    folder = Path(str(resources.files("vlkg.ontology")))
    return sorted(folder.glob("*.ttl"))


def shapes_file() -> Path:
    """The SHACL shapes that every build enforces."""
    return Path(str(resources.files("vlkg.ontology"))) / "shapes.ttl"


def build_ontology() -> GraphBuild:
    """Parse every ontology file into the `graph/ontology` named graph."""
    gb = GraphBuild(GRAPH_ONTOLOGY, "vlkg ontology, SKOS schemes and SHACL shapes",
                    "Ontology vlkg, các bộ khái niệm SKOS và ràng buộc SHACL", "ontology/*.ttl")
    labels: dict[str, BlankNode] = {}
    for path in ontology_files():
        try:
            triples = list(parse(path=str(path), format=RdfFormat.TURTLE))
        except SyntaxError as exc:
            raise BuildError(f"{path}: not valid Turtle: {exc}") from exc
        gb.triples.extend(_stable_blank_nodes(triples, path.stem, labels))
        gb.stats[path.name] = len(triples)
    return gb


def _stable_blank_nodes(triples: list[Triple], prefix: str, labels: dict[str, BlankNode]) -> list[Triple]:
    """Rename parser-generated blank nodes in order of appearance, so dumps are byte-identical across builds."""

    def stable(term):
        if isinstance(term, BlankNode):
            if term.value not in labels:
                labels[term.value] = BlankNode(f"{prefix}{len(labels)}")
            return labels[term.value]
        return term

    return [Triple(stable(t.subject), t.predicate, stable(t.object)) for t in triples]

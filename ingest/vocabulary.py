"""The terms an article's facts may use, read from the ontology so a fact file cannot invent one."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyoxigraph import Literal, NamedNode

from vlkg.ingest.ontology import build_ontology
from vlkg.namespaces import RDF, RDFS, SKOS


@dataclass(frozen=True)
class Vocabulary:
    """SKOS concepts, classes and properties defined in ontology/*.ttl, with their labels."""

    defined: frozenset[str]
    labels: dict[tuple[str, str], str]  # (iri, language) -> label
    links: dict[tuple[str, str], tuple[str, ...]]  # (iri, predicate) -> IRIs it points to, sorted

    def objects(self, iri: NamedNode, predicate: NamedNode) -> tuple[str, ...]:
        """The IRIs `iri` points to by `predicate` in the ontology (e.g. an indicator's kg:unit, kg:change)."""
        return self.links.get((iri.value, predicate.value), ())

    def has(self, iri: NamedNode) -> bool:
        return iri.value in self.defined

    def label(self, iri: NamedNode, lang: str, default: str) -> str:
        return self.labels.get((iri.value, lang), default)


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """Everything the ontology types (subjects of rdf:type), and their skos:prefLabel / rdfs:label."""
    defined: set[str] = set()
    labels: dict[tuple[str, str], str] = {}
    links: dict[tuple[str, str], set[str]] = {}
    triples = build_ontology().triples
    for t in triples:
        if isinstance(t.subject, NamedNode) and t.predicate == RDF.type:
            defined.add(t.subject.value)
        if isinstance(t.subject, NamedNode) and isinstance(t.object, NamedNode):
            links.setdefault((t.subject.value, t.predicate.value), set()).add(t.object.value)
    # prefLabel wins over rdfs:label: two passes, so the order of the files does not matter
    for predicate in (RDFS.label, SKOS.prefLabel):
        for t in triples:
            if (t.predicate == predicate and isinstance(t.subject, NamedNode)
                    and isinstance(t.object, Literal) and t.object.language):
                labels[(t.subject.value, t.object.language)] = t.object.value
    return Vocabulary(frozenset(defined), labels, {k: tuple(sorted(v)) for k, v in links.items()})

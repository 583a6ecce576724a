"""Serialising triples for entity pages and the dataset description, in the formats of formats.py."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

from vlkg.namespaces import PREFIXES
from vlkg.server.formats import ENTITY_FORMATS, Format

_RDF_TYPE = PREFIXES["rdf"] + "type"


def by_extension(extension: str) -> Format | None:
    """The entity format named by a file extension ('ttl', 'nt', 'jsonld', 'rdf', 'html'), if any."""
    return next((f for f in ENTITY_FORMATS if f.extension == extension), None)


def _used_prefixes(triples: Iterable[Triple], prefixes: Mapping[str, str]) -> dict[str, str]:
    """The prefixes that occur in these triples, except id: (our paths need escaped slashes)."""
    iris: set[str] = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif hasattr(term, "datatype"):
                iris.add(term.datatype.value)
    return {
        prefix: ns for prefix, ns in prefixes.items()
        if prefix != "id" and any(i.startswith(ns) for i in iris)
    }


def serialize_triples(triples: list[Triple], fmt: Format, prefixes: Mapping[str, str]) -> bytes:
    """Serialise triples, sorted so the same data always gives the same bytes; `prefixes` are the served ones
    (Backend.prefixes: kg: and id: under the build's base IRI)."""
    rdf = getattr(RdfFormat, fmt.engine)
    ordered = sorted(triples, key=lambda t: (str(t.subject), t.predicate.value != _RDF_TYPE,
                                             str(t.predicate), str(t.object)))
    if rdf == RdfFormat.JSON_LD:
        return compact_jsonld(ordered, prefixes)
    used = _used_prefixes(ordered, prefixes) if rdf in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
    return serialize(ordered, format=rdf, prefixes=used)


def context(prefixes: Mapping[str, str]) -> dict[str, object]:
    """The JSON-LD @context published at /context.jsonld: the served prefixes, as prefix -> namespace."""
    return {"@context": dict(sorted(prefixes.items()))}


def compact_jsonld(triples: list[Triple], prefixes: Mapping[str, str]) -> bytes:
    """JSON-LD compacted with the prefixes it uses (pyoxigraph writes expanded JSON-LD only; rdflib compacts).

    The @context is inline (the subset of /context.jsonld that the document uses), so a client needs no
    fetch; lists are sorted so the same triples always give the same bytes.
    """
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")
    used = _used_prefixes(triples, prefixes)
    doc = json.loads(graph.serialize(format="json-ld", context=used, auto_compact=True))
    return json.dumps(_sorted(doc), ensure_ascii=False, indent=1, sort_keys=True).encode()


def _sorted(value: object) -> object:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_sorted(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value

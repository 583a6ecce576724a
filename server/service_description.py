"""SPARQL 1.1 Service Description (sd:) of /sparql, answered on GET with no query.

It names the endpoint URL as requested, the supported result formats, the default dataset (the union
of all named graphs when a request names no dataset), every named graph of the store, and the prefixes
predefined for every query, as SHACL prefix declarations on the service (`sh:declare [ sh:prefix "skos" ;
sh:namespace "http://www.w3.org/2004/02/skos/core#"^^xsd:anyURI ]`, SHACL §5.2.1).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, serialize

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT = "http://purl.org/dc/terms/"
RDFS_SEE_ALSO = NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
SH = "http://www.w3.org/ns/shacl#"
XSD_ANY_URI = NamedNode("http://www.w3.org/2001/XMLSchema#anyURI")

RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "RDF_XML", "JSON-LD", "N-Quads", "TriG", "N3",
)


def describe(endpoint: str, named_graphs: Iterable[str], federation: bool, format: RdfFormat,
             prefixes: Mapping[str, str] | None = None) -> bytes:
    """The service description of `endpoint` serialised in `format`; `prefixes` are the predefined ones."""
    service = NamedNode(endpoint)
    sd = lambda local: NamedNode(SD + local)  # noqa: E731 - tiny local helper
    triples = [
        (service, RDF_TYPE, sd("Service")),
        (service, sd("endpoint"), service),
        (service, sd("supportedLanguage"), sd("SPARQL11Query")),
        (service, sd("feature"), sd("UnionDefaultGraph")),
        (service, sd("defaultEntailmentRegime"), NamedNode("http://www.w3.org/ns/entailment/Simple")),
        (service, RDFS_SEE_ALSO, NamedNode(endpoint.rsplit("/sparql", 1)[0] + "/.well-known/void")),
    ]
    if federation:
        triples.append((service, sd("feature"), sd("BasicFederatedQuery")))
    triples += [(service, sd("resultFormat"), NamedNode(FORMATS + f)) for f in RESULT_FORMATS]
    dataset, default = BlankNode("dataset"), BlankNode("default")
    triples += [
        (service, sd("defaultDataset"), dataset),
        (dataset, RDF_TYPE, sd("Dataset")),
        (dataset, sd("defaultGraph"), default),
        (default, RDF_TYPE, sd("Graph")),
        (default, NamedNode(DCT + "description"), Literal(
            "When a request names no dataset (no default-graph-uri, named-graph-uri, FROM or FROM NAMED), the "
            "default graph is the union of all named graphs, and GRAPH ?g reaches each named graph.", language="en")),
    ]
    for i, name in enumerate(sorted(named_graphs)):
        node = BlankNode(f"g{i}")
        triples += [
            (dataset, sd("namedGraph"), node),
            (node, RDF_TYPE, sd("NamedGraph")),
            (node, sd("name"), NamedNode(name)),
        ]
    for i, (name, iri) in enumerate((prefixes or {}).items()):
        node = BlankNode(f"p{i}")
        triples += [
            (service, NamedNode(SH + "declare"), node),
            (node, NamedNode(SH + "prefix"), Literal(name)),
            (node, NamedNode(SH + "namespace"), Literal(iri, datatype=XSD_ANY_URI)),
        ]
    output = {"sd": SD, "formats": FORMATS, "dcterms": DCT, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
              "sh": SH, "xsd": "http://www.w3.org/2001/XMLSchema#"}
    quads = [Quad(s, p, o) for s, p, o in triples]
    if not format.supports_datasets:
        quads = [q.triple for q in quads]
    return serialize(quads, format=format, prefixes=output)

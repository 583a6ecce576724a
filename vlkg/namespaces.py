"""IRIs shared by ingest, server and tests: the contract in one place (see ontology/README.md)."""

from __future__ import annotations

from pyoxigraph import NamedNode

BASE = "https://vinhloc-kg.example/"
ID = BASE + "id/"
DEF = BASE + "def/"
GRAPH = BASE + "graph/"

PREFIXES: dict[str, str] = {
    "kg": DEF,
    "id": ID,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "org": "http://www.w3.org/ns/org#",
    "opengov": "http://www.w3.org/ns/opengov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "oa": "http://www.w3.org/ns/oa#",
    "qb": "http://purl.org/linked-data/cube#",
    "sdmx-dimension": "http://purl.org/linked-data/sdmx/2009/dimension#",
    "sdmx-measure": "http://purl.org/linked-data/sdmx/2009/measure#",
    "sdmx-attribute": "http://purl.org/linked-data/sdmx/2009/attribute#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "vl": "https://version.link/",
    "cv": "http://data.europa.eu/m8g/",
    "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "time": "http://www.w3.org/2006/time#",
    "void": "http://rdfs.org/ns/void#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "sh": "http://www.w3.org/ns/shacl#",
    "sdg": "http://metadata.un.org/sdg/",
    "year": "http://reference.data.gov.uk/id/year/",
}


def prefixes_for(base: str) -> dict[str, str]:
    """PREFIXES for a build made under another base IRI (`vlkg build --base-iri`): kg: and id: follow it."""
    if base == BASE:
        return PREFIXES
    return {p: (base + iri[len(BASE):] if iri.startswith(BASE) else iri) for p, iri in PREFIXES.items()}


class Namespace(str):
    """A string IRI prefix whose attributes and items are pyoxigraph NamedNodes.

    Every public attribute is a term, even names that `str` has as methods (DCTERMS.title, DCTERMS.format):
    string behaviour is only reachable through operators and functions (`KG + "x"`, `s.startswith(KG)`).
    """

    def __getattribute__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            return super().__getattribute__(name)
        return NamedNode(str.__add__(self, name))

    def __getitem__(self, name: str) -> NamedNode:  # type: ignore[override]
        return NamedNode(self + name)


KG = Namespace(DEF)
IDNS = Namespace(ID)
RDF = Namespace(PREFIXES["rdf"])
RDFS = Namespace(PREFIXES["rdfs"])
OWL = Namespace(PREFIXES["owl"])
XSD = Namespace(PREFIXES["xsd"])
SKOS = Namespace(PREFIXES["skos"])
DCTERMS = Namespace(PREFIXES["dcterms"])
SCHEMA = Namespace(PREFIXES["schema"])
ORG = Namespace(PREFIXES["org"])
OPENGOV = Namespace(PREFIXES["opengov"])
FOAF = Namespace(PREFIXES["foaf"])
PROV = Namespace(PREFIXES["prov"])
OA = Namespace(PREFIXES["oa"])
QB = Namespace(PREFIXES["qb"])
SDMX_DIM = Namespace(PREFIXES["sdmx-dimension"])
SDMX_MEASURE = Namespace(PREFIXES["sdmx-measure"])
SDMX_ATTR = Namespace(PREFIXES["sdmx-attribute"])
ODRL = Namespace(PREFIXES["odrl"])
VL = Namespace(PREFIXES["vl"])
CV = Namespace(PREFIXES["cv"])
GEO = Namespace(PREFIXES["geo"])
VOID = Namespace(PREFIXES["void"])
DCAT = Namespace(PREFIXES["dcat"])
SD = Namespace(PREFIXES["sd"])
YEAR = Namespace(PREFIXES["year"])

# Named graphs: one per source (see ontology/README.md, "Named graphs").
GRAPH_ONTOLOGY = NamedNode(GRAPH + "ontology")
GRAPH_META = NamedNode(GRAPH + "meta")
GRAPH_REGISTRY_LEGACY = NamedNode(GRAPH + "ref/dvhc-legacy")
GRAPH_REGISTRY_2025 = NamedNode(GRAPH + "ref/dvhc-2025")


def article_graph(article_id: str) -> NamedNode:
    """The named graph holding everything taken from one article."""
    return NamedNode(f"{GRAPH}src/{article_id}")


def sparql_prefixes() -> str:
    """PREFIX lines for every prefix we publish, for queries and the UI."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())

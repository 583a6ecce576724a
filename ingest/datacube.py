"""RDF Data Cube integrity constraints (W3C, "The RDF Data Cube Vocabulary", section 11), checked on every build.

The structure (kg:dsd-figures, its component specifications, the data sets id/dataset/targets and
id/dataset/results) is in ontology/indicators.ttl, so it reaches the ontology graph; the observations are in the
article graphs. The check loads those graphs (any graph that speaks qb:) into an in-memory pyoxigraph store and
runs one SPARQL query per constraint. Each query is the recommendation's ASK query rewritten as a SELECT of the
offending nodes, so that the message can name them; a constraint holds when its query finds nothing.

The recommendation's queries assume a normalised graph (qb:componentProperty inferred from qb:dimension,
qb:measure and qb:attribute; observation types inferred); the queries below spell those property paths out
instead, so no inference is needed. Applicable here: IC-1 to IC-6, IC-11 to IC-14 and IC-19. Not applicable:
IC-7 to IC-10 and IC-18 (no slices), IC-15 to IC-17 (no qb:measureType: one measure), IC-20 and IC-21 (no
hierarchical code lists).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import DefaultGraph, NamedNode, Quad, Store, Triple

from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.namespaces import GRAPH_ONTOLOGY, QB

PREFIXES = """PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
EXAMPLES = 5  # offending nodes named per violated constraint


@dataclass(frozen=True)
class Constraint:
    key: str
    title: str
    rule: str  # what must hold, in a sentence
    query: str  # SELECT ?node ?detail: one row per offence


CONSTRAINTS = (
    Constraint("IC-1", "Unique DataSet", "every qb:Observation has exactly one qb:dataSet", """
        SELECT DISTINCT ?node ?detail WHERE {
          { ?node a qb:Observation . FILTER NOT EXISTS { ?node qb:dataSet ?d } BIND("no qb:dataSet" AS ?detail) }
          UNION
          { ?node a qb:Observation ; qb:dataSet ?d1, ?d2 . FILTER(STR(?d1) < STR(?d2))
            BIND(CONCAT("in ", STR(?d1), " and ", STR(?d2)) AS ?detail) }
        }"""),
    Constraint("IC-1b", "Observations of described data sets",
               "the qb:dataSet of every observation is a described qb:DataSet", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node a qb:Observation ; qb:dataSet ?d . FILTER NOT EXISTS { ?d a qb:DataSet }
          BIND(CONCAT(STR(?d), " is not a qb:DataSet") AS ?detail)
        }"""),
    Constraint("IC-2", "Unique DSD", "every qb:DataSet has exactly one qb:structure, a qb:DataStructureDefinition", """
        SELECT DISTINCT ?node ?detail WHERE {
          { ?node a qb:DataSet . FILTER NOT EXISTS { ?node qb:structure ?s } BIND("no qb:structure" AS ?detail) }
          UNION
          { ?node a qb:DataSet ; qb:structure ?s1, ?s2 . FILTER(STR(?s1) < STR(?s2))
            BIND(CONCAT("two structures: ", STR(?s1), ", ", STR(?s2)) AS ?detail) }
          UNION
          { ?node a qb:DataSet ; qb:structure ?s . FILTER NOT EXISTS { ?s a qb:DataStructureDefinition }
            BIND(CONCAT(STR(?s), " is not a qb:DataStructureDefinition") AS ?detail) }
        }"""),
    Constraint("IC-3", "DSD includes measure", "every qb:DataStructureDefinition has at least one measure", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node a qb:DataStructureDefinition .
          FILTER NOT EXISTS { ?node qb:component/qb:measure ?m . ?m a qb:MeasureProperty }
          BIND("no qb:measure that is a qb:MeasureProperty" AS ?detail)
        }"""),
    Constraint("IC-4", "Dimensions have range", "every qb:DimensionProperty has an rdfs:range", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node a qb:DimensionProperty . FILTER NOT EXISTS { ?node rdfs:range ?r } BIND("no rdfs:range" AS ?detail)
        }"""),
    Constraint("IC-5", "Concept dimensions have code lists",
               "every dimension whose range is skos:Concept has a qb:codeList", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node a qb:DimensionProperty ; rdfs:range skos:Concept .
          FILTER NOT EXISTS { ?node qb:codeList ?list } BIND("no qb:codeList" AS ?detail)
        }"""),
    Constraint("IC-6", "Only attributes may be optional",
               "qb:componentRequired false is only allowed on attribute components", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?dsd qb:component ?node . ?node qb:componentRequired "false"^^xsd:boolean .
          FILTER NOT EXISTS { ?node qb:attribute ?a . ?a a qb:AttributeProperty }
          BIND(CONCAT("optional component of ", STR(?dsd), " that is not an attribute") AS ?detail)
        }"""),
    Constraint("IC-11", "All dimensions required",
               "every observation has a value for every dimension of its data set's structure", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
          FILTER NOT EXISTS { ?node ?dim ?v } BIND(CONCAT("no ", STR(?dim)) AS ?detail)
        }"""),
    Constraint("IC-12", "No duplicate observations",
               "no two observations of one data set have the same value for every dimension", """
        SELECT ?node ?detail WHERE {
          { SELECT ?node ?other (SUM(IF(?v1 = ?v2, 0, 1)) AS ?differing) (COUNT(?dim) AS ?shared) WHERE {
              ?node qb:dataSet ?ds . ?other qb:dataSet ?ds . FILTER(STR(?node) < STR(?other))
              ?ds qb:structure/qb:component/qb:dimension ?dim .
              ?node ?dim ?v1 . ?other ?dim ?v2 .
            } GROUP BY ?node ?other }
          FILTER(?differing = 0)
          BIND(CONCAT("same dimension values as ", STR(?other)) AS ?detail)
        }"""),
    Constraint("IC-13", "Required attributes",
               "every observation has a value for every attribute its structure marks qb:componentRequired true", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node qb:dataSet/qb:structure/qb:component ?c .
          ?c qb:componentRequired "true"^^xsd:boolean ; qb:attribute ?attr .
          FILTER NOT EXISTS { ?node ?attr ?v } BIND(CONCAT("no ", STR(?attr)) AS ?detail)
        }"""),
    Constraint("IC-14", "All measures present",
               "every observation has a value for every measure of its structure (there is no qb:measureType)", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node qb:dataSet/qb:structure ?dsd .
          FILTER NOT EXISTS { ?dsd qb:component/qb:dimension qb:measureType }
          ?dsd qb:component/qb:measure ?measure .
          FILTER NOT EXISTS { ?node ?measure ?v } BIND(CONCAT("no ", STR(?measure)) AS ?detail)
        }"""),
    Constraint("IC-19", "Codes from code list",
               "the value of a dimension with a qb:codeList (a skos:ConceptScheme) is a concept of that scheme", """
        SELECT DISTINCT ?node ?detail WHERE {
          ?node qb:dataSet/qb:structure/qb:component/qb:dimension ?dim .
          ?dim qb:codeList ?list . ?list a skos:ConceptScheme .
          ?node ?dim ?v .
          FILTER NOT EXISTS { ?v a skos:Concept ; skos:inScheme ?list }
          BIND(CONCAT(STR(?dim), " ", STR(?v), " is not a concept of ", STR(?list)) AS ?detail)
        }"""),
)


def violations(triples: Iterable[Triple]) -> dict[str, list[tuple[str, str]]]:
    """Constraint key -> (offending node, what is wrong) rows, for every constraint that does not hold."""
    store = Store()
    store.bulk_extend(Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in triples)
    found: dict[str, list[tuple[str, str]]] = {}
    for c in CONSTRAINTS:
        rows = [(str(r["node"].value), str(r["detail"].value)) for r in store.query(PREFIXES + c.query)]
        if rows:
            found[c.key] = sorted(rows)
    return found


def cube_triples(graphs: list[GraphBuild]) -> list[Triple]:
    """The triples the constraints read: the ontology graph and every graph that uses the qb: vocabulary."""
    qb = QB.dataSet.value.removesuffix("dataSet")

    def speaks_qb(g: GraphBuild) -> bool:
        return any(t.predicate.value.startswith(qb)
                   or (isinstance(t.object, NamedNode) and t.object.value.startswith(qb)) for t in g.triples)

    return [t for g in graphs if g.graph == GRAPH_ONTOLOGY or speaks_qb(g) for t in g.triples]


def check_datacube(graphs: list[GraphBuild]) -> None:
    """Raise BuildError naming every violated integrity constraint and up to five offending nodes of each."""
    found = violations(cube_triples(graphs))
    if not found:
        return
    by_key = {c.key: c for c in CONSTRAINTS}
    lines = ["the data violates RDF Data Cube integrity constraints (W3C Data Cube section 11; the structure is "
             "kg:dsd-figures in ontology/indicators.ttl, see ingest/datacube.py):"]
    for key, rows in found.items():
        c = by_key[key]
        lines.append(f"  {key} {c.title}: {c.rule}; {len(rows)} offence(s):")
        lines += [f"    <{node}>: {detail}" for node, detail in rows[:EXAMPLES]]
        if len(rows) > EXAMPLES:
            lines.append(f"    … and {len(rows) - EXAMPLES} more")
    raise BuildError("\n".join(lines))

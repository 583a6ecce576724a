"""The build's SHACL engine (ingest/shacl_core.py) gives the same verdicts as pyshacl, the reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from vlkg.ingest.articles import build_articles
from vlkg.ingest.ontology import build_ontology
from vlkg.ingest.shacl import check, pyshacl_violations, report
from vlkg.ingest.shacl_core import UnsupportedShape, Validator

ID = "https://vinhloc-kg.example/id/"
KG = "https://vinhloc-kg.example/def/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SDMX_MEASURE = "http://purl.org/linked-data/sdmx/2009/measure#"
OA = "http://www.w3.org/ns/oa#"
DATA = Path(__file__).resolve().parent.parent / "data"
# A neighbourhood small enough for pyshacl: Vĩnh Lộc district, its communes, their 2025 successors.
CODES = ("38", "393", "15349", "15352", "15379", "15382", "15388", "15391", "15355")


@pytest.fixture(scope="module")
def sample(registry_build) -> tuple[list[Triple], list[Triple]]:
    registry = registry_build
    # every version of these codes 2003-2025 (id/au/{code}/{validFrom}), so each schema:isPartOf has its target
    versions = tuple(f"{ID}au/{c}/" for c in CODES)
    codes = {NamedNode(f"{ID}code/dvhc/{c}") for c in CODES}
    units = [t for g in (registry.legacy, registry.new) for t in g.triples
             if t.subject in codes or (isinstance(t.subject, NamedNode) and t.subject.value.startswith(versions)
                                       and t.subject.value.count("/") == ID.count("/") + 2)]
    assert len({t.subject for t in units}) == 14 + len(CODES)  # 14 versions, e.g. 15382 is three
    article = [t for g in build_articles(DATA, registry.registry) for t in g.triples]
    return units + article, build_ontology().triples


def verdicts(data, ontology, engine: str) -> set[tuple[str, str, str]]:
    return {(v.focus, v.component, v.shape if not v.shape.startswith("_:") else "_")
            for v in check(data, ontology, engine)}


def test_sample_conforms_in_both_engines(sample):
    data, ontology = sample
    assert verdicts(data, ontology, "core") == verdicts(data, ontology, "pyshacl") == set()


def _replace(data, subject: str, predicate: str, new_object) -> list[Triple]:
    out = [t for t in data if not (t.subject.value == subject and t.predicate.value == predicate)]
    return out + ([Triple(NamedNode(subject), NamedNode(predicate), new_object)] if new_object is not None else [])


def _first_subject(data, predicate: str) -> str:
    return next(t.subject.value for t in data if t.predicate.value == predicate)


BREAKAGES = {
    "second notation": lambda d: [*d, Triple(NamedNode(ID + "au/15382/2019-12-01"), NamedNode(SKOS + "notation"),
                                             Literal("99999", datatype=NamedNode(KG + "dvhcCode")))],
    "untyped notation": lambda d: _replace(d, ID + "au/15379/2004-08-31", SKOS + "notation", Literal("15379")),
    "latitude outside Vietnam": lambda d: _replace(d, ID + "au/15349/2019-12-01", GEO + "lat",
                                                   Literal("48.85", datatype=NamedNode(
                                                       "http://www.w3.org/2001/XMLSchema#decimal"))),
    "level missing": lambda d: _replace(d, ID + "au/393/2004-08-31", KG + "level", None),
    "observation without value": lambda d: _replace(d, _first_subject(d, SDMX_MEASURE + "obsValue"),
                                                    SDMX_MEASURE + "obsValue", None),
    "observation without unit": lambda d: _replace(d, _first_subject(d, KG + "unit"), KG + "unit", None),
    "quote end before start": lambda d: _replace(d, _first_subject(d, OA + "end"), OA + "end",
                                                 Literal("1", datatype=NamedNode(
                                                     "http://www.w3.org/2001/XMLSchema#integer"))),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_both_engines_agree_on_violations(sample, name):
    data, ontology = sample
    broken = BREAKAGES[name](list(data))
    core = verdicts(broken, ontology, "core")
    assert core, f"{name}: the shapes should reject this"
    assert core == verdicts(broken, ontology, "pyshacl")


def test_report_names_node_and_rule(sample):
    data, ontology = sample
    violations = check(BREAKAGES["second notation"](list(data)), ontology)
    text = report(violations)
    assert ID + "au/15382/2019-12-01" in text
    assert "MaxCount" in text and "notation" in text


# -- features the evaluator does not evaluate: it refuses them, never answers differently from pyshacl --------
PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://e/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


def _turtle(text: str) -> list[Triple]:
    return list(parse(PREFIXES + text, format=RdfFormat.TURTLE))


def pyshacl_verdicts(shapes: str, data: str) -> set[tuple[str, str]]:
    """(focus, component) of pyshacl's results, read as `vlkg validate --engine pyshacl` reads them."""
    return {(v.focus, v.component) for v in pyshacl_violations(_turtle(data), [], PREFIXES + shapes)}


def core_verdicts(shapes: str, data: str) -> set[tuple[str, str]]:
    return {(v.focus, v.component) for v in Validator(_turtle(shapes)).validate(_turtle(data))}


# Found by running both engines over small shapes graphs for each SHACL Core feature: before the evaluator
# refused them, it answered each of these differently from pyshacl (the verdict it gave is in the comment).
DIVERGENCES = {
    # pattern flags other than "i" were dropped: "^b$" did not match "a\nb" without multi-line mode
    "pattern flags": ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; '
                      'sh:property [ sh:path ex:p ; sh:pattern "^b$" ; sh:flags "m" ] .',
                      'ex:a ex:p "a\\nb" .', set(), 'sh:flags "m"'),
    # disjointness was ignored: a value of both classes counted for both qualified shapes (no violation)
    "qualifiedValueShapesDisjoint": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property '
        '[ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:A ] ; sh:qualifiedMinCount 1 ; '
        '  sh:qualifiedValueShapesDisjoint true ], '
        '[ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:B ] ; sh:qualifiedMinCount 1 ; '
        '  sh:qualifiedValueShapesDisjoint true ] .',
        'ex:a ex:p ex:x . ex:x a ex:A, ex:B .', {("http://e/a", "QualifiedMinCountConstraintComponent")},
        "sh:qualifiedValueShapesDisjoint true"),
    # a shape that is also a class targets its instances; the evaluator saw no target and checked nothing
    "implicit class target": ('ex:C a rdfs:Class, sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ] .',
                              'ex:a a ex:C .', {("http://e/a", "MinCountConstraintComponent")},
                              "implicit class target"),
    # "*" matches any language tag (langMatches); the evaluator read it as the tag "*" and rejected "x"@fr
    "languageIn wildcard": ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; '
                            'sh:property [ sh:path ex:p ; sh:languageIn ( "*" ) ] .',
                            'ex:a ex:p "x"@fr .', set(), 'wildcard "*"'),
    # a second qualified shape on the same property shape was ignored (only the first value was read)
    "repeated single-valued parameter": (
        'ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; '
        'sh:qualifiedValueShape [ sh:class ex:A ], [ sh:class ex:B ] ; sh:qualifiedMinCount 1 ] .',
        'ex:a ex:p ex:x . ex:x a ex:A .', {("http://e/a", "QualifiedMinCountConstraintComponent")},
        "more than one value of sh:qualifiedValueShape"),
}


@pytest.mark.parametrize("name", sorted(DIVERGENCES))
def test_core_refuses_what_it_does_not_evaluate(name):
    shapes, data, expected, feature = DIVERGENCES[name]
    assert pyshacl_verdicts(shapes, data) == expected, "the reference verdict this case is about changed"
    with pytest.raises(UnsupportedShape, match=re.escape(feature)):
        core_verdicts(shapes, data)


@pytest.mark.parametrize(("shapes", "data"), ids=["sequence path", "ill-formed integer", "impossible date", "sh:node"],
                         argvalues=[
    # value nodes are a set: two sequence steps reaching ex:d give one value, not two
    ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 2 ] .',
     'ex:a ex:p ex:b, ex:c . ex:b ex:q ex:d . ex:c ex:q ex:d .'),
    # an ill-formed literal does not have its datatype
    ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:datatype xsd:integer ] .',
     'ex:a ex:p "abc"^^xsd:integer, "12"^^xsd:integer .'),
    ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:datatype xsd:date ] .',
     'ex:a ex:p "2025-02-30"^^xsd:date, "2025-07-01"^^xsd:date .'),
    # one result for the failed sh:node on ex:a; pyshacl's nested sh:detail result about ex:b is not another one
    ('ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:node ex:T ] . '
     'ex:T sh:property [ sh:path ex:q ; sh:minCount 1 ] .', 'ex:a ex:p ex:b .'),
])
def test_core_agrees_with_pyshacl_on_edge_cases(shapes, data):
    reference = pyshacl_verdicts(shapes, data)
    assert reference, "each case is a violation"
    assert core_verdicts(shapes, data) == reference


def test_the_shapes_file_uses_nothing_the_evaluator_refuses():
    from vlkg.ingest.shacl import shapes_triples

    Validator(shapes_triples())  # raises UnsupportedShape otherwise

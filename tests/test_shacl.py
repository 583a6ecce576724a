"""The build's SHACL engine (ingest/shacl_core.py) gives the same verdicts as pyshacl, the reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Triple

from vlkg.ingest.articles import build_articles
from vlkg.ingest.ontology import build_ontology
from vlkg.ingest.registry import build_registry
from vlkg.ingest.shacl import check, report

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
def sample() -> tuple[list[Triple], list[Triple]]:
    registry = build_registry()
    keep = {NamedNode(f"{ID}au/{c}/{v}") for c in CODES for v in ("base", "2025-07-01")}
    keep |= {NamedNode(f"{ID}code/dvhc/{c}") for c in CODES}
    units = [t for g in (registry.legacy, registry.new) for t in g.triples if t.subject in keep]
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
    "second notation": lambda d: [*d, Triple(NamedNode(ID + "au/15382/base"), NamedNode(SKOS + "notation"),
                                             Literal("99999", datatype=NamedNode(KG + "dvhcCode")))],
    "untyped notation": lambda d: _replace(d, ID + "au/15379/base", SKOS + "notation", Literal("15379")),
    "latitude outside Vietnam": lambda d: _replace(d, ID + "au/15349/base", GEO + "lat",
                                                   Literal("48.85", datatype=NamedNode(
                                                       "http://www.w3.org/2001/XMLSchema#decimal"))),
    "level missing": lambda d: _replace(d, ID + "au/393/base", KG + "level", None),
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
    assert ID + "au/15382/base" in text
    assert "MaxCount" in text and "notation" in text

"""The vocabulary, SKOS schemes and SHACL shapes in ontology/: they parse, are labelled in Vietnamese and English,
define every term the contract (ontology/README.md) names, and the shapes accept good data and name what is wrong
in bad data."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph
import pyshacl
import pytest
import rdflib
from rdflib import RDF, RDFS, BNode, Literal, Namespace, URIRef

from vlkg.namespaces import DEF, ID, PREFIXES
from vlkg.text import slug

ONTOLOGY = Path(__file__).resolve().parent.parent / "ontology"
FILES = sorted(ONTOLOGY.glob("*.ttl"))
VOCAB_FILES = [f for f in FILES if f.name != "shapes.ttl"]
SHAPES_NS = DEF + "shapes#"

KG = Namespace(DEF)
SH = Namespace(PREFIXES["sh"])
SKOS = Namespace(PREFIXES["skos"])
OWL = Namespace(PREFIXES["owl"])
DCTERMS = Namespace(PREFIXES["dcterms"])
ODRL = Namespace(PREFIXES["odrl"])
KGSH = Namespace(SHAPES_NS)
INDICATOR = Namespace(ID + "indicator/")
SDG = PREFIXES["sdg"]

# slug -> the phrase as written in the seed article's gold facts (/work/shared/seeds/*.gold.json `indicator`).
INDICATORS = {
    "main-targets-met": "chỉ tiêu chủ yếu đạt",
    "main-targets-exceeded": "chỉ tiêu vượt kế hoạch",
    "grain-output": "tổng sản lượng lương thực có hạt",
    "income-per-capita": "thu nhập bình quân đầu người",
    "poverty-rate": "tỷ lệ hộ nghèo",
    "poverty-rate-reduction": "mức giảm tỷ lệ hộ nghèo",  # the gold's "tỷ lệ hộ nghèo … giảm 0,5%"
    "trained-labour-rate": "tỷ lệ lao động qua đào tạo",
    "ntm-advanced-communes": "xã đạt chuẩn nông thôn mới nâng cao",
    "ntm-model-communes": "xã đạt nông thôn mới kiểu mẫu",
    "ntm-model-villages": "thôn đạt nông thôn mới kiểu mẫu",
    "national-standard-schools": "trường đạt chuẩn quốc gia",
    "underweight-under5-rate": "tỷ lệ trẻ em dưới 5 tuổi suy dinh dưỡng cân nặng/tuổi",
    "health-insurance-coverage": "tỷ lệ dân số tham gia BHYT trên tổng số dân toàn huyện",
    "safe-residential-areas": "tỷ lệ khu dân cư đạt tiêu chuẩn an toàn về an ninh trật tự",
    "party-cells-good-performance": "tỷ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ năm",
}
# The only SDG links we stand behind (ontology/README.md; fewer is better, never exactMatch).
SDG_LINKS = {
    ("poverty-rate", SKOS.closeMatch, "C010202"),
    ("trained-labour-rate", SKOS.relatedMatch, "4.4"),
    ("underweight-under5-rate", SKOS.relatedMatch, "2.2"),
    ("health-insurance-coverage", SKOS.relatedMatch, "3.8"),
}
UNITS_AS_WRITTEN = ["chỉ tiêu", "tấn", "triệu đồng", "%", "xã", "thôn", "trường"]
COMPARATOR_SYMBOLS = {ODRL.eq: "=", ODRL.gt: ">", ODRL.gteq: ">=", ODRL.lt: "<", ODRL.lteq: "<=", KG.range: "range"}
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDFS.Datatype)


def parse(*paths: Path) -> rdflib.Graph:
    g = rdflib.Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


@pytest.fixture(scope="module")
def vocab() -> rdflib.Graph:
    return parse(*VOCAB_FILES)


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return parse(ONTOLOGY / "shapes.ttl")


def langs(g: rdflib.Graph, s, p) -> list[str]:
    return sorted(o.language for o in g.objects(s, p) if isinstance(o, Literal) and o.language)


# -- files -------------------------------------------------------------------------------------------------------

def test_the_four_files_are_there():
    assert {f.name for f in FILES} >= {"vlkg.ttl", "units.ttl", "indicators.ttl", "shapes.ttl"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_parses_alike_in_pyoxigraph_and_rdflib_without_blank_nodes(path):
    quads = list(pyoxigraph.parse(path=str(path), format=pyoxigraph.RdfFormat.TURTLE))
    graph = parse(path)
    assert quads and len(quads) == len(graph)
    assert not [t for t in graph if any(isinstance(x, BNode) for x in t)], f"{path.name} has blank nodes"


def test_ontology_header(vocab):
    onto = URIRef(DEF)
    assert (onto, RDF.type, OWL.Ontology) in vocab
    assert langs(vocab, onto, DCTERMS.title) == ["en", "vi"]
    assert vocab.value(onto, OWL.versionInfo) is not None
    assert vocab.value(onto, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert str(vocab.value(onto, DCTERMS.creator)) == "vlkg team"
    assert not list(vocab.objects(None, OWL.imports)), "nothing is imported at run time"


# -- labels and definitions --------------------------------------------------------------------------------------

def test_every_minted_subject_is_labelled_in_vi_and_en(vocab):
    minted = {s for s in vocab.subjects() if isinstance(s, URIRef)
              and (str(s).startswith(DEF) or str(s).startswith(ID))}
    assert len(minted) > 100
    missing = [str(s) for s in minted
               if langs(vocab, s, RDFS.label) != ["en", "vi"] and langs(vocab, s, SKOS.prefLabel) != ["en", "vi"]]
    assert not missing, f"need exactly one label in vi and one in en: {missing}"


def test_classes_and_properties_have_label_and_comment_in_vi_and_en(vocab):
    terms = {s for t in TERM_TYPES for s in vocab.subjects(RDF.type, t) if str(s).startswith(DEF)}
    assert {KG.AdminUnitVersion, KG.Target, KG.indicator, KG.dvhcCode, KG.asciiName} <= terms
    for s in terms:
        assert langs(vocab, s, RDFS.label) == ["en", "vi"], s
        assert langs(vocab, s, RDFS.comment) == ["en", "vi"], s


def test_concepts_have_labels_notation_and_a_defined_scheme(vocab):
    schemes = set(vocab.subjects(RDF.type, SKOS.ConceptScheme))
    concepts = set(vocab.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) > 50
    for c in concepts:
        assert langs(vocab, c, SKOS.prefLabel) == ["en", "vi"], c
        assert len(list(vocab.objects(c, SKOS.notation))) == 1, c
        in_schemes = set(vocab.objects(c, SKOS.inScheme))
        assert len(in_schemes) == 1 and in_schemes <= schemes, c
        assert set(vocab.objects(c, SKOS.topConceptOf)) == in_schemes, c
        defs = langs(vocab, c, SKOS.definition)
        assert defs in ([], ["en", "vi"]), f"{c}: a definition in one language only"
    for s in schemes:
        assert langs(vocab, s, SKOS.prefLabel) == ["en", "vi"], s


def test_every_kg_term_used_anywhere_is_defined(vocab, shapes):
    defined = set(vocab.subjects())
    used = {o for g in (vocab, shapes) for t in g for o in t
            if isinstance(o, URIRef) and str(o).startswith(DEF)
            and not str(o).startswith(DEF + "shapes") and str(o) != DEF}
    assert not sorted(str(u) for u in used - defined)


def test_every_term_the_readme_names_is_defined(vocab):
    readme = (ONTOLOGY / "README.md").read_text(encoding="utf-8")
    defined = set(vocab.subjects())
    names = set(re.findall(r"\bkg:([A-Za-z][A-Za-z0-9-]*[A-Za-z0-9])", readme))
    assert {"AdminUnitVersion", "dvhcCode", "range", "unit-trieu-dong"} <= names
    assert not sorted(n for n in names if KG[n] not in defined)
    indicators = set(re.findall(r"\bid:indicator/([a-z0-9-]+)", readme))
    assert indicators and not sorted(i for i in indicators if INDICATOR[i] not in defined)


# -- the contract's schemes -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("scheme", "members"), [
    ("levels", ["level-province", "level-district", "level-commune"]),
    ("unit-types", ["type-tinh", "type-thanh-pho-tw", "type-huyen", "type-quan", "type-thi-xa", "type-thanh-pho",
                    "type-xa", "type-phuong", "type-thi-tran", "type-dac-khu"]),
    ("ntm-level", ["ntm-standard", "ntm-advanced", "ntm-model"]),
    ("school-standards", ["school-national-standard"]),
    ("org-types", ["PartyCommittee", "PeoplesCommittee", "PeoplesCouncil", "PartyStandingCommittee"]),
    ("roles", ["role-secretary", "role-chairperson", "role-deputy-secretary", "role-vice-chairperson"]),
    ("value-types", ["Planned", "Reported", "Estimated"]),
    ("changes", ["change-increase", "change-decrease", "change-exceed"]),
])
def test_scheme_has_the_contract_concepts(vocab, scheme, members):
    assert set(vocab.subjects(SKOS.inScheme, KG[scheme])) == {KG[m] for m in members}


def test_ntm_labels_as_written(vocab):
    vi = {c: [str(o) for o in vocab.objects(KG[c], SKOS.prefLabel) if o.language == "vi"]
          for c in ("ntm-standard", "ntm-advanced", "ntm-model")}
    assert vi == {"ntm-standard": ["nông thôn mới"], "ntm-advanced": ["nông thôn mới nâng cao"],
                  "ntm-model": ["nông thôn mới kiểu mẫu"]}


def test_comparators_carry_the_symbol_to_print(vocab):
    for op, symbol in COMPARATOR_SYMBOLS.items():
        assert str(vocab.value(op, SKOS.notation)) == symbol
        assert (op, RDF.type, ODRL.Operator) in vocab
        assert (op, SKOS.inScheme, KG.comparators) in vocab


def test_units_keep_the_written_form(vocab):
    units = set(vocab.subjects(SKOS.inScheme, KG.units))
    written = {str(vocab.value(u, SKOS.notation)): u for u in units}
    assert set(UNITS_AS_WRITTEN) <= set(written)
    for text, unit in written.items():
        vi = [str(o) for o in vocab.objects(unit, SKOS.prefLabel) if o.language == "vi"]
        assert vi == [text], unit
        # ingest mints kg:unit-{slug} from the unit as written (data/facts), "%" -> kg:unit-percent
        assert unit == KG["unit-" + ("percent" if text == "%" else slug(text))]
    qudt = {(u, o) for u in units for o in vocab.objects(u, SKOS.closeMatch)}
    assert qudt == {(KG["unit-tan"], URIRef("http://qudt.org/vocab/unit/TONNE")),
                    (KG["unit-percent"], URIRef("http://qudt.org/vocab/unit/PERCENT")),
                    (KG["unit-ha"], URIRef("http://qudt.org/vocab/unit/HA"))}
    assert [str(o) for o in vocab.objects(KG["unit-trieu-dong"], SKOS.prefLabel) if o.language == "en"] \
        == ["million VND"]


def test_indicators_are_exactly_the_contract(vocab):
    concepts = set(vocab.subjects(SKOS.inScheme, KG.indicators))
    assert concepts == {INDICATOR[s] for s in INDICATORS}
    units = set(vocab.subjects(SKOS.inScheme, KG.units))
    for slug_, phrase in INDICATORS.items():
        c = INDICATOR[slug_]
        assert [str(o) for o in vocab.objects(c, SKOS.prefLabel) if o.language == "vi"] == [phrase]
        assert langs(vocab, c, SKOS.definition) == ["en", "vi"], c
        assert vocab.value(c, KG.unit) in units, c
    assert vocab.value(INDICATOR["ntm-advanced-communes"], KG.targetLevel) == KG["ntm-advanced"]


def test_sdg_links_are_few_honest_and_explained(vocab):
    links = {(s, p, o) for s, p, o in vocab if str(o).startswith(SDG)}
    assert not [t for t in links if t[1] == SKOS.exactMatch]
    assert {(str(s).removeprefix(str(INDICATOR)), p, str(o).removeprefix(SDG)) for s, p, o in links} == SDG_LINKS
    for s, _, _ in links:
        assert langs(vocab, s, RDFS.comment) == ["en", "vi"], f"{s}: say why the SDG link holds"


# -- shapes ------------------------------------------------------------------------------------------------------

def test_shapes_are_valid_shacl(shapes):
    conforms, _, text = pyshacl.validate(rdflib.Graph(), shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_every_rule_has_a_name_and_an_english_message(shapes):
    rules = set(shapes.subjects(RDF.type, SH.PropertyShape)) | set(shapes.subjects(RDF.type, SH.NodeShape))
    assert len(rules) > 40
    for r in rules:
        assert str(r).startswith(SHAPES_NS), r
        assert shapes.value(r, SH.name) is not None, r
        constrains = any(p != SH.property for p, _ in shapes.predicate_objects(r)
                         if str(p).startswith(str(SH)) and p not in (SH.name, SH.targetClass, SH.message))
        if constrains:  # a node shape that only lists property shapes never reports by itself
            assert shapes.value(r, SH.message) is not None, r


# A small graph that follows ontology/README.md: one legacy commune in its district and province, a target
# with its quote, a tenure, a meeting and a recognition.
GOOD = """
@base <https://vinhloc-kg.example/id/> .
@prefix kg: <https://vinhloc-kg.example/def/> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> . @prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix qb: <http://purl.org/linked-data/cube#> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix sdmx-dimension: <http://purl.org/linked-data/sdmx/2009/dimension#> .
@prefix sdmx-measure: <http://purl.org/linked-data/sdmx/2009/measure#> . @prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix opengov: <http://www.w3.org/ns/opengov#> . @prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix year: <http://reference.data.gov.uk/id/year/> .

<au/38/2004-08-31> a kg:AdminUnitVersion, kg:Province ; rdfs:label "Tỉnh Thanh Hóa"@vi, "Thanh Hóa Province"@en ;
    skos:notation "38"^^kg:dvhcCode ; kg:level kg:level-province ; kg:unitType kg:type-tinh ;
    schema:validFrom "2004-08-31"^^xsd:date ; schema:validThrough "2025-06-30"^^xsd:date ;
    geo:lat 19.806692 ; geo:long 105.785182 .
<au/393/2004-08-31> a kg:AdminUnitVersion, kg:District ; rdfs:label "Huyện Vĩnh Lộc"@vi, "Vĩnh Lộc District"@en ;
    skos:notation "393"^^kg:dvhcCode ; kg:level kg:level-district ; kg:unitType kg:type-huyen ;
    schema:isPartOf <au/38/2004-08-31> ; schema:validFrom "2004-08-31"^^xsd:date ;
    schema:validThrough "2025-06-30"^^xsd:date .
<au/15382/2019-12-01> a kg:AdminUnitVersion, kg:Commune ; rdfs:label "Xã Minh Tân"@vi, "Minh Tân Commune"@en ;
    skos:notation "15382"^^kg:dvhcCode ; kg:level kg:level-commune ; kg:unitType kg:type-xa ;
    schema:isPartOf <au/393/2004-08-31> ; schema:validFrom "2019-12-01"^^xsd:date ;
    schema:validThrough "2025-06-30"^^xsd:date ; geo:lat 20.063973 ; geo:long 105.652983 .
<au/15382/2025-07-01> a kg:AdminUnitVersion, kg:Commune ; rdfs:label "Xã Biện Thượng"@vi, "Biện Thượng Commune"@en ;
    skos:notation "15382"^^kg:dvhcCode ; kg:level kg:level-commune ; kg:unitType kg:type-xa ;
    schema:validFrom "2025-07-01"^^xsd:date .

<obs/target/income-per-capita/393-2004-08-31/2022> a qb:Observation, kg:Target ;
    kg:valueType kg:Planned ; kg:indicator <indicator/income-per-capita> ;
    sdmx-dimension:refArea <au/393/2004-08-31> ; sdmx-dimension:refPeriod year:2022 ; kg:year "2022"^^xsd:gYear ;
    kg:comparator odrl:gteq ; sdmx-measure:obsValue 55.9 ; kg:unit kg:unit-trieu-dong ;
    kg:setBy <meeting/huyen-uy/393-2004-08-31/khoa-xxvi/hn-08> ; prov:wasDerivedFrom <src/a/q/2206-2262> .
<obs/result/main-targets-met/393-2004-08-31/2021> a qb:Observation, kg:Result ;
    kg:valueType kg:Reported ; kg:indicator <indicator/main-targets-met> ;
    sdmx-dimension:refArea <au/393/2004-08-31> ; kg:year "2021"^^xsd:gYear ;
    kg:comparator kg:range ; sdmx-measure:obsValue 21.0 ; kg:valueMax 22.0 ; kg:outOf 26 ;
    kg:unit kg:unit-chi-tieu ; prov:wasDerivedFrom <src/a/q/2206-2262> .

<src/a/q/2206-2262> a oa:SpecificResource ; oa:hasSource <src/a> ;
    oa:hasSelector <src/a/q/2206-2262/quote>, <src/a/q/2206-2262/position> .
<src/a/q/2206-2262/quote> a oa:TextQuoteSelector ; oa:exact "Thu nhập bình quân đầu người đạt 55,9 triệu đồng"@vi .
<src/a/q/2206-2262/position> a oa:TextPositionSelector ; oa:start 2206 ; oa:end 2262 .

<person/p-0123abcd> a foaf:Person ; foaf:name "Lữ Minh Thư"@vi .
<post/huyen-uy/393-2004-08-31/bi-thu> a org:Post ; org:role kg:role-secretary .
<tenure/p-0123abcd/bi-thu-393-2004-08-31/1> a org:Membership ; org:member <person/p-0123abcd> ;
    org:organization <org/huyen-uy/393-2004-08-31> ; org:role kg:role-secretary ;
    opengov:post <post/huyen-uy/393-2004-08-31/bi-thu> ; kg:attestedOn "2021-12-22"^^xsd:date ;
    prov:wasDerivedFrom <src/a/q/2206-2262> .
<meeting/huyen-uy/393-2004-08-31/khoa-xxvi/hn-08> a schema:Event, kg:Meeting ; kg:ordinal 8 ; kg:partyTerm "XXVI" ;
    schema:startDate "2021-12-22"^^xsd:date ; schema:organizer <org/huyen-uy/393-2004-08-31> .
<recognition/15382-2019-12-01/ntm-advanced> a kg:Recognition ; kg:recognizes <au/15382/2019-12-01> ;
    kg:level kg:ntm-advanced ; prov:wasDerivedFrom <src/a/q/2206-2262> .
"""

U, T = ID + "au/15382/2019-12-01", ID + "obs/target/income-per-capita/393-2004-08-31/2022"
R, POS = ID + "obs/result/main-targets-met/393-2004-08-31/2021", ID + "src/a/q/2206-2262/position"
TEN, MEET = ID + "tenure/p-0123abcd/bi-thu-393-2004-08-31/1", ID + "meeting/huyen-uy/393-2004-08-31/khoa-xxvi/hn-08"
# name -> (triples to drop as (subject, predicate), Turtle to add, the one (node, rule) expected)
BREAKAGES = {
    "unit version with two notations": ([], '<au/15382/2019-12-01> skos:notation "15399"^^kg:dvhcCode .',
                                        (U, "AdminUnitVersion-notation")),
    "notation without the code datatype": ([(U, "skos:notation")], '<au/15382/2019-12-01> skos:notation "15382" .',
                                           (U, "AdminUnitVersion-notation")),
    "unit version without English label": ([(U, "rdfs:label")], '<au/15382/2019-12-01> rdfs:label "Xã Minh Tân"@vi .',
                                           (U, "AdminUnitVersion-labels")),
    "unknown level": ([(U, "kg:level")], "<au/15382/2019-12-01> kg:level kg:level-village .",
                      (U, "AdminUnitVersion-level")),
    "parent that is not a unit version": ([(U, "schema:isPartOf")], "<au/15382/2019-12-01> schema:isPartOf <org/x> .",
                                          (U, "AdminUnitVersion-parent")),
    # Every version has a schema:validFrom since the registry of all versions 2003-2025 (validThrough alone,
    # the old "base" versions' only date, is no longer enough): drop it, the validFrom rule reports it.
    "no validity date": ([(U, "schema:validFrom")], "", (U, "AdminUnitVersion-validFrom")),
    "valid from after valid through": ([(U, "schema:validFrom")],
                                       '<au/15382/2019-12-01> schema:validFrom "2025-07-01"^^xsd:date .',
                                       (U, "AdminUnitVersion-validFrom")),
    "latitude and longitude swapped": ([(U, "geo:lat")], "<au/15382/2019-12-01> geo:lat 105.652983 .",
                                       (U, "AdminUnitVersion-lat")),
    "target without a unit": ([(T, "kg:unit")], "", (T, "Observation-unit")),
    "target with an integer value": ([(T, "sdmx-measure:obsValue")], f"<{T}> sdmx-measure:obsValue 56 .",
                                     (T, "Observation-value")),
    "target with two indicators": ([], f"<{T}> kg:indicator <indicator/poverty-rate> .",
                                   (T, "Observation-indicator")),
    "target with an unknown comparator": ([(T, "kg:comparator")], f"<{T}> kg:comparator odrl:neq .",
                                          (T, "Observation-comparator")),
    "target whose area is not a unit version": ([(T, "sdmx-dimension:refArea")],
                                                f"<{T}> sdmx-dimension:refArea <org/huyen-uy/393-2004-08-31> .",
                                                (T, "Observation-refArea")),
    "target marked reported": ([(T, "kg:valueType")], f"<{T}> kg:valueType kg:Reported .",
                               (T, "Target-valueType")),
    "target without a quote": ([(T, "prov:wasDerivedFrom")], "", (T, "DerivedFromQuote")),
    "year that is not a gYear": ([(T, "kg:year")], f'<{T}> kg:year "2022" .', (T, "Observation-year")),
    "range without a maximum": ([(R, "kg:valueMax")], "", (R, "Observation-range-bounds")),
    "maximum without a range": ([(T, "kg:comparator")], f"<{T}> kg:comparator odrl:eq ; kg:valueMax 60.0 .",
                                (T, "Observation-range-bounds")),
    "quote ending before it starts": ([(POS, "oa:end")], f"<{POS}> oa:end 2200 .", (POS, "TextPositionSelector-order")),
    "quote without a position selector": ([(ID + "src/a/q/2206-2262", "oa:hasSelector")],
                                          "<src/a/q/2206-2262> oa:hasSelector <src/a/q/2206-2262/quote> .",
                                          (ID + "src/a/q/2206-2262", "SpecificResource-position")),
    "tenure without an attesting date": ([(TEN, "kg:attestedOn")], "", (TEN, "Membership-attestedOn")),
    "tenure without a post": ([(TEN, "opengov:post")], "", (TEN, "Membership-post")),
    "meeting without an ordinal": ([(MEET, "kg:ordinal")], "", (MEET, "Meeting-ordinal")),
}


def data_graph(drop=(), add: str = "") -> rdflib.Graph:
    g = rdflib.Graph().parse(data=GOOD, format="turtle")
    for s, curie in drop:
        prefix, local = curie.split(":")
        g.remove((URIRef(s), URIRef(PREFIXES[prefix] + local), None))
    if add:
        g.parse(data=GOOD.split("\n<au/38/2004-08-31>")[0] + add, format="turtle")
    return g


def violations(g: rdflib.Graph, shapes: rdflib.Graph) -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(focus node, rule) pairs, and each rule's message, from pyshacl's report."""
    _, report, _ = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    found, messages = set(), {}
    for r in report.subjects(RDF.type, SH.ValidationResult):
        rule = str(report.value(r, SH.sourceShape)).removeprefix(SHAPES_NS)
        found.add((str(report.value(r, SH.focusNode)), rule))
        messages[rule] = str(report.value(r, SH.resultMessage))
    return found, messages


def test_the_readme_shaped_graph_conforms(shapes):
    assert violations(data_graph(), shapes)[0] == set()


def test_the_good_graph_has_what_the_shapes_look_at():
    g = data_graph()
    assert (URIRef(R), KG.valueMax, Literal("22.0", datatype=URIRef(PREFIXES["xsd"] + "decimal"))) in g
    assert len(set(g.subjects(RDF.type, KG.AdminUnitVersion))) == 4


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_bad_data_is_reported_on_its_node_by_its_rule(shapes, name):
    drop, add, expected = BREAKAGES[name]
    found, messages = violations(data_graph(drop, add), shapes)
    assert found == {expected}, f"{name}: expected only {expected}, got {found}"
    rule = expected[1]
    assert messages[rule] == str(shapes.value(KGSH[rule], SH.message))


def test_the_test_fixtures_use_only_terms_of_the_model(vocab, shapes):
    """tests/data/*.trig (the protocol tests' store) speaks the current model: every kg: IRI is defined in
    ontology/, and every property, class and datatype is one that ontology/*.ttl or the contract
    (ontology/README.md) uses, so a term that was renamed or dropped cannot linger in the fixtures."""
    model = {term for g in (vocab, shapes) for t in g for term in t if isinstance(term, URIRef)}
    readme = (ONTOLOGY / "README.md").read_text(encoding="utf-8")
    model |= {URIRef(PREFIXES[m[1]] + m[2]) for m in re.finditer(r"\b([a-z][a-z-]*):([A-Za-z][\w-]*)", readme)
              if m[1] in PREFIXES}
    defined = set(vocab.subjects())
    data = rdflib.Dataset()
    for trig in sorted((Path(__file__).parent / "data").glob("*.trig")):
        data.parse(trig, format="trig")
    drifted = set()
    for s, p, o, _ in data.quads():
        terms = [p] + ([o] if p == RDF.type else []) + ([o.datatype] if isinstance(o, Literal) and o.datatype else [])
        drifted |= {t for t in terms if t not in model}
        drifted |= {t for t in (s, p, o) if isinstance(t, URIRef) and str(t).startswith(DEF) and t not in defined}
    assert len(data) and not sorted(map(str, drifted))

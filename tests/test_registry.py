"""The national administrative-unit registry: both graphs, the reform links, and name resolution."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from pyoxigraph import Literal, NamedNode, Quad, Store

from vlkg.ingest.model import BuildError
from vlkg.ingest.registry import RegistryBuild, build_registry
from vlkg.ingest.registry_crosscheck import _compare, _Entry
from vlkg.ingest.registry_findings import Findings
from vlkg.ingest.registry_names import parse_full_name
from vlkg.ingest.registry_source import KeyIndex
from vlkg.ingest.resolve import ResolutionError
from vlkg.namespaces import (
    DCTERMS,
    GEO,
    GRAPH_REGISTRY_2025,
    GRAPH_REGISTRY_LEGACY,
    ID,
    IDNS,
    KG,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VL,
    XSD,
)

BEFORE = date(2021, 12, 22)  # the meeting date of the seed article
AFTER = date(2025, 8, 1)


def au(path: str) -> NamedNode:
    return IDNS[f"au/{path}"]


@pytest.fixture(scope="module")
def build(registry_build: RegistryBuild) -> RegistryBuild:
    return registry_build


class Graph:
    """Triples of one GraphBuild indexed by subject: g[s][p] -> objects in order."""

    def __init__(self, triples) -> None:
        self.by_subject: dict[NamedNode, dict[NamedNode, list]] = defaultdict(lambda: defaultdict(list))
        for t in triples:
            self.by_subject[t.subject][t.predicate].append(t.object)

    def __getitem__(self, s: NamedNode) -> dict[NamedNode, list]:
        return self.by_subject.get(s, {})

    def typed(self, cls: NamedNode) -> set[NamedNode]:
        return {s for s, po in self.by_subject.items() if cls in po.get(RDF.type, [])}


@pytest.fixture(scope="module")
def legacy(build: RegistryBuild) -> Graph:
    return Graph(build.legacy.triples)


@pytest.fixture(scope="module")
def new(build: RegistryBuild) -> Graph:
    return Graph(build.new.triples)


def test_graph_names(build: RegistryBuild) -> None:
    assert build.legacy.graph == GRAPH_REGISTRY_LEGACY
    assert build.new.graph == GRAPH_REGISTRY_2025


def test_exact_counts_per_era(build: RegistryBuild, legacy: Graph, new: Graph) -> None:
    assert len(legacy.typed(KG.Province)) == 63
    assert len(legacy.typed(KG.District)) == 696
    assert len(legacy.typed(KG.Commune)) == 10_035
    assert len(legacy.typed(KG.AdminUnitVersion)) == 63 + 696 + 10_035
    assert len(new.typed(KG.Province)) == 34
    assert len(new.typed(KG.Commune)) == 3_321
    assert len(new.typed(KG.SpecialZone)) == 13
    assert not legacy.typed(KG.SpecialZone)
    assert len(legacy.typed(KG.Ward)) + len(legacy.typed(KG.Township)) < 10_035
    stats = build.stats
    assert [stats[f"legacy_{k}"] for k in ("provinces", "districts", "communes")] == [63, 696, 10_035]
    assert (stats["new_provinces"], stats["new_communes"]) == (34, 3_321)
    assert len(build.registry) == 63 + 696 + 10_035 + 34 + 3_321


def test_code_15382_has_two_versions(build: RegistryBuild, legacy: Graph, new: Graph) -> None:
    old, current = build.registry.by_code("15382")
    assert (old.iri, old.name, old.valid_through, old.parent) == (
        au("15382/base"), "Xã Minh Tân", date(2025, 6, 30), au("393/base"))
    assert (current.iri, current.name, current.valid_from, current.parent) == (
        au("15382/2025-07-01"), "Xã Biện Thượng", date(2025, 7, 1), au("38/2025-07-01"))
    four = [au(f"{c}/base") for c in ("15379", "15382", "15388", "15391")]
    assert [r.iri for r in build.registry.predecessors(current.iri)] == four
    assert new[current.iri][VL.predecessor] == four
    for p in four:
        assert new[p][VL.successor] == [current.iri]
    # The description in each graph, as ontology/README.md shows it.
    minh_tan = legacy[old.iri]
    assert minh_tan[RDFS.label] == [Literal("Xã Minh Tân", language="vi"),
                                    Literal("Minh Tân Commune", language="en")]
    assert minh_tan[SKOS.altLabel] == [Literal("Minh Tân", language="vi")]
    assert minh_tan[KG.asciiName] == [Literal("Xa Minh Tan")]
    assert minh_tan[SKOS.notation] == [Literal("15382", datatype=KG.dvhcCode)]
    assert minh_tan[SCHEMA.isPartOf] == [au("393/base")]
    assert minh_tan[SCHEMA.validThrough] == [Literal("2025-06-30", datatype=XSD.date)]
    assert minh_tan[KG.attestedIn] == [IDNS["doc/dvhc-legacy-register"]]
    bien_thuong = new[current.iri]
    assert bien_thuong[SCHEMA.validFrom] == [Literal("2025-07-01", datatype=XSD.date)]
    assert bien_thuong[KG.areaKm2] == [Literal("65.4", datatype=XSD.decimal)]
    assert bien_thuong[KG.attestedIn] == [IDNS["doc/qd-19-2025-ttg"]]
    event = IDNS["event/2025-07-01/au/15382"]
    assert bien_thuong[VL.startEvent] == [event]
    assert set(new[event][RDF.type]) == {VL.ChangeEvent, VL.Combination}
    assert new[event][KG.legalBasis] == [IDNS["doc/nq-76-2025-ubtvqh15"]]
    assert new[event][DCTERMS.isPartOf] == [IDNS["event/2025-07-01/reform"]]
    code = IDNS["code/dvhc/15382"]
    assert legacy[code][RDF.type] == [KG.DvhcCode]
    assert legacy[code][KG.denotedVersion] == [old.iri]
    assert new[code][KG.denotedVersion] == [current.iri]


def test_english_labels_follow_the_unit_type(legacy: Graph, new: Graph) -> None:
    def en(g: Graph, s: NamedNode) -> str:
        return next(o.value for o in g[s][RDFS.label] if o.language == "en")

    assert en(legacy, au("393/base")) == "Vĩnh Lộc District"
    assert en(legacy, au("38/base")) == "Thanh Hóa Province"
    assert en(legacy, au("01/base")) == "Hà Nội City"
    assert en(legacy, au("760/base")) == "District 1"  # Quận 1
    assert en(new, au("26732/2025-07-01")) == "Côn Đảo Special Zone"


def test_resolve_with_parent_on_the_meeting_date(build: RegistryBuild) -> None:
    unit = build.registry.resolve("xã Vĩnh Hùng", parent="huyện Vĩnh Lộc", on=BEFORE)
    assert unit.iri == au("15379/base")
    assert build.registry.resolve("Vĩnh Lộc", level="district", on=BEFORE).iri == au("393/base")
    assert build.registry.resolve("huyện Vĩnh Lộc", parent="Thanh Hóa", on=BEFORE).iri == au("393/base")


def test_resolve_without_parent_names_the_candidates(build: RegistryBuild) -> None:
    with pytest.raises(ResolutionError) as err:
        build.registry.resolve("Vĩnh Hùng", on=BEFORE)
    message = str(err.value)
    assert "ambiguous" in message and "15379" in message and "Huyện Vĩnh Lộc" in message
    assert message.count("code ") >= 2
    assert isinstance(err.value, BuildError)


def test_folded_input_works(build: RegistryBuild) -> None:
    assert build.registry.resolve("xa minh tan", parent="vinh loc", on=BEFORE).iri == au("15382/base")
    assert build.registry.resolve("XA  MINH TAN", parent="huyen vinh loc", on=BEFORE).iri == au("15382/base")
    # Folded, Vĩnh Hùng and its sibling Vĩnh Hưng are one name: only diacritics tell them apart.
    with pytest.raises(ResolutionError, match=r"15367.*15379"):
        build.registry.resolve("xa vinh hung", parent="vinh loc", on=BEFORE)
    assert build.registry.resolve("xã Vĩnh Hưng", parent="Vĩnh Lộc", on=BEFORE).code == "15367"


def test_resolve_selects_the_version_valid_that_day(build: RegistryBuild) -> None:
    registry = build.registry
    assert registry.resolve("Thanh Hóa", level="province", on=BEFORE).iri == au("38/base")
    assert registry.resolve("Thanh Hóa", level="province", on=AFTER).iri == au("38/2025-07-01")
    assert registry.resolve("xã Biện Thượng", on=AFTER).iri == au("15382/2025-07-01")
    with pytest.raises(ResolutionError, match=r"valid on 2021-12-22.*from 2025-07-01"):
        registry.resolve("xã Biện Thượng", on=BEFORE)
    with pytest.raises(ResolutionError, match="no administrative unit is named"):
        registry.resolve("xã Không Có", on=BEFORE)
    with pytest.raises(ResolutionError, match="level 'county'"):
        registry.resolve("Vĩnh Lộc", level="county", on=BEFORE)
    with pytest.raises(ResolutionError, match="not an administrative-unit version"):
        registry.get("https://vinhloc-kg.example/id/au/15382")


def test_registry_navigation(build: RegistryBuild) -> None:
    registry = build.registry
    assert [r.name for r in registry.ancestors(au("15382/base"))] == ["Huyện Vĩnh Lộc", "Tỉnh Thanh Hóa"]
    assert [r.iri for r in registry.ancestors(au("15382/2025-07-01"))] == [au("38/2025-07-01")]
    assert [r.iri for r in registry.successors(au("15379/base"))] == [au("15382/2025-07-01")]
    assert [r.iri for r in registry.successors(au("38/base"))] == [au("38/2025-07-01")]
    assert registry.successors(au("393/base")) == []
    assert registry.get(au("393/base")).unit_type == "huyen"
    assert registry.by_code("99999") == []


def test_the_diacritic_converter_key_is_mapped(build: RegistryBuild, new: Graph) -> None:
    # converter_2025.json names Vĩnh Hùng 'tinhthanhhoa_huyenvinhloc_xãvĩnhhùng'; its sibling Vĩnh Hưng
    # folds to the same ASCII key, so the key must match with its diacritics.
    assert new[au("15379/base")][VL.successor] == [au("15382/2025-07-01")]
    assert new[au("15367/base")][VL.successor] != [au("15382/2025-07-01")]
    assert build.stats["keys_with_diacritics"] >= 1


def test_key_index_falls_back_to_folding_only_when_unambiguous() -> None:
    index = KeyIndex({"p_d_xãvĩnhhùng": "1/base", "p_d_xãvĩnhhưng": "2/base", "p_d_xaminhtan": "3/base"})
    assert index.find("p_d_xãvĩnhhùng") == "1/base"
    assert index.find("p_d_xãvĩnhhưng") == "2/base"
    assert index.normalised == 0
    assert index.find("p_d_xãminhtân") == "3/base"  # diacritics the register does not have
    assert index.normalised == 1
    assert index.find("p_d_xavinhhung") is None  # folds onto two units
    assert index.candidates("p_d_xavinhhung") == ["1/base", "2/base"]
    assert index.find("p_d_nowhere") is None


def test_every_legacy_commune_and_province_has_a_successor_or_a_warning(build: RegistryBuild, legacy: Graph,
                                                                       new: Graph) -> None:
    warnings = "\n".join(build.warnings)
    unmapped = 0
    for s in legacy.typed(KG.Commune) | legacy.typed(KG.Province):
        if not new[s].get(VL.successor):
            unmapped += 1
            code = legacy[s][SKOS.notation][0].value
            assert f"{code} " in warnings, f"{s.value} has no successor and no warning"
    assert build.stats["unmapped_legacy"] == unmapped
    for s in legacy.typed(KG.Province):
        assert len(new[s][VL.successor]) == 1
    assert all(new[s].get(VL.predecessor) for s in new.typed(KG.AdminUnitVersion))


def test_districts_end_in_abolition_except_island_districts(new: Graph, legacy: Graph) -> None:
    vinh_loc = new[au("393/base")]
    assert VL.successor not in vinh_loc
    event = IDNS["event/2025-07-01/abolish/393"]
    assert vinh_loc[VL.endEvent] == [event]
    assert new[event][KG.legalBasis] == [IDNS["doc/luat-72-2025-qh15"]]
    assert new[event][DCTERMS.date] == [Literal("2025-07-01", datatype=XSD.date)]
    # Huyện Côn Đảo had no communes: it became Đặc khu Côn Đảo.
    con_dao = au("26732/2025-07-01")
    assert new[au("755/base")][VL.successor] == [con_dao]
    assert new[con_dao][VL.predecessor] == [au("755/base")]
    assert VL.ChangeOfHierarchyLevel in new[IDNS["event/2025-07-01/au/26732"]][RDF.type]
    ended = {s for s in legacy.typed(KG.District) if new[s].get(VL.endEvent)}
    assert len(ended) == 696


def test_divided_communes_have_several_successors_and_separation_events(build: RegistryBuild,
                                                                        new: Graph) -> None:
    divided = [r for r in build.registry if r.valid_through and len(build.registry.successors(r.iri)) > 1]
    assert len(divided) == build.stats["split_legacy_communes"] > 0
    for r in divided[:50]:
        for succ in build.registry.successors(r.iri):
            assert VL.Separation in new[IDNS[f"event/2025-07-01/au/{succ.code}"]][RDF.type]
        assert len(new[r.iri][VL.endEvent]) == len(build.registry.successors(r.iri))


def test_points_shared_with_a_fallback_are_dropped(build: RegistryBuild, legacy: Graph) -> None:
    # The package geocoded Xã Minh Tân to "Vĩnh Lộc District": the point is the district's.
    assert GEO.lat not in legacy[au("15382/base")]
    assert legacy[au("393/base")][GEO.lat] == [Literal("20.063973", datatype=XSD.decimal)]
    # Xã Vĩnh Hùng and its sibling Xã Vĩnh Hưng were both geocoded to "Vĩnh Hưng".
    assert legacy[au("15367/base")][GEO.long] == [Literal("105.658849", datatype=XSD.decimal)]
    assert GEO.lat not in legacy[au("15379/base")]
    # A point nobody shares stays as the package gives it.
    assert legacy[au("15388/base")][GEO.lat] == [Literal("20.032312", datatype=XSD.decimal)]
    points = defaultdict(list)
    for s in legacy.typed(KG.AdminUnitVersion):
        if GEO.lat in legacy[s]:
            points[(legacy[s][GEO.lat][0], legacy[s][GEO.long][0])].append(s)
    shared = [v for v in points.values() if len(v) > 1]
    assert all(len({legacy[s][KG.level][0] for s in v}) == len(v) for v in shared)
    assert build.stats["shared_coordinates"] > build.stats["coordinates_dropped"] > 0


def test_every_code_is_one_dvhc_code_node(build: RegistryBuild, legacy: Graph, new: Graph) -> None:
    codes_typed = [s for g in (legacy, new) for s in g.typed(KG.DvhcCode)]
    codes = set(codes_typed)
    assert len(codes_typed) == len(codes) == len({u.code for u in build.registry})
    for g in (legacy, new):
        for s in g.typed(KG.AdminUnitVersion):
            code = g[s][KG.code][0]
            assert s in g[code][KG.denotedVersion]
            assert code in codes
    # A code first used in 2025 (Đặc khu Côn Đảo) is described in the 2025 graph.
    assert new[IDNS["code/dvhc/26732"]][RDF.type] == [KG.DvhcCode]


def test_documents_and_reform_are_described(new: Graph, legacy: Graph) -> None:
    for slug, number in [("nq-202-2025-qh15", "202/2025/QH15"), ("nq-76-2025-ubtvqh15", "76/2025/UBTVQH15"),
                         ("qd-19-2025-ttg", "19/2025/QĐ-TTg"), ("luat-72-2025-qh15", "72/2025/QH15")]:
        doc = new[IDNS[f"doc/{slug}"]]
        assert doc[DCTERMS.identifier] == [Literal(number)]
        assert {o.language for o in doc[RDFS.label]} == {"vi", "en"}
    assert new[IDNS["doc/nq-202-2025-qh15"]][DCTERMS.date] == [Literal("2025-06-12", datatype=XSD.date)]
    assert new[IDNS["doc/nq-76-2025-ubtvqh15"]][DCTERMS.date] == [Literal("2025-04-14", datatype=XSD.date)]
    register = legacy[IDNS["doc/dvhc-legacy-register"]]
    assert "vietnamadminunits 1.0.4" in register[RDFS.comment][0].value
    assert new[IDNS["event/2025-07-01/reform"]][DCTERMS.date] == [Literal("2025-07-01", datatype=XSD.date)]
    province_event = new[IDNS["event/2025-07-01/au/38"]]
    assert province_event[KG.legalBasis] == [IDNS["doc/nq-202-2025-qh15"]]


def test_no_blank_nodes_ascii_iris_and_no_dangling_links(build: RegistryBuild, legacy: Graph,
                                                        new: Graph) -> None:
    described = set(legacy.by_subject) | set(new.by_subject)
    for g in (build.legacy, build.new):
        for t in g.triples:
            assert isinstance(t.subject, NamedNode) and isinstance(t.predicate, NamedNode)
            assert isinstance(t.object, NamedNode | Literal)
            assert t.subject.value.isascii()
            if isinstance(t.object, NamedNode):
                assert t.object.value.isascii()
                if t.object.value.startswith(ID):
                    assert t.object in described, f"{t.object.value} is linked but never described"


def test_build_is_deterministic(build: RegistryBuild) -> None:
    again = build_registry()
    assert again.legacy.triples == build.legacy.triples
    assert again.new.triples == build.new.triples
    assert again.warnings == build.warnings
    assert again.stats == build.stats


def test_warnings_carry_counts_and_examples(build: RegistryBuild) -> None:
    crosscheck = [w for w in build.warnings if "vietnam-provinces" in w]
    assert crosscheck, "the cross-check against vietnam_provinces reported nothing"
    for w in build.warnings:
        count, _, rest = w.partition(" ")
        assert count.isdigit() and ": e.g. " in rest


def test_crosscheck_pairs_recoded_units_and_flags_renames() -> None:
    ours = {"00082": _Entry("00082", "Phường Cửa Nam", "01", "phuong"),
            "00004": _Entry("00004", "Phường Ba Đình", "01", "phuong"),
            "00008": _Entry("00008", "Phường Ngọc Hà", "01", "phuong")}
    theirs = {"00073": _Entry("00073", "Phường Cửa Nam", "01", "phuong"),
              "00004": _Entry("00004", "Phường Ba  Đình", "01", "phuong"),
              "00008": _Entry("00008", "Phường Kim Mã", "01", "xa")}
    found = Findings()
    stats = _compare("communes", ours, theirs, found, "x")
    assert stats["crosscheck_communes_recoded"] == 1
    assert stats["crosscheck_communes_renamed"] == 1
    assert stats["crosscheck_communes_spelling_variants"] == 1
    assert stats["crosscheck_communes_other_type"] == 1
    assert stats["crosscheck_communes_missing_here"] == stats["crosscheck_communes_missing_there"] == 0
    assert any("00082 here, 00073 there" in w for w in found.warnings())


def test_full_names_split_and_normalise() -> None:
    p = parse_full_name("Thành Phố Bắc Kạn", "district")
    assert p and (p.unit_type.slug, p.full, p.short, p.english) == (
        "thanh-pho", "Thành phố Bắc Kạn", "Bắc Kạn", "Bắc Kạn City")
    p = parse_full_name("Thị trấn Vĩnh Lộc", "commune")
    assert p and p.unit_type.slug == "thi-tran" and p.unit_type.extra_class == "Township"
    p = parse_full_name("Phường 1", "commune")
    assert p and (p.short, p.english) == ("Phường 1", "Ward 1")
    assert parse_full_name("Thành phố Hà Nội", "province").unit_type.slug == "thanh-pho-tw"
    assert parse_full_name("Vĩnh Lộc", "district") is None


def test_sparql_finds_the_version_of_a_code_on_a_date(build: RegistryBuild) -> None:
    store = Store()
    store.extend([Quad(t.subject, t.predicate, t.object, g.graph)
                  for g in (build.legacy, build.new) for t in g.triples])
    query = """
        PREFIX kg: <https://vinhloc-kg.example/def/> PREFIX schema: <http://schema.org/>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX vl: <https://version.link/>
        SELECT ?name ?succ WHERE { GRAPH ?g {
            <https://vinhloc-kg.example/id/code/dvhc/15382> kg:denotedVersion ?v .
            ?v schema:name ?name ; schema:validThrough ?until .
            FILTER(?until >= "2021-12-22"^^xsd:date) }
          ?v vl:successor/schema:name ?succ }"""
    rows = [(r["name"].value, r["succ"].value) for r in store.query(query, use_default_graph_as_union=True)]
    assert rows == [("Xã Minh Tân", "Xã Biện Thượng")]

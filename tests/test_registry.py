"""The national administrative-unit registry: both graphs, the reform links, and name resolution."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Store

from vlkg.ingest.model import BuildError
from vlkg.ingest.registry import RegistryBuild, build_registry
from vlkg.ingest.registry_names import parse_full_name
from vlkg.ingest.registry_source import KeyIndex
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
from vlkg.units import ResolutionError

DATA = Path(__file__).resolve().parent.parent / "data"
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


def _valid_on(build: RegistryBuild, day: date, level: str) -> list:
    return [r for r in build.registry if r.level == level and r.valid_on(day)]


def test_exact_counts_per_era(build: RegistryBuild, legacy: Graph, new: Graph) -> None:
    last = date(2025, 6, 30)
    assert [len(_valid_on(build, last, lv)) for lv in ("province", "district", "commune")] == [63, 696, 10_035]
    assert [len(_valid_on(build, AFTER, lv)) for lv in ("province", "district", "commune")] == [34, 0, 3_321]
    assert len(new.typed(KG.Province)) == 34
    assert len(new.typed(KG.Commune)) == 3_321
    assert len(new.typed(KG.SpecialZone)) == 13
    assert not legacy.typed(KG.SpecialZone)
    # Every version from the first register on: far more than the units of one day.
    assert len(legacy.typed(KG.AdminUnitVersion)) == build.stats["versions"] > 14_000
    assert len(build.registry) == build.stats["versions"] + 34 + 3_321
    assert (build.stats["new_provinces"], build.stats["new_communes"]) == (34, 3_321)
    assert build.stats["units_on_2025_06_30"] == 63 + 696 + 10_035
    # 2021 (the seed's year) is not 2025: about 570 communes of 2021 were gone by 2025-06-30.
    gone = {r.code for r in _valid_on(build, BEFORE, "commune")} - {r.code for r in _valid_on(build, last, "commune")}
    assert 500 < len(gone) < 700


def test_code_15382_has_three_versions(build: RegistryBuild, legacy: Graph, new: Graph) -> None:
    first, old, current = build.registry.by_code("15382")
    assert (first.iri, first.name, first.valid_from, first.valid_through) == (
        au("15382/2004-08-31"), "Xã Vĩnh Tân", date(2004, 8, 31), date(2019, 11, 30))
    assert (old.iri, old.name, old.valid_from, old.valid_through, old.parent) == (
        au("15382/2019-12-01"), "Xã Minh Tân", date(2019, 12, 1), date(2025, 6, 30), au("393/2004-08-31"))
    assert (current.iri, current.name, current.valid_from, current.parent) == (
        au("15382/2025-07-01"), "Xã Biện Thượng", date(2025, 7, 1), au("38/2025-07-01"))
    # 2019: Vĩnh Tân + Vĩnh Minh -> Minh Tân (NQ 786/NQ-UBTVQH14); Vĩnh Minh's link is inferred from the names.
    assert [r.iri for r in build.registry.predecessors(old.iri)] == [au("15370/2004-08-31"), au("15382/2004-08-31")]
    merger = IDNS["event/2019-12-01/au/15382"]
    assert legacy[old.iri][VL.startEvent] == [merger] == legacy[first.iri][VL.endEvent]
    assert legacy[IDNS["au/15370/2004-08-31"]][VL.endEvent] == [merger]
    assert set(legacy[merger][KG.changeKind]) == {KG["unit-change-merger"], KG["unit-change-rename"]}
    assert legacy[merger][KG.legalBasis] == [IDNS["doc/act/786-nq-ubtvqh14"]]
    assert legacy[merger][DCTERMS.date] == [Literal("2019-12-01", datatype=XSD.date)]
    inferred = legacy[IDNS["succession/15370/2004-08-31/15382/2019-12-01"]]
    assert inferred[KG.inferenceRule] == [KG["inference-name-overlap"]]
    assert legacy[first.iri][KG.firstRecorded] == [Literal("true", datatype=XSD.boolean)]
    # 2025: Vĩnh Hùng, Minh Tân, Vĩnh Thịnh, Vĩnh An -> Biện Thượng (NQ 1686/NQ-UBTVQH15, clause 63).
    four = [au(f"{c}/{s}") for c, s in (("15379", "2004-08-31"), ("15382", "2019-12-01"),
                                         ("15388", "2004-08-31"), ("15391", "2004-08-31"))]
    assert [r.iri for r in build.registry.predecessors(current.iri)] == four
    assert new[current.iri][VL.predecessor] == four
    for p in four:
        assert new[p][VL.successor] == [current.iri]
    minh_tan = legacy[old.iri]
    assert minh_tan[RDFS.label] == [Literal("Xã Minh Tân", language="vi"),
                                    Literal("Minh Tân Commune", language="en")]
    assert minh_tan[SKOS.altLabel] == [Literal("Minh Tân", language="vi")]
    assert minh_tan[KG.asciiName] == [Literal("Xa Minh Tan")]
    assert minh_tan[SKOS.notation] == [Literal("15382", datatype=KG.dvhcCode)]
    assert minh_tan[DCTERMS.identifier] == [Literal("15382")]
    assert minh_tan[SCHEMA.isPartOf] == [au("393/2004-08-31")]
    assert minh_tan[SCHEMA.validThrough] == [Literal("2025-06-30", datatype=XSD.date)]
    assert minh_tan[KG.attestedIn] == [IDNS["doc/gso-dvhc-register"]]
    bien_thuong = new[current.iri]
    assert bien_thuong[SCHEMA.validFrom] == [Literal("2025-07-01", datatype=XSD.date)]
    assert bien_thuong[KG.areaKm2] == [Literal("65.4", datatype=XSD.decimal)]
    assert bien_thuong[KG.attestedIn] == [IDNS["doc/cv-1027-ctk-cscl"]]
    event = IDNS["event/2025-07-01/au/15382"]
    assert bien_thuong[VL.startEvent] == [event]
    assert set(new[event][RDF.type]) == {VL.ChangeEvent, VL.Combination}
    assert new[event][KG.legalBasis] == [IDNS["doc/act/1686-nq-ubtvqh15"]]
    clause = IDNS["doc/act/1686-nq-ubtvqh15/clause/63"]
    assert new[event][KG.legalClause] == [clause]
    assert new[clause][KG.clauseNumber] == [Literal("63", datatype=XSD.integer)]
    assert new[event][DCTERMS.isPartOf] == [IDNS["event/2025-07-01/reform"]]
    code = IDNS["code/dvhc/15382"]
    assert legacy[code][RDF.type] == [KG.DvhcCode]
    assert legacy[code][KG.denotedVersion] == [first.iri, old.iri]
    assert new[code][KG.denotedVersion] == [current.iri]


def test_every_2025_commune_event_cites_its_clause_quoted_at_its_offsets(new: Graph) -> None:
    """Each quote equals the stored resolution text at its offsets (the build checks it; so does this)."""
    from vlkg.namespaces import OA, PROV

    events = [s for s in new.typed(VL.ChangeEvent) if s.value.startswith(ID + "event/2025-07-01/au/")
              and len(s.value.rsplit("/", 1)[1]) == 5]
    assert len(events) == 3_321
    texts: dict[NamedNode, str] = {}
    for e in events:
        (act,), (clause,) = new[e][KG.legalBasis], new[e][KG.legalClause]
        assert new[clause][DCTERMS.isPartOf] == [act]
        assert act.value.startswith(ID + "doc/act/") and act.value.endswith("-nq-ubtvqh15")
        if act not in texts:
            texts[act] = new[act][SCHEMA.text][0].value
        (quote,) = new[clause][PROV.wasDerivedFrom]
        assert new[quote][OA.hasSource] == [act]
        selectors = {new[s][RDF.type][0]: s for s in new[quote][OA.hasSelector]}
        exact = new[selectors[OA.TextQuoteSelector]][OA.exact][0].value
        position = new[selectors[OA.TextPositionSelector]]
        start, end = int(position[OA.start][0].value), int(position[OA.end][0].value)
        assert texts[act][start:end] == exact
        assert exact.lstrip().startswith(new[clause][KG.clauseNumber][0].value)
    assert len(texts) == 34
    (quote,) = new[IDNS["doc/act/1686-nq-ubtvqh15/clause/63"]][PROV.wasDerivedFrom]
    exact = next(new[s][OA.exact][0].value for s in new[quote][OA.hasSelector] if OA.exact in new[s])
    words = " ".join(exact.split())  # the stored text keeps the PDF's line breaks
    assert "Vĩnh Hùng, Minh Tân, Vĩnh Thịnh và Vĩnh An" in words and "Biện Thượng" in words


def test_versions_of_a_code_never_overlap_and_links_are_dated(build: RegistryBuild) -> None:
    """One code, one unit at a time; a successor starts the day after its predecessor ends."""
    from datetime import timedelta

    by_code = defaultdict(list)
    for r in build.registry:
        by_code[r.code].append(r)
        assert r.valid_through is None or r.valid_from <= r.valid_through
    for versions in by_code.values():
        versions.sort(key=lambda r: r.valid_from)
        for a, b in itertools.pairwise(versions):
            assert a.valid_through is not None and a.valid_through < b.valid_from, (a.iri, b.iri)
    for r in build.registry:
        for s in build.registry.successors(r.iri):
            assert r.valid_through + timedelta(days=1) == s.valid_from, (r.iri, s.iri)


def test_dated_questions_get_the_version_of_their_date(build: RegistryBuild) -> None:
    registry = build.registry
    assert registry.lookup("15382", on=date(2015, 6, 1)).name == "Xã Vĩnh Tân"
    assert registry.lookup("15382", on=BEFORE).name == "Xã Minh Tân"
    assert registry.lookup("15382", on=AFTER).name == "Xã Biện Thượng"
    assert registry.lookup("Minh Tân", on=BEFORE, parent="Vĩnh Lộc").iri == au("15382/2019-12-01")
    with pytest.raises(ResolutionError, match="names no unit valid on 2015-06-01"):
        registry.lookup("xã Minh Tân", on=date(2015, 6, 1), parent="Vĩnh Lộc")
    with pytest.raises(ResolutionError, match=r"no unit bore code '15370' on 2021-12-22.*Xã Vĩnh Minh"):
        registry.lookup("15370", on=BEFORE)
    vinh_loc = [r.name for r in registry if r.valid_on(date(2019, 6, 1)) and r.parent == au("393/2004-08-31")]
    assert len(vinh_loc) == 16
    assert len([r for r in registry if r.valid_on(BEFORE) and r.parent == au("393/2004-08-31")]) == 13
    # Hà Long and Hà Lĩnh (Hà Trung) were communes in 2021, townships from the 2025-01-01 edition on.
    ha_trung = {r.name for r in registry if r.valid_on(BEFORE) and au("392/2004-08-31") in r.parents}
    assert len(ha_trung) == 20 and {"Xã Hà Long", "Xã Hà Lĩnh", "Xã Hà Thái"} <= ha_trung
    ha_long = registry.by_code("15274")
    assert [(r.name, str(r.valid_from)) for r in ha_long][:2] == [
        ("Xã Hà Long", "2004-08-31"), ("Thị trấn Hà Long", "2025-01-01")]


def test_english_labels_follow_the_unit_type(legacy: Graph, new: Graph) -> None:
    def en(g: Graph, s: NamedNode) -> str:
        return next(o.value for o in g[s][RDFS.label] if o.language == "en")

    assert en(legacy, au("393/2004-08-31")) == "Vĩnh Lộc District"
    assert en(legacy, au("38/2004-08-31")) == "Thanh Hóa Province"
    assert en(legacy, au("01/2008-08-01")) == "Hà Nội City"
    assert en(legacy, au("760/2004-08-31")) == "District 1"  # Quận 1
    assert en(new, au("26732/2025-07-01")) == "Côn Đảo Special Zone"


def test_resolve_with_parent_on_the_meeting_date(build: RegistryBuild) -> None:
    unit = build.registry.resolve("xã Vĩnh Hùng", parent="huyện Vĩnh Lộc", on=BEFORE)
    assert unit.iri == au("15379/2004-08-31")
    assert build.registry.resolve("Vĩnh Lộc", level="district", on=BEFORE).iri == au("393/2004-08-31")
    assert build.registry.resolve("huyện Vĩnh Lộc", parent="Thanh Hóa", on=BEFORE).iri == au("393/2004-08-31")


def test_resolve_without_parent_names_the_candidates(build: RegistryBuild) -> None:
    with pytest.raises(ResolutionError) as err:
        build.registry.resolve("Vĩnh Hùng", on=BEFORE)
    message = str(err.value)
    assert "ambiguous" in message and "15379" in message and "Huyện Vĩnh Lộc" in message
    assert message.count("code ") >= 2
    assert isinstance(err.value, ValueError)


def test_folded_input_works(build: RegistryBuild) -> None:
    assert build.registry.resolve("xa minh tan", parent="vinh loc", on=BEFORE).iri == au("15382/2019-12-01")
    assert build.registry.resolve("XA  MINH TAN", parent="huyen vinh loc", on=BEFORE).iri == au("15382/2019-12-01")
    # Folded, Vĩnh Hùng and its sibling Vĩnh Hưng are one name: only diacritics tell them apart.
    with pytest.raises(ResolutionError, match=r"15367.*15379"):
        build.registry.resolve("xa vinh hung", parent="vinh loc", on=BEFORE)
    assert build.registry.resolve("xã Vĩnh Hưng", parent="Vĩnh Lộc", on=BEFORE).code == "15367"


def test_resolve_selects_the_version_valid_that_day(build: RegistryBuild) -> None:
    registry = build.registry
    assert registry.resolve("Thanh Hóa", level="province", on=BEFORE).iri == au("38/2004-08-31")
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
    assert [r.name for r in registry.ancestors(au("15382/2019-12-01"))] == ["Huyện Vĩnh Lộc", "Tỉnh Thanh Hóa"]
    assert [r.iri for r in registry.ancestors(au("15382/2025-07-01"))] == [au("38/2025-07-01")]
    assert [r.iri for r in registry.successors(au("15379/2004-08-31"))] == [au("15382/2025-07-01")]
    assert [r.iri for r in registry.successors(au("38/2004-08-31"))] == [au("38/2025-07-01")]
    assert registry.successors(au("393/2004-08-31")) == []
    assert registry.get(au("393/2004-08-31")).unit_type == "huyen"
    assert registry.by_code("99999") == []


def test_namesake_siblings_go_where_their_clauses_say(new: Graph) -> None:
    # Vĩnh Hùng and its sibling Vĩnh Hưng fold to one name; clause 63 of NQ 1686 names Vĩnh Hùng only.
    assert new[au("15379/2004-08-31")][VL.successor] == [au("15382/2025-07-01")]
    assert new[au("15367/2004-08-31")][VL.successor] != [au("15382/2025-07-01")]


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


def test_every_unit_of_2025_06_30_has_a_successor_and_every_2025_unit_a_predecessor(build: RegistryBuild,
                                                                                   new: Graph) -> None:
    last = date(2025, 6, 30)
    for r in build.registry:
        if r.valid_on(last) and r.level != "district":
            assert new[r.iri].get(VL.successor), f"{r.iri.value} has no 2025 successor"
        if r.valid_on(last) and r.level == "province":
            assert len(new[r.iri][VL.successor]) == 1
    assert all(new[s].get(VL.predecessor) for s in new.typed(KG.AdminUnitVersion))


def test_districts_end_in_abolition_except_island_districts(build: RegistryBuild, new: Graph) -> None:
    vinh_loc = new[au("393/2004-08-31")]
    assert VL.successor not in vinh_loc
    event = IDNS["event/2025-07-01/abolish/393"]
    assert vinh_loc[VL.endEvent] == [event]
    assert new[event][KG.legalBasis] == [IDNS["doc/luat-72-2025-qh15"]]
    assert new[event][DCTERMS.date] == [Literal("2025-07-01", datatype=XSD.date)]
    # Huyện Côn Đảo had no communes: it became Đặc khu Côn Đảo.
    con_dao = au("26732/2025-07-01")
    assert new[au("755/2004-08-31")][VL.successor] == [con_dao]
    assert new[con_dao][VL.predecessor] == [au("755/2004-08-31")]
    assert VL.ChangeOfHierarchyLevel in new[IDNS["event/2025-07-01/au/26732"]][RDF.type]
    districts = [r for r in build.registry if r.level == "district" and r.valid_on(date(2025, 6, 30))]
    assert len(districts) == 696 and all(new[r.iri].get(VL.endEvent) for r in districts)


def test_divided_communes_have_several_successors_and_separation_events(build: RegistryBuild,
                                                                        new: Graph) -> None:
    last = date(2025, 6, 30)
    divided = [r for r in build.registry if r.valid_on(last) and len(build.registry.successors(r.iri)) > 1]
    assert len(divided) > 400
    for r in divided[:50]:
        for succ in build.registry.successors(r.iri):
            event = IDNS[f"event/2025-07-01/au/{succ.code}"]
            assert VL.Separation in new[event][RDF.type]
            assert r.iri in new[event][KG.partOfPredecessor]
        assert len(new[r.iri][VL.endEvent]) == len(build.registry.successors(r.iri))


def test_points_locate_their_unit_or_say_they_are_approximate(build: RegistryBuild, legacy: Graph,
                                                               new: Graph) -> None:
    true = [Literal("true", datatype=XSD.boolean)]
    # The package geocoded Xã Minh Tân to "Vĩnh Lộc District": the point is the district's, not Minh Tân's.
    assert GEO.lat not in legacy[au("15382/2019-12-01")]
    assert legacy[au("393/2004-08-31")][GEO.lat] == [Literal("20.063973", datatype=XSD.decimal)]
    # Xã Vĩnh Hùng and its sibling Xã Vĩnh Hưng were both geocoded to "Vĩnh Hưng".
    assert legacy[au("15367/2004-08-31")][GEO.long] == [Literal("105.658849", datatype=XSD.decimal)]
    assert GEO.lat not in legacy[au("15379/2004-08-31")]
    assert KG.approximatePoint not in legacy[au("15367/2004-08-31")]
    # Points describe the units of 2025-06-30 only: an older version of the same code gets none.
    assert GEO.lat not in legacy[au("15382/2004-08-31")]
    approximate = [s for s in legacy.typed(KG.AdminUnitVersion) if legacy[s].get(KG.approximatePoint) == true]
    assert approximate and all(GEO.lat in legacy[s] for s in approximate)
    assert new[au("15382/2025-07-01")][KG.approximatePoint] == true  # the package states no method


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
                         ("luat-72-2025-qh15", "72/2025/QH15"), ("cv-1027-ctk-cscl", "1027/CTK-CSCL"),
                         ("act/1686-nq-ubtvqh15", "1686/NQ-UBTVQH15")]:
        doc = new[IDNS[f"doc/{slug}"]]
        assert doc[DCTERMS.identifier] == [Literal(number)]
        assert {o.language for o in doc[RDFS.label]} == {"vi", "en"}
    assert new[IDNS["doc/nq-202-2025-qh15"]][DCTERMS.date] == [Literal("2025-06-12", datatype=XSD.date)]
    act = legacy[IDNS["doc/act/786-nq-ubtvqh14"]]
    assert act[DCTERMS.identifier] == [Literal("786/NQ-UBTVQH14")]
    assert "Thanh Hóa" in act[SCHEMA.name][0].value
    register = legacy[IDNS["doc/gso-dvhc-register"]]
    assert "dvhcvn-historical-data" in register[RDFS.comment][0].value
    assert new[IDNS["event/2025-07-01/reform"]][DCTERMS.date] == [Literal("2025-07-01", datatype=XSD.date)]
    province_event = new[IDNS["event/2025-07-01/au/38"]]
    assert province_event[KG.legalBasis] == [IDNS["doc/nq-202-2025-qh15"]]
    resolution = new[IDNS["doc/act/1686-nq-ubtvqh15"]]
    assert "Biện Thượng" in resolution[SCHEMA.text][0].value and len(resolution[KG.textSnapshotSha256]) == 1


def test_changes_seen_between_editions_carry_their_window(legacy: Graph) -> None:
    # Hà Long became a township in the 2025-01-01 edition; the previous edition is 2024-11-01.
    event = legacy[IDNS["event/2025-01-01/au/15274"]]
    assert event[KG.windowStart] == [Literal("2024-11-02", datatype=XSD.date)]
    assert event[DCTERMS.date] == [Literal("2025-01-01", datatype=XSD.date)]
    assert KG["unit-change-upgrade"] in event[KG.changeKind]
    assert KG.legalBasis not in event  # the editions name no act
    # A change of the change log is dated by its act's entry into force, with no window.
    assert KG.windowStart not in legacy[IDNS["event/2019-12-01/au/15382"]]


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


def test_warnings_say_what_the_sources_do_not_and_where_it_is_listed(build: RegistryBuild) -> None:
    warnings = "\n".join(build.warnings)
    assert "no successor the data can show" in warnings and "data/registry/README.md" in warnings
    assert "data/registry/history-disagreements.csv" in warnings
    assert "data/registry/reform-2025-disagreements.csv" in warnings
    for w in build.warnings:
        assert w.split(" ", 1)[0].isdigit()
    for key in ("events_merger", "events_rename", "events_upgrade", "events_dated_by_window",
                "links_name_overlap", "vanished_without_successor", "overlap_disagreements"):
        assert build.stats[key] > 0, key


def test_a_missing_data_file_names_itself(tmp_path) -> None:
    with pytest.raises(BuildError, match=r"versions.csv is missing.*restore it with git"):
        build_registry(tmp_path)


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


def test_sparql_finds_the_version_of_a_code_on_a_date(built_store: Store) -> None:
    query = """
        PREFIX kg: <https://vinhloc-kg.example/def/> PREFIX schema: <http://schema.org/>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX vl: <https://version.link/>
        SELECT ?name ?succ WHERE { GRAPH ?g {
            <https://vinhloc-kg.example/id/code/dvhc/15382> kg:denotedVersion ?v .
            ?v schema:name ?name ; schema:validThrough ?until .
            FILTER(?until >= "2021-12-22"^^xsd:date) }
          ?v vl:successor/schema:name ?succ }"""
    rows = [(r["name"].value, r["succ"].value) for r in built_store.query(query, use_default_graph_as_union=True)]
    assert rows == [("Xã Minh Tân", "Xã Biện Thượng")]

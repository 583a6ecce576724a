"""The national administrative-unit registry as two named graphs (before / from 2025-07-01) plus a
`Registry` index for resolving names.

Source: the `vietnamadminunits` package data (read in registry_source), cross-checked against
`vietnam_provinces` (registry_crosscheck). The data model is ontology/README.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from pyoxigraph import NamedNode

from vlkg.ingest.model import GraphBuild, date_lit, lit
from vlkg.ingest.registry_crosscheck import crosscheck
from vlkg.ingest.registry_docs import (
    LUAT_72,
    NQ_76,
    NQ_202,
    QD_19,
    REFORM_DATE,
    REFORM_EVENT,
    describe_reform,
    legacy_register,
)
from vlkg.ingest.registry_names import LEVEL_CLASS
from vlkg.ingest.registry_source import LEGACY, SourceData, SourceUnit, Succession, read_source, uid_order
from vlkg.ingest.resolve import Registry, UnitRecord
from vlkg.namespaces import (
    DCTERMS,
    GEO,
    GRAPH_REGISTRY_2025,
    GRAPH_REGISTRY_LEGACY,
    IDNS,
    KG,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VL,
)
from vlkg.text import fold

LEGACY_END = "2025-06-30"


@dataclass
class RegistryBuild:
    """Both registry graphs and the name index built from the same data."""

    legacy: GraphBuild  # GRAPH_REGISTRY_LEGACY
    new: GraphBuild  # GRAPH_REGISTRY_2025
    registry: Registry

    @property
    def warnings(self) -> list[str]:
        return [*self.legacy.warnings, *self.new.warnings]

    @property
    def stats(self) -> dict[str, int]:
        return {**self.legacy.stats, **self.new.stats}


def unit_iri(uid: str) -> NamedNode:
    """id/au/{code}/{since} from '15382/base'."""
    return IDNS[f"au/{uid}"]


def code_iri(code: str) -> NamedNode:
    return IDNS[f"code/dvhc/{code}"]


def build_registry() -> RegistryBuild:
    """Read the package data and build both graphs and the index (a few seconds, nothing cached)."""
    src = read_source()
    legacy_doc = legacy_register(src.version)
    legacy = GraphBuild(GRAPH_REGISTRY_LEGACY, "Administrative units of Viet Nam before 1 July 2025",
                        "Đơn vị hành chính Việt Nam trước ngày 1/7/2025",
                        f"vietnamadminunits {src.version} (MIT), table admin_units_legacy")
    new = GraphBuild(GRAPH_REGISTRY_2025, "Administrative units of Viet Nam from 1 July 2025, and the reform",
                     "Đơn vị hành chính Việt Nam từ ngày 1/7/2025 và cuộc sắp xếp",
                     f"vietnamadminunits {src.version} (MIT), table admin_units and converter_2025.json; "
                     "cross-checked against vietnam-provinces")

    legacy_doc.describe(legacy)
    for doc in (QD_19, NQ_202, NQ_76, LUAT_72):
        doc.describe(new)
    describe_reform(new)
    for u in src.legacy:
        _describe_unit(legacy, u, legacy_doc.iri)
    for u in src.new:
        _describe_unit(new, u, QD_19.iri)
    _describe_codes(src, legacy, new)
    successors = _describe_reform_events(src, new)

    _report(src, legacy, new, successors)
    return RegistryBuild(legacy, new, Registry(_records(src), {
        unit_iri(old).value: [unit_iri(n).value for n in sorted(news, key=uid_order)]
        for old, news in sorted(successors.items(), key=lambda kv: uid_order(kv[0]))}))


def _describe_unit(g: GraphBuild, u: SourceUnit, attested_in: NamedNode) -> None:
    t = u.name.unit_type
    g.add_all(unit_iri(u.uid), [
        (RDF.type, KG.AdminUnitVersion),
        (RDF.type, KG[LEVEL_CLASS[u.level]]),
        (RDF.type, KG[t.extra_class] if t.extra_class else None),
        (RDFS.label, lit(u.name.full, "vi")),
        (RDFS.label, lit(u.name.english, "en")),
        (SCHEMA.name, lit(u.name.full, "vi")),
        (SKOS.altLabel, lit(u.name.short, "vi")),
        (KG.asciiName, lit(fold(u.name.full))),
        (SKOS.notation, lit(u.code, datatype=KG.dvhcCode)),
        (KG.code, code_iri(u.code)),
        (KG.level, KG[f"level-{u.level}"]),
        (KG.unitType, KG[f"type-{t.slug}"]),
        (SCHEMA.isPartOf, unit_iri(u.parent) if u.parent else None),
        (SCHEMA.validThrough, date_lit(LEGACY_END) if u.since == LEGACY else None),
        (SCHEMA.validFrom, date_lit(u.since) if u.since != LEGACY else None),
        (GEO.lat, lit(u.lat) if u.lat is not None else None),
        (GEO.long, lit(u.lon) if u.lon is not None else None),
        (KG.areaKm2, lit(u.area_km2) if u.area_km2 is not None else None),
        (KG.attestedIn, attested_in),
    ])


def _describe_codes(src: SourceData, legacy: GraphBuild, new: GraphBuild) -> None:
    """One kg:DvhcCode per code, described in the graph of its oldest version; each denotedVersion link
    goes in the graph of the version it points to."""
    versions: dict[str, list[SourceUnit]] = defaultdict(list)
    for u in [*src.legacy, *src.new]:
        versions[u.code].append(u)
    for code in sorted(versions, key=lambda c: (len(c), c)):
        home = legacy if versions[code][0].since == LEGACY else new
        home.add_all(code_iri(code), [
            (RDF.type, KG.DvhcCode),
            (SKOS.notation, lit(code, datatype=KG.dvhcCode)),
            (RDFS.label, lit(f"Mã ĐVHC {code}", "vi")),
            (RDFS.label, lit(f"Administrative unit code {code}", "en")),
        ])
        for u in versions[code]:
            (legacy if u.since == LEGACY else new).add(code_iri(code), KG.denotedVersion, unit_iri(u.uid))


def _describe_reform_events(src: SourceData, g: GraphBuild) -> dict[str, list[str]]:
    """Change events, predecessor/successor and start/end links; districts that were not turned into
    a special zone end in their own abolition event. Returns legacy uid -> 2025 uids."""
    units = {u.uid: u for u in [*src.legacy, *src.new]}
    successors: dict[str, list[str]] = defaultdict(list)
    for s in src.successions:
        event = _succession_event(g, s, units)
        new = unit_iri(s.new)
        g.add(new, VL.startEvent, event)
        for p in s.preds:
            g.add(new, VL.predecessor, unit_iri(p))
        for p in s.preds:
            g.add(unit_iri(p), VL.successor, new)
            g.add(unit_iri(p), VL.endEvent, event)
            successors[p].append(s.new)
    for u in src.legacy:
        if u.level == "district" and u.uid not in successors:
            event = IDNS[f"event/{REFORM_DATE}/abolish/{u.code}"]
            g.add_all(event, [
                (RDF.type, VL.ChangeEvent),
                (RDF.type, VL.Deprecation),
                (RDFS.label, lit(f"Kết thúc {u.name.full}", "vi")),
                (RDFS.label, lit(f"Abolition of {u.name.english}", "en")),
                (DCTERMS.date, date_lit(REFORM_DATE)),
                (DCTERMS.isPartOf, REFORM_EVENT),
                (KG.legalBasis, LUAT_72.iri),
            ])
            g.add(unit_iri(u.uid), VL.endEvent, event)
    return successors


def _succession_event(g: GraphBuild, s: Succession, units: dict[str, SourceUnit]) -> NamedNode:
    new = units[s.new]
    event = IDNS[f"event/{REFORM_DATE}/au/{new.code}"]
    level_changed = any(units[p].level != new.level for p in s.preds)  # island district -> special zone
    g.add_all(event, [
        (RDF.type, VL.ChangeEvent),
        (RDF.type, VL.Combination if len(s.preds) > 1 else VL.ChangeInHierarchy),
        (RDF.type, VL.Separation if s.split else None),
        (RDF.type, VL.ChangeOfHierarchyLevel if level_changed else None),
        (RDFS.label, lit(f"Sắp xếp năm 2025: {new.name.full}", "vi")),
        (RDFS.label, lit(f"2025 reorganisation: {new.name.english}", "en")),
        (DCTERMS.date, date_lit(REFORM_DATE)),
        (DCTERMS.isPartOf, REFORM_EVENT),
        (KG.legalBasis, (NQ_202 if s.level == "province" else NQ_76).iri),
    ])
    return event


def _records(src: SourceData) -> list[UnitRecord]:
    legacy_end = date.fromisoformat(LEGACY_END)
    return [UnitRecord(
        iri=unit_iri(u.uid), code=u.code, name=u.name.full, short=u.name.short, level=u.level,
        unit_type=u.name.unit_type.slug, parent=unit_iri(u.parent) if u.parent else None,
        valid_from=None if u.since == LEGACY else date.fromisoformat(u.since),
        valid_through=legacy_end if u.since == LEGACY else None,
    ) for u in [*src.legacy, *src.new]]


def _report(src: SourceData, legacy: GraphBuild, new: GraphBuild, successors: dict[str, list[str]]) -> None:
    """Counts and warnings for the build summary."""
    def count(units: list[SourceUnit], level: str, slug: str | None = None) -> int:
        return sum(u.level == level and (slug is None or u.name.unit_type.slug == slug) for u in units)

    legacy.stats.update({
        "legacy_provinces": count(src.legacy, "province"),
        "legacy_districts": count(src.legacy, "district"),
        "legacy_communes": count(src.legacy, "commune"),
        "legacy_wards": count(src.legacy, "commune", "phuong"),
        "legacy_townships": count(src.legacy, "commune", "thi-tran"),
        "shared_coordinates": src.stats["shared_coordinates"],
        "coordinates_dropped": src.stats["coordinates_dropped"],
        "legacy_names_normalised": src.stats["legacy_names_normalised"],
    })
    legacy.warnings.extend(src.legacy_findings.warnings())
    crosscheck_findings, crosscheck_stats = crosscheck(src.new)
    split_legacy = {p for s in src.successions for p in s.split}
    events = [s for s in src.successions if s.preds]
    new.stats.update({
        "new_provinces": count(src.new, "province"),
        "new_communes": count(src.new, "commune"),
        "new_wards": count(src.new, "commune", "phuong"),
        "new_special_zones": count(src.new, "commune", "dac-khu"),
        "successor_links": sum(len(v) for v in successors.values()),
        "province_successor_links": sum(len(s.preds) for s in src.successions if s.level == "province"),
        "change_events": len(events),
        "combination_events": sum(len(s.preds) > 1 for s in events),
        "separation_events": sum(bool(s.split) for s in events),
        "split_legacy_communes": len(split_legacy),
        "abolished_districts": sum(u.level == "district" and u.uid not in successors for u in src.legacy),
        "districts_to_special_zones": sum(u.level == "district" and u.uid in successors for u in src.legacy),
        "unmapped_legacy": src.stats["unmapped_legacy"],
        "keys_with_diacritics": src.stats["keys_with_diacritics"],
        "keys_normalised": src.stats["keys_normalised"],
        "new_names_normalised": src.stats["new_names_normalised"],
        "dvhc_codes": len({u.code for u in [*src.legacy, *src.new]}),
        **crosscheck_stats,
    })
    new.warnings.extend(src.new_findings.warnings())
    new.warnings.extend(crosscheck_findings.warnings())
    legacy.stats["legacy_triples"] = len(legacy.triples)
    new.stats["new_triples"] = len(new.triples)

"""The administrative-unit registry, 2003 → today, as two named graphs plus a `Registry` index.

Reads only `data/registry/` (derived and reviewed by `ingest/derive_history.py` and `ingest/derive_reform.py`,
see data/registry/README.md) and the resolution texts under `data/sources/reform-2025/`:

- graph/ref/dvhc-legacy: every unit version from the first register (2003) to 2025-06-30, the change events
  between them with their dates (or date windows), kinds and acts, and the inferred successions, each saying
  how it was inferred;
- graph/ref/dvhc-2025: the units from 2025-07-01 and the reform: one event per new unit citing its
  province's resolution and clause, the clause quoted at its offsets in the stored text.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from pyoxigraph import NamedNode

from vlkg.ingest.model import BuildError, GraphBuild, date_lit, lit
from vlkg.ingest.quotes import add_quote
from vlkg.ingest.registry_docs import (
    CV_1027,
    GSO_REGISTER,
    LUAT_72,
    NQ_76,
    NQ_202,
    REFORM_DATE,
    REFORM_EVENT,
    describe_reform,
)
from vlkg.namespaces import (
    DCTERMS,
    GEO,
    GRAPH_REGISTRY_2025,
    GRAPH_REGISTRY_LEGACY,
    IDNS,
    KG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    VL,
)
from vlkg.text import fold, slug
from vlkg.unit_types import BY_SLUG, LEVEL_CLASS, UnitType
from vlkg.units import Registry, UnitRecord

LAST_LEGACY_DAY = "2025-06-30"
TYPES = BY_SLUG
# Kinds of change (kg:unit-change-… in ontology/units.ttl) and the version.link classes that fit them.
# (A commune that becomes a township stays at its level: no vl:ChangeOfHierarchyLevel for upgrades.)
KIND_CLASSES = {"merger": VL.Combination, "split": VL.Separation, "transfer": VL.ChangeInHierarchy,
                "abolition": VL.Deprecation}
INFERRED = ("children", "same-name", "name-overlap", "only-candidate")


@dataclass
class Version:
    """One row of versions.csv, or one 2025 unit."""

    code: str
    valid_from: str
    valid_through: str | None
    level: str
    type: UnitType
    name: str
    parent_code: str | None
    first_record: bool = False
    start_event: str | None = None
    end_event: str | None = None
    parents: list[str] = field(default_factory=list)  # uids of the parent versions over its life

    @property
    def uid(self) -> str:
        return f"{self.code}/{self.valid_from}"

    @property
    def short(self) -> str:
        rest = self.name[len(self.type.word) + 1:] if self.name.startswith(self.type.word + " ") else self.name
        return self.name if rest.isdigit() else rest

    @property
    def english(self) -> str:
        rest = self.name[len(self.type.word) + 1:] if self.name.startswith(self.type.word + " ") else self.name
        return f"{self.type.en} {rest}" if rest.isdigit() else f"{rest} {self.type.en}"


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
    """id/au/{code}/{validFrom} from '15382/2019-12-01'."""
    return IDNS[f"au/{uid}"]


def code_iri(code: str) -> NamedNode:
    return IDNS[f"code/dvhc/{code}"]


def event_iri(event: str) -> NamedNode:
    return IDNS[f"event/{event}"]


def act_iri(identifier: str) -> NamedNode:
    """id/doc/act/786-nq-ubtvqh14 from '786/NQ-UBTVQH14'."""
    return IDNS[f"doc/act/{slug(identifier)}"]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise BuildError(f"{path} is missing: it is part of the repository (data/registry/README.md says how it "
                         "is derived); restore it with git")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def build_registry(data_dir: Path) -> RegistryBuild:
    """Read data/registry and build both graphs and the index (a few seconds)."""
    reg = data_dir / "registry"
    legacy = GraphBuild(GRAPH_REGISTRY_LEGACY, "Administrative units of Viet Nam, 2003 to 30 June 2025: every version",
                        "Đơn vị hành chính Việt Nam từ 2003 đến 30/6/2025: mọi phiên bản",
                        "GSO register (danhmuchanhchinh.gso.gov.vn) via daohoangson/dvhcvn-historical-data and "
                        "daohoangson/dvhcvn; derived by ingest/derive_history.py into data/registry/")
    new = GraphBuild(GRAPH_REGISTRY_2025, "Administrative units of Viet Nam from 1 July 2025, and the reform",
                     "Đơn vị hành chính Việt Nam từ ngày 1/7/2025 và cuộc sắp xếp",
                     "Công văn 1027/CTK-CSCL and 915/CTK-CSCL (code lists), resolutions NQ 1654–1687/NQ-UBTVQH15 "
                     "(clauses quoted); derived by ingest/derive_reform.py into data/registry/")
    versions = [_version(r) for r in _rows(reg / "versions.csv")]
    events = {r["event"]: r for r in _rows(reg / "events.csv")}
    links = _rows(reg / "links.csv")
    acts = {r["identifier"]: r for r in _rows(reg / "acts.csv")}
    reform = _rows(reg / "reform-2025.csv")
    new_versions = _new_versions(reg)
    by_code_open = {v.code: v for v in versions if v.valid_through == LAST_LEGACY_DAY}

    _set_parents(versions)
    _set_parents(new_versions)
    points = _points(reg / "points.csv")
    GSO_REGISTER.describe(legacy)
    for v in versions:
        _describe_unit(legacy, v, points.get((v.code, LAST_LEGACY_DAY)) if v.valid_through == LAST_LEGACY_DAY
                       else None, GSO_REGISTER.iri)
    for doc in (NQ_202, NQ_76, LUAT_72, CV_1027):
        doc.describe(new)
    for v in new_versions:
        _describe_unit(new, v, points.get((v.code, REFORM_DATE)), CV_1027.iri)
    _describe_codes(legacy, new, versions, new_versions)
    used_acts = _describe_events(legacy, events, acts)
    successions = [(lk["predecessor"], lk["successor"], lk["event"], lk["basis"]) for lk in links]
    _describe_links(legacy, successions)
    describe_reform(new)
    reform_links = _describe_reform(new, data_dir, reform, new_versions, by_code_open)
    _report(legacy, new, versions, new_versions, events, successions, used_acts, reform_links, reg)
    all_links = successions + [(p, s, "", "clause") for p, s in reform_links]
    return RegistryBuild(legacy, new, Registry(_records([*versions, *new_versions]), _successors(all_links)))


# -- reading ------------------------------------------------------------------------------------------------

def _version(r: dict[str, str]) -> Version:
    t = TYPES.get(r["type"])
    if t is None:
        raise BuildError(f"data/registry/versions.csv: {r['code']} has unknown type {r['type']!r}")
    return Version(r["code"], r["valid_from"], r["valid_through"] or None, r["level"], t, r["name"],
                   r["parent_code"] or None, r["first_record"] == "1", r["start_event"] or None,
                   r["end_event"] or None)


def _new_versions(reg: Path) -> list[Version]:
    out = []
    for r in _rows(reg / "provinces-2025.csv"):
        t = TYPES[r["type"]]
        name = r["name"] if r["name"].startswith(t.word + " ") else f"{t.word} {r['name']}"
        out.append(Version(r["code"], REFORM_DATE, None, "province", t, name, None,
                           start_event=f"{REFORM_DATE}/au/{r['code']}"))
    for r in _rows(reg / "communes-2025.csv"):
        out.append(Version(r["code"], REFORM_DATE, None, "commune", TYPES[r["type"]], " ".join(r["name"].split()),
                           r["province_code"], start_event=f"{REFORM_DATE}/au/{r['code']}"))
    return out


def _set_parents(versions: list[Version]) -> None:
    """Each version's parents: the versions of its parent code that overlap its life (usually one)."""
    by_code: dict[str, list[Version]] = defaultdict(list)
    for v in versions:
        by_code[v.code].append(v)
    for v in versions:
        if v.parent_code is None:
            continue
        end = v.valid_through or "9999-12-31"
        v.parents = [p.uid for p in by_code.get(v.parent_code, [])
                     if p.valid_from <= end and (p.valid_through or "9999-12-31") >= v.valid_from]
        if not v.parents:
            raise BuildError(f"data/registry: {v.uid} {v.name} has parent code {v.parent_code}, which no version "
                             "bears during its life")


def _points(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["code"], r["valid_on"]): r for r in _rows(path)}


# -- units and codes ----------------------------------------------------------------------------------------

def _describe_unit(g: GraphBuild, v: Version, point: dict[str, str] | None, attested_in: NamedNode) -> None:
    iri = unit_iri(v.uid)
    g.add_all(iri, [
        (RDF.type, KG.AdminUnitVersion),
        (RDF.type, KG[LEVEL_CLASS[v.level]]),
        (RDF.type, KG[v.type.extra_class] if v.type.extra_class else None),
        (RDFS.label, lit(v.name, "vi")),
        (RDFS.label, lit(v.english, "en")),
        (SCHEMA.name, lit(v.name, "vi")),
        (SKOS.altLabel, lit(v.short, "vi")),
        (KG.asciiName, lit(fold(v.name))),
        (SKOS.notation, lit(v.code, datatype=KG.dvhcCode)),
        (DCTERMS.identifier, lit(v.code)),  # the code as a plain string: what CSV files and VALUES lines hold
        (KG.code, code_iri(v.code)),
        (KG.level, KG[f"level-{v.level}"]),
        (KG.unitType, KG[f"type-{v.type.slug}"]),
        (SCHEMA.validFrom, date_lit(v.valid_from)),
        (SCHEMA.validThrough, date_lit(v.valid_through) if v.valid_through else None),
        (KG.firstRecorded, lit(True) if v.first_record else None),
        (VL.startEvent, event_iri(v.start_event) if v.start_event else None),
        (VL.endEvent, event_iri(v.end_event) if v.end_event else None),
        (KG.attestedIn, attested_in),
    ])
    for p in v.parents:
        g.add(iri, SCHEMA.isPartOf, unit_iri(p))
    if point:
        g.add_all(iri, [
            (GEO.lat, lit(Decimal(point["lat"])) if point["lat"] else None),
            (GEO.long, lit(Decimal(point["lon"])) if point["lon"] else None),
            (KG.areaKm2, lit(Decimal(point["area_km2"])) if point["area_km2"] else None),
            (KG.approximatePoint, lit(True) if point["approximate"] == "1" and point["lat"] else None),
        ])


def _describe_codes(legacy: GraphBuild, new: GraphBuild, versions: list[Version], new_versions: list[Version]
                    ) -> None:
    """One kg:DvhcCode per code, described in the graph of its oldest version; each denotedVersion link goes
    in the graph of the version it points to."""
    by_code: dict[str, list[tuple[GraphBuild, Version]]] = defaultdict(list)
    for g, vs in ((legacy, versions), (new, new_versions)):
        for v in vs:
            by_code[v.code].append((g, v))
    for code in sorted(by_code, key=lambda c: (len(c), c)):
        home = by_code[code][0][0]
        home.add_all(code_iri(code), [
            (RDF.type, KG.DvhcCode),
            (SKOS.notation, lit(code, datatype=KG.dvhcCode)),
            (SKOS.inScheme, KG["dvhc-codes"]),
            (RDFS.label, lit(f"Mã ĐVHC {code}", "vi")),
            (RDFS.label, lit(f"Administrative unit code {code}", "en")),
            (SKOS.prefLabel, lit(f"Mã ĐVHC {code}", "vi")),
            (SKOS.prefLabel, lit(f"Administrative unit code {code}", "en")),
        ])
        for g, v in by_code[code]:
            g.add(code_iri(code), KG.denotedVersion, unit_iri(v.uid))


# -- pre-reform events, acts, successions -------------------------------------------------------------------

def _describe_events(g: GraphBuild, events: dict[str, dict[str, str]], acts: dict[str, dict[str, str]]
                     ) -> set[str]:
    used: set[str] = set()
    for ev_id, e in events.items():
        kinds = e["kinds"].split()
        iri = event_iri(ev_id)
        code = ev_id.rsplit("/", 1)[1]
        what = ", ".join(kinds)
        g.add_all(iri, [
            (RDF.type, VL.ChangeEvent),
            *((RDF.type, KIND_CLASSES[k]) for k in kinds if k in KIND_CLASSES),
            *((KG.changeKind, KG[f"unit-change-{k}"]) for k in kinds),
            (RDFS.label, lit(f"Thay đổi đơn vị hành chính mã {code} ngày {e['date']}", "vi")),
            (RDFS.label, lit(f"Change of administrative unit {code} on {e['date']} ({what})", "en")),
            (DCTERMS.date, date_lit(e["date"])),
            (KG.windowStart, date_lit(e["window_start"]) if e["window_start"] else None),
        ])
        for ident in e["acts"].split():
            if ident not in acts:
                raise BuildError(f"data/registry/events.csv: {ev_id} cites {ident}, which acts.csv lacks")
            g.add(iri, KG.legalBasis, act_iri(ident))
            used.add(ident)
    for ident in sorted(used):
        a = acts[ident]
        g.add_all(act_iri(ident), [
            (RDF.type, SCHEMA.Legislation),
            (DCTERMS.identifier, lit(ident)),
            (RDFS.label, lit(f"{ident}: {a['title']}", "vi")),
            (RDFS.label, lit(f"Legal act {ident}", "en")),
            (SCHEMA.name, lit(a["title"], "vi")),
        ])
    return used


def _describe_links(g: GraphBuild, links: list[tuple[str, str, str, str]]) -> None:
    """vl:successor/vl:predecessor for every link; an inferred one also gets a kg:InferredSuccession node that
    says by which rule."""
    for pred, succ, ev, basis in links:
        g.add(unit_iri(pred), VL.successor, unit_iri(succ))
        g.add(unit_iri(succ), VL.predecessor, unit_iri(pred))
        if basis in INFERRED:
            node = IDNS[f"succession/{pred}/{succ}"]
            g.add_all(node, [
                (RDF.type, KG.InferredSuccession),
                (RDFS.label, lit(f"Kế thừa suy luận {pred} → {succ}", "vi")),
                (RDFS.label, lit(f"Inferred succession {pred} → {succ}", "en")),
                (KG.predecessorVersion, unit_iri(pred)),
                (KG.successorVersion, unit_iri(succ)),
                (KG.inferenceRule, KG[f"inference-{basis}"]),
                (PROV.wasGeneratedBy, event_iri(ev)),
            ])


# -- the 2025 reform ----------------------------------------------------------------------------------------

def _describe_reform(g: GraphBuild, data_dir: Path, reform: list[dict[str, str]], new_versions: list[Version],
                     open_legacy: dict[str, Version]) -> list[tuple[str, str]]:
    """Events of 2025: one per new commune (its resolution, clause, quote), one per new province (NQ 202),
    one abolition per district. Returns (legacy uid, 2025 uid) successor links."""
    texts: dict[str, str] = {}
    links: list[tuple[str, str]] = []
    news = {v.code: v for v in new_versions}
    ended: dict[str, list[str]] = defaultdict(list)  # legacy uid -> events that ended it
    seen_clause: set[str] = set()
    for r in reform:
        new = news.get(r["new_code"])
        if new is None or new.level != "commune":
            raise BuildError(f"data/registry/reform-2025.csv: {r['new_code']} is not in communes-2025.csv")
        resolution = r["resolution"]
        act = act_iri(resolution)
        if resolution not in texts:
            texts[resolution] = _describe_resolution(g, data_dir, resolution)
        clause = IDNS[f"doc/act/{slug(resolution)}/clause/{r['clause']}"]
        if clause.value not in seen_clause:
            seen_clause.add(clause.value)
            quote = add_quote(g, act, f"doc/act/{slug(resolution)}", texts[resolution], int(r["quote_start"]),
                              int(r["quote_end"]), r["quote"], f"nghị quyết {resolution}", f"resolution {resolution}")
            g.add_all(clause, [
                (RDF.type, KG.LegalClause),
                (RDFS.label, lit(f"Khoản {r['clause']} Điều 1 Nghị quyết {resolution}", "vi")),
                (RDFS.label, lit(f"Article 1, clause {r['clause']} of resolution {resolution}", "en")),
                (DCTERMS.isPartOf, act),
                (KG.clauseNumber, lit(int(r["clause"]))),
                (PROV.wasDerivedFrom, quote),
            ])
        old = r["old_codes"].split()
        partial = set(r["partial_codes"].split())
        missing = [c for c in old if c not in open_legacy]
        if missing:
            raise BuildError(f"data/registry/reform-2025.csv: clause {r['clause']} of {resolution} names "
                             f"{', '.join(missing)}, not units of 2025-06-30 in versions.csv")
        event = event_iri(new.start_event or "")
        preds = [open_legacy[c] for c in old]
        level_changed = any(p.level != "commune" for p in preds)
        renamed = len(preds) == 1 and preds[0].name != new.name
        kinds = ["reorganisation"] + (["merger"] if len(preds) > 1 else []) + (["split"] if partial else []) \
            + (["rename"] if renamed else []) + (["reclassification"] if level_changed else [])
        g.add_all(event, [
            (RDF.type, VL.ChangeEvent),
            (RDF.type, VL.Combination if len(preds) > 1 else VL.ChangeInHierarchy),
            (RDF.type, VL.Separation if partial else None),
            (RDF.type, VL.ChangeOfHierarchyLevel if level_changed else None),
            *((KG.changeKind, KG[f"unit-change-{k}"]) for k in kinds),
            (RDFS.label, lit(f"Sắp xếp năm 2025: {new.name}", "vi")),
            (RDFS.label, lit(f"2025 reorganisation: {new.english}", "en")),
            (DCTERMS.date, date_lit(REFORM_DATE)),
            (DCTERMS.isPartOf, REFORM_EVENT),
            (KG.legalBasis, act),
            (KG.legalClause, clause),
        ])
        for p in preds:
            g.add(unit_iri(new.uid), VL.predecessor, unit_iri(p.uid))
            g.add(unit_iri(p.uid), VL.successor, unit_iri(new.uid))
            ended[p.uid].append(event.value)
            links.append((p.uid, new.uid))
            if p.code in partial:
                g.add(event, KG.partOfPredecessor, unit_iri(p.uid))
    province_links = _province_events(g, new_versions, open_legacy, links)
    for uid in sorted(ended):
        for ev in sorted(set(ended[uid])):
            g.add(unit_iri(uid), VL.endEvent, NamedNode(ev))
    for v in sorted(open_legacy.values(), key=lambda v: (len(v.code), v.code)):
        if v.level == "district" and v.uid not in ended:
            event = event_iri(f"{REFORM_DATE}/abolish/{v.code}")
            g.add_all(event, [
                (RDF.type, VL.ChangeEvent),
                (RDF.type, VL.Deprecation),
                (KG.changeKind, KG["unit-change-abolition"]),
                (RDFS.label, lit(f"Kết thúc {v.name}", "vi")),
                (RDFS.label, lit(f"Abolition of {v.english}", "en")),
                (DCTERMS.date, date_lit(REFORM_DATE)),
                (DCTERMS.isPartOf, REFORM_EVENT),
                (KG.legalBasis, LUAT_72.iri),
            ])
            g.add(unit_iri(v.uid), VL.endEvent, event)
    return links + province_links


def _describe_resolution(g: GraphBuild, data_dir: Path, resolution: str) -> str:
    """The act node of one provincial resolution, with its stored text (the quotes' source)."""
    path = data_dir / "sources" / "reform-2025" / f"{resolution.replace('/', '_')}.md"
    if not path.is_file():
        raise BuildError(f"{path} is missing: the resolution's text is part of the repository (restore it with git)")
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    number = resolution.split("/")[0]
    g.add_all(act_iri(resolution), [
        (RDF.type, SCHEMA.Legislation),
        (DCTERMS.identifier, lit(resolution)),
        (RDFS.label, lit(f"Nghị quyết số {resolution} của Ủy ban Thường vụ Quốc hội về việc sắp xếp các đơn vị "
                         "hành chính cấp xã", "vi")),
        (RDFS.label, lit(f"Resolution No. {number}/NQ-UBTVQH15 of the Standing Committee of the National Assembly "
                         "on the arrangement of commune-level administrative units", "en")),
        (DCTERMS.valid, date_lit(REFORM_DATE)),
        (SCHEMA.text, lit(text, "vi")),
        (KG.textSnapshotSha256, lit(hashlib.sha256(raw).hexdigest())),
        (DCTERMS.source, lit(f"data/sources/reform-2025/{path.name} (dvhcvn/20250701, Markdown conversion)")),
    ])
    return text


def _province_events(g: GraphBuild, new_versions: list[Version], open_legacy: dict[str, Version],
                     commune_links: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each 2025 province from the old provinces whose communes went into it (NQ 202/2025/QH15)."""
    legacy_by_uid = {v.uid: v for v in open_legacy.values()}
    province_of = {}
    for v in open_legacy.values():
        p = v
        while p.parent_code is not None:
            p = open_legacy[p.parent_code]
        province_of[v.uid] = p
    news = {v.uid: v for v in new_versions}
    targets: dict[str, set[str]] = defaultdict(set)
    for old, new in commune_links:
        targets[province_of[legacy_by_uid[old].uid].uid].add(f"{news[new].parent_code}/{REFORM_DATE}")
    links = []
    preds: dict[str, list[str]] = defaultdict(list)
    for old, new in sorted(targets.items()):
        if len(new) != 1:
            raise BuildError(f"data/registry/reform-2025.csv: communes of {old} went to several 2025 provinces "
                             f"({', '.join(sorted(new))}); NQ 202/2025/QH15 merged whole provinces")
        preds[next(iter(new))].append(old)
    for new_uid in sorted(preds):
        new = news[new_uid]
        event = event_iri(new.start_event or "")
        olds = sorted(preds[new_uid])
        g.add_all(event, [
            (RDF.type, VL.ChangeEvent),
            (RDF.type, VL.Combination if len(olds) > 1 else VL.ChangeInHierarchy),
            (KG.changeKind, KG["unit-change-reorganisation"]),
            (KG.changeKind, KG["unit-change-merger"] if len(olds) > 1 else None),
            (RDFS.label, lit(f"Sắp xếp năm 2025: {new.name}", "vi")),
            (RDFS.label, lit(f"2025 reorganisation: {new.english}", "en")),
            (DCTERMS.date, date_lit(REFORM_DATE)),
            (DCTERMS.isPartOf, REFORM_EVENT),
            (KG.legalBasis, NQ_202.iri),
        ])
        for old in olds:
            g.add(unit_iri(new_uid), VL.predecessor, unit_iri(old))
            g.add(unit_iri(old), VL.successor, unit_iri(new_uid))
            g.add(unit_iri(old), VL.endEvent, event)
            links.append((old, new_uid))
    return links


# -- index and report ---------------------------------------------------------------------------------------

def _records(versions: list[Version]) -> list[UnitRecord]:
    return [UnitRecord(
        iri=unit_iri(v.uid), code=v.code, name=v.name, short=v.short, level=v.level, unit_type=v.type.slug,
        parent=unit_iri(v.parents[-1]) if v.parents else None,
        parents=tuple(unit_iri(p) for p in v.parents),
        valid_from=date.fromisoformat(v.valid_from),
        valid_through=date.fromisoformat(v.valid_through) if v.valid_through else None,
    ) for v in versions]


def _successors(links: list[tuple[str, str, str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for pred, succ, *_ in sorted(links):
        if unit_iri(succ).value not in out[unit_iri(pred).value]:
            out[unit_iri(pred).value].append(unit_iri(succ).value)
    return dict(out)


def _report(legacy: GraphBuild, new: GraphBuild, versions: list[Version], new_versions: list[Version],
            events: dict[str, dict[str, str]], links: list[tuple[str, str, str, str]], acts: set[str],
            reform_links: list[tuple[str, str]], reg: Path) -> None:
    """Counts for the build summary; what the sources do not say, counted by kind."""
    import json

    history = json.loads((reg / "history-report.json").read_text(encoding="utf-8"))
    reform = json.loads((reg / "reform-2025-report.json").read_text(encoding="utf-8"))
    kinds = Counter(k for e in events.values() for k in e["kinds"].split())
    legacy.stats.update({
        "versions": len(versions),
        **{f"versions_{lv}": sum(v.level == lv for v in versions) for lv in ("province", "district", "commune")},
        "versions_first_recorded": sum(v.first_record for v in versions),
        "events": len(events),
        **{f"events_{k}": n for k, n in sorted(kinds.items())},
        "events_dated_by_window": sum(bool(e["window_start"]) for e in events.values()),
        "events_with_act": sum(bool(e["acts"]) for e in events.values()),
        "acts": len(acts),
        **{f"links_{b.replace('-', '_')}": n for b, n in sorted(Counter(lk[3] for lk in links).items())},
        "vanished_without_successor": history["inference"].get("vanished_without_successor", 0),
        "overlap_disagreements": sum(history["overlap_disagreements"].values()),
        "package_spelling_differences": history["package_spelling_differences"],
        "units_on_2025_06_30": sum(v.valid_through == LAST_LEGACY_DAY for v in versions),
    })
    new.stats.update({
        "new_provinces": sum(v.level == "province" for v in new_versions),
        "new_communes": sum(v.level == "commune" for v in new_versions),
        "new_wards": sum(v.type.slug == "phuong" for v in new_versions),
        "new_special_zones": sum(v.type.slug == "dac-khu" for v in new_versions),
        "successor_links": len(reform_links),
        "reform_disagreements": sum(1 for _ in _rows(reg / "reform-2025-disagreements.csv")),
    })
    if history["inference"].get("vanished_without_successor"):
        legacy.warnings.append(
            f"{history['inference']['vanished_without_successor']} units vanished from the register with no "
            "successor the data can show (absorbed by a unit that kept its name): they end in an abolition event; "
            "see data/registry/README.md")
    if legacy.stats["overlap_disagreements"]:
        legacy.warnings.append(
            f"{legacy.stats['overlap_disagreements']} differences between the change log and the editions of "
            "2019-12-01 and 2020-01-01 (the change log wins): data/registry/history-disagreements.csv")
    if new.stats["reform_disagreements"]:
        new.warnings.append(
            f"{new.stats['reform_disagreements']} old units on which the resolutions, the package's converter and "
            "the derived mapping disagree (the resolutions win): data/registry/reform-2025-disagreements.csv")
    del reform
    legacy.stats["legacy_triples"] = len(legacy.triples)
    new.stats["new_triples"] = len(new.triples)

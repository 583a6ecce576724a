"""One article -> its named graph `graph/src/{id}`: the article, its quotes, and every fact derived from them.

Triples follow ontology/README.md (Bodies/posts/people/tenures; Meetings/resolutions/schools; Indicators,
targets, results; Provenance). Unit names are resolved through the registry on the meeting date, so no
code is ever typed by hand.
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from vlkg.ingest.facts import FactFile, Figure, Quote, UnitRef, load_facts
from vlkg.ingest.model import BuildError, GraphBuild, date_lit, lit
from vlkg.ingest.quotes import add_quote
from vlkg.ingest.sources import Source, load_source
from vlkg.ingest.vocabulary import Vocabulary, vocabulary
from vlkg.namespaces import (
    DCTERMS,
    FOAF,
    ID,
    IDNS,
    KG,
    ODRL,
    OPENGOV,
    ORG,
    PROV,
    QB,
    RDF,
    RDFS,
    SCHEMA,
    SDMX_DIM,
    SDMX_MEASURE,
    SKOS,
    XSD,
    YEAR,
    article_graph,
)
from vlkg.text import slug
from vlkg.unit_types import UNIT_TYPES
from vlkg.units import Registry, ResolutionError, UnitRecord

COMPARATOR_IRIS = {"=": ODRL.eq, ">": ODRL.gt, ">=": ODRL.gteq, "<": ODRL.lt, "<=": ODRL.lteq,
                   "range": KG.range}
COMPARATOR_SIGNS = {"=": "", ">": "> ", ">=": "≥ ", "<": "< ", "<=": "≤ ", "range": ""}
CHANGE_WORDS = {"increase": ("tăng ", "increase of "), "decrease": ("giảm ", "decrease of "),
                "exceed": ("vượt ", "exceeding by ")}
# kind -> (observation class, kg:valueType, IRI segment, dataset, vi word, en word)
KINDS = {
    "target": (KG.Target, KG.Planned, "target", IDNS["dataset/targets"], "Mục tiêu", "Target"),
    "result": (KG.Result, KG.Reported, "result", IDNS["dataset/results"], "Kết quả", "Result"),
    "estimate": (KG.Result, KG.Estimated, "result", IDNS["dataset/results"], "Ước đạt", "Estimate"),
}
# body key -> (org:classification, vi name, vi name in post titles, en name, level governed or None for any)
BODIES = {
    "huyen-uy": ("PartyCommittee", "Huyện ủy {short}", "Huyện ủy {short}", "{short} District Party Committee",
                 "district"),
    "tinh-uy": ("PartyCommittee", "Tỉnh ủy {short}", "Tỉnh ủy {short}", "{short} Provincial Party Committee",
                "province"),
    "ubnd": ("PeoplesCommittee", "Ủy ban nhân dân {name}", "UBND {name}", "People's Committee of {en}", None),
    "hdnd": ("PeoplesCouncil", "Hội đồng nhân dân {name}", "HĐND {name}", "People's Council of {en}", None),
}
# role key -> (post IRI segment, vi, en)
ROLES = {
    "secretary": ("bi-thu", "Bí thư", "Secretary"),
    "deputy-secretary": ("pho-bi-thu", "Phó Bí thư", "Deputy Secretary"),
    "chairperson": ("chu-tich", "Chủ tịch", "Chairperson"),
    "vice-chairperson": ("pho-chu-tich", "Phó Chủ tịch", "Vice-Chairperson"),
}
SCHOOL_TYPES = {"kindergarten": SCHEMA.Preschool, "primary_school": SCHEMA.ElementarySchool,
                "lower_secondary_school": SCHEMA.MiddleSchool, "upper_secondary_school": SCHEMA.HighSchool}
UNIT_TYPE_EN = {t.slug: t.en for t in UNIT_TYPES}


def build_articles(data_dir: Path, registry: Registry) -> list[GraphBuild]:
    """Build every `data/facts/*.yaml` together with its `data/sources/{id}.txt`, in file-name order."""
    builds = []
    for facts_path in sorted((data_dir / "facts").glob("*.yaml")):
        source_path = data_dir / "sources" / f"{facts_path.stem}.txt"
        builds.append(build_article(source_path, facts_path, registry))
    return builds


def build_article(source_path: Path, facts_path: Path, registry: Registry) -> GraphBuild:
    """The named graph of one article: text snapshot, quotes, and the reviewed facts resolved to IRIs."""
    source = load_source(Path(source_path))
    facts = load_facts(Path(facts_path), source.text)
    if facts.article != source.id:
        raise BuildError(f"{facts_path}: 'article' is {facts.article!r} but the source is {source.id!r}")
    builder = _ArticleBuilder(source, facts, registry, vocabulary())
    builder.build()
    gb = builder.gb
    gb.triples = list(dict.fromkeys(gb.triples))  # one quote can back several facts; keep first occurrence
    gb.stats.update(triples=len(gb.triples), figures=len(facts.figures), officials=len(facts.officials),
                    quotes=len(builder.quotes))
    return gb


class _ArticleBuilder:
    """Mints the IRIs of one article's facts and adds their triples to one GraphBuild."""

    def __init__(self, source: Source, facts: FactFile, registry: Registry, vocab: Vocabulary) -> None:
        self.source, self.facts, self.registry, self.vocab = source, facts, registry, vocab
        self.gb = GraphBuild(article_graph(source.id), f"Facts from article {source.id}",
                             f"Dữ kiện từ bài báo {source.id}",
                             f"data/sources/{source.id}.txt + data/facts/{facts.path.name} (reviewed)")
        self.article = IDNS[f"src/{source.id}"]
        self.quotes: dict[tuple[int, int], NamedNode] = {}
        self.resolved: dict[UnitRef, UnitRecord] = {}
        self.minted: dict[str, str] = {}  # observation IRI -> the fact that minted it

    # -- helpers -------------------------------------------------------------------------------------
    def fail(self, where: str, problem: str) -> BuildError:
        return BuildError(f"{self.facts.path}: {where}: {problem}")

    def labels(self, node: NamedNode, vi: str, en: str) -> None:
        self.gb.add(node, RDFS.label, lit(vi, "vi"))
        self.gb.add(node, RDFS.label, lit(en, "en"))

    def term(self, iri: NamedNode, what: str, where: str) -> NamedNode:
        """A vocabulary term the ontology must define; the message lists the defined ones of that family."""
        if not self.vocab.has(iri):
            family = _family(iri)
            known = sorted(t for t in self.vocab.defined if family and t.startswith(family))
            raise self.fail(where, f"unknown {what} <{iri.value}>: not defined in ontology/*.ttl"
                            + (f" (defined: {', '.join(known)})" if known else ""))
        return iri

    def unit(self, ref: UnitRef, where: str) -> UnitRecord:
        """Resolve a unit name to the version valid on the meeting date (ResolutionError says why not)."""
        if ref not in self.resolved:
            try:
                self.resolved[ref] = self.registry.lookup(ref.name, on=self.facts.on, level=ref.level,
                                                          parent=ref.parent)
            except (BuildError, ResolutionError) as exc:
                raise self.fail(where, f"unit {ref.name!r} (level {ref.level}, parent {ref.parent}) does not "
                                f"resolve on {self.facts.on}: {exc}") from exc
        return self.resolved[ref]

    def derived(self, node: NamedNode, quotes: tuple[Quote, ...]) -> None:
        for q in quotes:
            self.gb.add(node, PROV.wasDerivedFrom, self.quote(q))

    # -- article and quotes --------------------------------------------------------------------------
    def build(self) -> None:
        self.add_article()
        area = self.unit(self.facts.area, "area")
        meeting = self.add_meeting(area)
        resolution = self.add_resolution()
        self.add_officials()
        schools = self.add_institutions()
        for figure in self.facts.figures:
            self.add_figure(figure, area, meeting, resolution, schools)

    def add_article(self) -> None:
        s = self.source
        rights = IDNS[f"src/{s.id}/rights"]
        by_vi, by_en = (f" (tác giả {s.byline})", f" (author {s.byline})") if s.byline else ("", "")
        self.gb.add_all(self.article, [
            (RDF.type, SCHEMA.NewsArticle), (RDF.type, PROV.Entity),
            (SCHEMA.headline, lit(s.title, "vi")),
            (SCHEMA.datePublished, Literal(s.date, datatype=XSD.gYearMonth)),
            (SCHEMA.inLanguage, lit(s.language)),
            (SCHEMA.text, lit(s.text)),
            (KG.textSnapshotSha256, lit(s.sha256)),
            (SCHEMA.creditText, lit(s.byline) if s.byline else None),
            (DCTERMS.rights, rights),
        ])
        self.labels(self.article, s.title, s.title_en)
        # The full text is the newspaper's, quoted for provenance: not under the dataset's CC BY licence.
        self.gb.add(rights, RDF.type, DCTERMS.RightsStatement)
        self.labels(rights, f"Văn bản bài báo thuộc bản quyền của tác giả{by_vi} và cơ quan báo chí; được lưu "
                    "nguyên văn chỉ để dẫn nguồn các dữ kiện (vị trí trích dẫn), không thuộc giấy phép CC BY 4.0 "
                    "của bộ dữ liệu và không được đăng lại riêng.",
                    f"The article's text is the copyright of its author{by_en} and publisher; it is kept verbatim "
                    "only as the source that the facts' quotes point into, is not covered by the dataset's "
                    "CC BY 4.0 licence, and must not be republished on its own.")

    def quote(self, q: Quote) -> NamedNode:
        """The oa:SpecificResource for one span (minted once; ingest/quotes.py)."""
        key = (q.start, q.end)
        if key not in self.quotes:
            self.quotes[key] = add_quote(self.gb, self.article, f"src/{self.source.id}", self.source.text,
                                         q.start, q.end, q.exact, f"bài {self.source.id}",
                                         f"article {self.source.id}")
        return self.quotes[key]

    # -- bodies, meeting, resolution, people ---------------------------------------------------------
    def org(self, body: str, unit: UnitRecord, where: str) -> tuple[NamedNode, str, str]:
        """The body of kind `body` governing `unit`: its IRI, its name as in post titles, its English name."""
        if body not in BODIES:
            raise self.fail(where, f"unknown body {body!r}; use one of {', '.join(BODIES)}")
        classification, vi, vi_short, en, level = BODIES[body]
        if level is not None and unit.level != level:
            raise self.fail(where, f"a {body} governs a {level}, but {unit.name} is a {unit.level}")
        iri = IDNS[f"org/{body}/{_unit_key(unit)}"]
        names = {"short": unit.short, "name": unit.name[:1].lower() + unit.name[1:], "en": _unit_en(unit)}
        name_en = en.format(**names)
        self.gb.add_all(iri, [(RDF.type, ORG.FormalOrganization),
                              (ORG.classification, self.term(KG[classification], "body type", where)),
                              (KG.jurisdiction, unit.iri)])
        self.labels(iri, vi.format(**names), name_en)
        return iri, vi_short.format(**names), name_en

    def add_meeting(self, area: UnitRecord) -> NamedNode | None:
        m = self.facts.meeting
        if m is None:
            return None
        organiser, _, org_en = self.org(m.body, area, m.where)
        iri = IDNS[f"meeting/{m.body}/{_unit_key(area)}/khoa-{slug(m.party_term)}/hn-{m.ordinal:02d}"]
        self.gb.add_all(iri, [
            (RDF.type, SCHEMA.Event), (RDF.type, self.term(KG.Meeting, "class", m.where)),
            (SCHEMA.name, lit(m.name, "vi")), (KG.ordinal, lit(m.ordinal)), (KG.partyTerm, lit(m.party_term)),
            (SCHEMA.startDate, date_lit(m.date.isoformat())), (SCHEMA.organizer, organiser),
            (SCHEMA.location, area.iri), (SKOS.note, lit(m.note, "en") if m.note else None)])
        self.labels(iri, f"{m.name}, khóa {m.party_term} ({m.organiser}, {m.date:%d-%m-%Y})",
                    f"{_ordinal(m.ordinal)} conference of the {org_en}, term {m.party_term} ({m.date})")
        self.derived(iri, m.quotes)
        return iri

    def add_resolution(self) -> NamedNode | None:
        r = self.facts.resolution
        if r is None:
            return None
        unit = self.unit(self.facts.unit(r.unit, r.where), r.where)
        # the Party organisation of the unit, whose congress adopted it, by its committee's org node
        party_org, _, _ = self.org(r.body, unit, r.where)
        iri = IDNS[f"doc/nq-dh-dang-bo-{slug(unit.name)}-{slug(r.congress_term)}"]
        self.gb.add_all(iri, [
            (RDF.type, self.term(KG.PartyResolution, "class", r.where)),
            (SCHEMA.creator, party_org), (KG.partyTerm, lit(r.congress_term)),
            (KG.termStart, Literal(str(r.term_start), datatype=XSD.gYear)),
            (KG.termEnd, Literal(str(r.term_end), datatype=XSD.gYear)),
            (SKOS.note, lit(r.note, "en") if r.note else None)])
        self.labels(iri, r.name, r.name_en)
        self.derived(iri, r.quotes)
        return iri

    def add_officials(self) -> None:
        for o in self.facts.officials:
            if o.role not in ROLES:
                raise self.fail(o.where, f"unknown role {o.role!r}; use one of {', '.join(ROLES)}")
            post_segment, role_vi, role_en = ROLES[o.role]
            role = self.term(KG[f"role-{o.role}"], "role", o.where)
            unit = self.unit(self.facts.unit(o.org, o.where), o.where)
            org, org_vi, org_en = self.org(o.body, unit, o.where)
            post_key = f"{o.body}/{_unit_key(unit)}/{post_segment}"
            post = IDNS[f"post/{post_key}"]
            self.gb.add_all(post, [(RDF.type, ORG.Post), (ORG.postIn, org), (ORG.role, role)])
            self.labels(post, f"{role_vi} {org_vi}", f"{role_en} of the {org_en}")
            person = IDNS[f"person/{self.person_key(o.name)}"]
            self.gb.add_all(person, [(RDF.type, FOAF.Person), (FOAF.name, lit(o.name, "vi"))])
            self.labels(person, o.name, o.name)
            # one attested tenure per person and post in an article; later articles add kg:attestedOn to it
            tenure = IDNS[f"tenure/{self.person_key(o.name)}/{post_key}/1"]
            on = self.facts.on
            self.gb.add_all(tenure, [
                (RDF.type, ORG.Membership), (ORG.member, person), (ORG.organization, org), (ORG.role, role),
                (OPENGOV.post, post), (KG.attestedOn, date_lit(on.isoformat()))])
            self.labels(tenure, f"{o.name}, {role_vi} {org_vi} (ghi nhận {on:%d-%m-%Y})",
                        f"{o.name}, {role_en} of the {org_en} (attested {on.isoformat()})")
            self.derived(tenure, o.quotes)

    def person_key(self, name: str) -> str:
        """Opaque: names collide, so the key mixes the name with the first article that attests it."""
        seed = unicodedata.normalize("NFC", name) + "|" + self.source.id
        return "p-" + hashlib.sha1(seed.encode("utf-8")).hexdigest()[:8]

    def add_institutions(self) -> dict[str, NamedNode]:
        schools: dict[str, NamedNode] = {}
        for i in self.facts.institutions:
            if i.type not in SCHOOL_TYPES:
                raise self.fail(i.where, f"unknown institution type {i.type!r}; "
                                f"use one of {', '.join(SCHOOL_TYPES)}")
            unit = self.unit(i.location, i.where)
            proper = i.name[:1].upper() + i.name[1:]  # "trường Mầm non X" mid-sentence -> "Trường Mầm non X"
            bare = proper.removeprefix("Trường ").removeprefix("trường ")
            iri = IDNS[f"school/{slug(bare)}-{unit.code}"]
            basis = self.term(KG[f"location-{i.location_basis}"], "location basis", i.where)
            self.gb.add_all(iri, [(RDF.type, SCHOOL_TYPES[i.type]), (SCHEMA.name, lit(proper, "vi")),
                                  (SCHEMA.location, unit.iri), (KG.locationBasis, basis)])
            self.labels(iri, proper, i.name_en)
            self.derived(iri, i.quotes)
            schools[i.name] = iri
        return schools

    # -- figures -------------------------------------------------------------------------------------
    def add_figure(self, f: Figure, area: UnitRecord, meeting: NamedNode | None, resolution: NamedNode | None,
                   schools: dict[str, NamedNode]) -> None:
        cls, value_type, segment, dataset, kind_vi, kind_en = KINDS[f.kind]
        indicator = self.term(IDNS[f"indicator/{f.indicator_id}"], "indicator", f.where)
        unit_iri = KG[f"unit-{f.unit_id or ('percent' if f.unit == '%' else slug(f.unit))}"]
        unit = self.term(unit_iri, f"unit ({f.unit!r}" + (f", unit_id {f.unit_id!r})" if f.unit_id else ")"), f.where)
        change = self.change(f, indicator)
        comparator = COMPARATOR_IRIS[f.comparator]
        if comparator.value.startswith(KG):
            self.term(comparator, "comparator", f.where)
        iri = IDNS[f"obs/{segment}/{f.indicator_id}/{_unit_key(area)}/{f.year}"]
        if iri.value in self.minted:
            raise self.fail(f.where, f"mints <{iri.value}> like {self.minted[iri.value]}: two figures of one "
                            "indicator, kind, area and year; check the indicator_id of both")
        self.minted[iri.value] = f.where
        is_target = f.kind == "target"
        self.gb.add_all(iri, [
            (RDF.type, QB.Observation), (RDF.type, self.term(cls, "class", f.where)),
            (QB.dataSet, dataset), (KG.valueType, self.term(value_type, "value type", f.where)),
            (KG.indicator, indicator), (SDMX_DIM.refArea, area.iri),
            (SDMX_DIM.refPeriod, YEAR[str(f.year)]), (KG.year, Literal(str(f.year), datatype=XSD.gYear)),
            (KG.comparator, comparator), (SDMX_MEASURE.obsValue, lit(f.value)),
            (KG.valueMax, lit(f.value_max) if f.value_max is not None else None),
            (KG.unit, unit),
            (KG.change, change),
            (KG.outOf, lit(f.total) if f.total is not None else None),
            (KG.targetLevel,
             self.term(KG[f.target_level], "target level", f.where) if f.target_level else None),
            (KG.setBy, meeting if is_target else None),
            (KG.contributesTo, resolution if is_target else None),
            (SKOS.note, lit(f.note, "en") if f.note else None),
        ])
        for name in f.subjects:
            subject = schools.get(name) or self.unit(self.facts.unit(name, f.where), f.where).iri
            self.gb.add(iri, KG.targetSubject, subject)
        self.labels(iri, *self.figure_labels(f, area, indicator, unit, kind_vi, kind_en))
        self.derived(iri, f.quotes)

    def change(self, f: Figure, indicator: NamedNode) -> NamedNode | None:
        """The figure's kg:change, or None when its indicator is itself a change (kg:change on the concept,
        e.g. poverty-rate-reduction): the figure's `change` must then agree with it and is not repeated."""
        stated = self.term(KG[f"change-{f.change}"], "change", f.where) if f.change else None
        built_in = self.vocab.objects(indicator, KG.change)
        if not built_in:
            return stated
        if stated is not None and stated.value not in built_in:
            raise self.fail(f.where, f"change {f.change!r} contradicts indicator {f.indicator_id!r}, which is "
                            f"itself a change ({', '.join(built_in)})")
        return None

    def figure_labels(self, f: Figure, area: UnitRecord, indicator: NamedNode, unit: NamedNode,
                      kind_vi: str, kind_en: str) -> tuple[str, str]:
        sign = COMPARATOR_SIGNS[f.comparator]
        change_vi, change_en = CHANGE_WORDS.get(f.change or "", ("", ""))
        if self.vocab.objects(indicator, KG.change):
            change_en = ""  # the English indicator label already says "reduction of …"
        total = f"/{f.total}" if f.total is not None else ""
        upper_vi = f"–{f.value_max_text}" if f.value_max_text else ""
        upper_en = f"–{f.value_max}" if f.value_max is not None else ""
        vi = (f"{kind_vi} {f.year}, {area.name}: {f.indicator} "
              f"{change_vi}{sign}{f.value_text}{upper_vi}{total} {f.unit}")
        indicator_en = self.vocab.label(indicator, "en", f.indicator_id)
        unit_en = self.vocab.label(unit, "en", f.unit)
        en = (f"{kind_en} {f.year}, {_unit_en(area)}: {indicator_en} "
              f"{change_en}{sign}{f.value}{upper_en}{total} {unit_en}")
        return vi, en


def _family(iri: NamedNode) -> str | None:
    """The IRI prefix shared by sibling terms: id/indicator/, kg:unit-, kg:change-, kg:role-, kg:ntm-."""
    if iri.value.startswith(ID + "indicator/"):
        return ID + "indicator/"
    local = iri.value.removeprefix(KG)
    return KG + local.split("-", 1)[0] + "-" if "-" in local else None


def _unit_key(unit: UnitRecord) -> str:
    """'https://…/id/au/393/base' -> '393-base', the key of org, meeting and observation IRIs."""
    return unit.iri.value.removeprefix(ID + "au/").replace("/", "-")


def _unit_en(unit: UnitRecord) -> str:
    """'Vĩnh Lộc District', 'Sầm Sơn City': the short name and the English designation of its type."""
    return f"{unit.short} {UNIT_TYPE_EN.get(unit.unit_type, '')}".strip()


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"

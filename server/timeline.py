"""The timeline of a unit version on its entity page: versions, their events, acts and quoted clauses.

Every read is a `quads_for_pattern` lookup with a bound subject (or a bound object and predicate), so a
timeline costs a few hundred index lookups at most, whatever the size of the store. An act's full text
(schema:text) is never read: acts are read predicate by predicate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Quad, Store

from vlkg.namespaces import DCTERMS, OA, PROV, RDF, RDFS, SCHEMA, SKOS, VL
from vlkg.server.labels import short_name

if TYPE_CHECKING:
    from vlkg.server.entity_page import Links

MAX_VERSIONS = 60  # a code or a unit with more related versions is cut (no real unit comes close)


@dataclass(frozen=True)
class Named:
    """A resource with its Vietnamese and English labels and its link on this site."""

    iri: str
    href: str | None
    vi: str | None
    en: str | None
    name: str  # shown when there is no label

    @property
    def label(self) -> str:
        return self.vi or self.en or self.name


@dataclass(frozen=True)
class Act(Named):
    identifier: str | None = None  # e.g. "786/NQ-UBTVQH14"


@dataclass(frozen=True)
class ClauseQuote:
    """The quoted text of a clause, with its character offsets in the act's text."""

    exact: str
    start: int | None
    end: int | None
    href: str | None  # the act's page with the span marked
    resource_href: str | None  # the oa:SpecificResource


@dataclass(frozen=True)
class Clause:
    node: Named
    number: str | None
    act: Act | None
    quotes: tuple[ClauseQuote, ...]


@dataclass(frozen=True)
class Event:
    """A change event: date (and window), kinds, legal basis, clauses, predecessors only partly included."""

    node: Named
    date: str | None
    window_start: str | None
    kinds: tuple[Named, ...]
    acts: tuple[Act, ...]
    clauses: tuple[Clause, ...]
    partial: tuple[str, ...]  # IRIs of kg:partOfPredecessor


@dataclass
class Entry:
    """One version on the timeline."""

    unit: Named
    valid_from: str | None
    valid_through: str | None
    first_recorded: bool
    this: bool  # the page's own version
    same_code: bool
    relation: str | None  # "predecessor" | "successor" of the page's version, else None
    inferred: list[Named] = field(default_factory=list)  # rules of an inferred link with the page's version
    partial: bool = False  # only part of the predecessor went into the successor (kg:partOfPredecessor)
    start: Event | None = None
    end: Event | None = None
    anchor: str = ""
    end_is_start_of: str | None = None  # anchor of the entry this entry's end event started (shown there)

    @property
    def open(self) -> bool:
        """Current: no end of validity."""
        return self.valid_through is None


@dataclass
class Timeline:
    entries: list[Entry]
    truncated: bool


class _Reader:
    """Lookups on one store under one base IRI, with a cache of the labels read."""

    def __init__(self, store: Store, links: Links) -> None:
        self.store, self.links = store, links
        kg = links.kg
        self.kg = {name: NamedNode(kg + name) for name in (
            "AdminUnitVersion", "code", "denotedVersion", "firstRecorded", "windowStart", "changeKind",
            "legalBasis", "legalClause", "clauseNumber", "partOfPredecessor", "InferredSuccession",
            "predecessorVersion", "successorVersion", "inferenceRule",
        )}
        self._named: dict[str, Named] = {}

    def quads(self, s: NamedNode | None, p: NamedNode, o: NamedNode | None = None) -> Iterator[Quad]:
        return self.store.quads_for_pattern(s, p, o, None)

    def objects(self, s: NamedNode, p: NamedNode) -> list[NamedNode]:
        seen: dict[str, NamedNode] = {}
        for q in self.quads(s, p):
            if isinstance(q.object, NamedNode):
                seen.setdefault(q.object.value, q.object)
        return list(seen.values())

    def literal(self, s: NamedNode, p: NamedNode) -> str | None:
        values = sorted(q.object.value for q in self.quads(s, p) if isinstance(q.object, Literal))
        return values[0] if values else None

    def named(self, node: NamedNode) -> Named:
        """Labels by rdfs:label, then skos:prefLabel, then schema:name; one language each."""
        if node.value not in self._named:
            by_lang: dict[str, str] = {}
            for p in (RDFS.label, SKOS.prefLabel, SCHEMA.name):
                for q in self.quads(node, p):
                    if isinstance(q.object, Literal):
                        lang = q.object.language or ""
                        if lang not in by_lang or q.object.value < by_lang[lang]:
                            by_lang[lang] = q.object.value
                if "vi" in by_lang and "en" in by_lang:
                    break
            self._named[node.value] = Named(
                iri=node.value, href=self.links.href(node.value), vi=by_lang.get("vi") or by_lang.get(""),
                en=by_lang.get("en"), name=short_name(node.value, self.links.base_iri),
            )
        return self._named[node.value]

    def act(self, node: NamedNode) -> Act:
        n = self.named(node)
        return Act(n.iri, n.href, n.vi, n.en, n.name, identifier=self.literal(node, DCTERMS.identifier))

    def clause(self, node: NamedNode) -> Clause:
        acts = self.objects(node, DCTERMS.isPartOf)
        quotes = []
        for sr in self.objects(node, PROV.wasDerivedFrom):
            exact, start, end = None, None, None
            for sel in self.objects(sr, OA.hasSelector):
                exact = exact or self.literal(sel, OA.exact)
                start = start if start is not None else _int(self.literal(sel, OA.start))
                end = end if end is not None else _int(self.literal(sel, OA.end))
            if exact is None:
                continue
            sources = self.objects(sr, OA.hasSource) or acts
            href = self.links.href(sources[0].value) if sources else None
            if href and start is not None and end is not None:
                href += f"?start={start}&end={end}#quote"
            quotes.append(ClauseQuote(exact, start, end, href, self.links.href(sr.value)))
        quotes.sort(key=lambda q: (q.start if q.start is not None else -1, q.exact))
        return Clause(self.named(node), self.literal(node, self.kg["clauseNumber"]),
                      self.act(acts[0]) if acts else None, tuple(quotes))

    def event(self, node: NamedNode) -> Event:
        kinds = sorted((self.named(k) for k in self.objects(node, self.kg["changeKind"])), key=lambda n: n.iri)
        acts = sorted((self.act(a) for a in self.objects(node, self.kg["legalBasis"])),
                      key=lambda a: (a.identifier or "", a.iri))
        clauses = sorted((self.clause(c) for c in self.objects(node, self.kg["legalClause"])),
                         key=lambda c: (_int(c.number) or 0, c.node.iri))
        return Event(
            node=self.named(node), date=self.literal(node, DCTERMS.date),
            window_start=self.literal(node, self.kg["windowStart"]),
            kinds=tuple(kinds), acts=tuple(acts), clauses=tuple(clauses),
            partial=tuple(sorted(n.value for n in self.objects(node, self.kg["partOfPredecessor"]))),
        )

    def neighbours(self, node: NamedNode) -> tuple[list[NamedNode], list[NamedNode]]:
        """Predecessors and successors one step away, from either direction of the vl: links."""
        preds = _unique([*self.objects(node, VL.predecessor),
                         *(q.subject for q in self.quads(None, VL.successor, node))])
        succs = _unique([*self.objects(node, VL.successor),
                         *(q.subject for q in self.quads(None, VL.predecessor, node))])
        return preds, succs

    def inferred(self, pred: NamedNode, succ: NamedNode) -> list[Named]:
        """Rules of the kg:InferredSuccession nodes that link pred to succ (empty when the link is stated)."""
        rules: list[Named] = []
        for q in self.quads(None, self.kg["predecessorVersion"], pred):
            link = q.subject
            if isinstance(link, NamedNode) and next(self.quads(link, self.kg["successorVersion"], succ), None):
                rules.extend(self.named(r) for r in self.objects(link, self.kg["inferenceRule"]))
                if not rules:  # an inferred link without a rule is still inferred
                    rules.append(self.named(link))
        return rules


def is_unit_version(store: Store, node: NamedNode, links: Links) -> bool:
    """True when the node is a kg:AdminUnitVersion."""
    version = NamedNode(links.kg + "AdminUnitVersion")
    return next(store.quads_for_pattern(node, RDF.type, version, None), None) is not None


def unit_timeline(store: Store, node: NamedNode, links: Links) -> Timeline | None:
    """Every version with the page's code, plus its predecessors and successors, oldest first."""
    if not is_unit_version(store, node, links):
        return None
    r = _Reader(store, links)
    same_code: dict[str, NamedNode] = {node.value: node}
    for code in r.objects(node, r.kg["code"]):
        for v in r.objects(code, r.kg["denotedVersion"]):
            same_code.setdefault(v.value, v)
        for q in r.quads(None, r.kg["code"], code):
            if isinstance(q.subject, NamedNode):
                same_code.setdefault(q.subject.value, q.subject)
    preds, succs = r.neighbours(node)
    related: dict[str, tuple[NamedNode, str | None]] = {iri: (v, None) for iri, v in same_code.items()}
    for rel, vs in (("predecessor", preds), ("successor", succs)):
        for v in vs:
            if v != node:
                related[v.value] = (v, rel)
    truncated = len(related) > MAX_VERSIONS
    events: dict[str, Event] = {}
    entries = []
    for iri, (v, rel) in list(related.items())[:MAX_VERSIONS]:
        entries.append(_entry(r, v, node, iri in same_code, rel, events))
    entries.sort(key=lambda e: (e.valid_from or "", e.valid_through or "9999", e.unit.iri))
    for i, e in enumerate(entries, 1):
        e.anchor = f"tl-{i}"
    starts = {e.start.node.iri: e.anchor for e in entries if e.start is not None}
    this_start = next((e.start for e in entries if e.this and e.start is not None), None)
    for e in entries:
        if e.end is not None and starts.get(e.end.node.iri) not in (None, e.anchor):
            e.end_is_start_of = starts[e.end.node.iri]
        if e.relation == "predecessor" and this_start is not None:
            e.partial = e.unit.iri in this_start.partial
        elif e.relation == "successor" and e.start is not None:
            e.partial = node.value in e.start.partial
    return Timeline(entries, truncated)


def _entry(r: _Reader, v: NamedNode, page: NamedNode, same_code: bool, rel: str | None,
           events: dict[str, Event]) -> Entry:
    def event_of(p: NamedNode) -> Event | None:
        nodes = r.objects(v, p)
        if not nodes:
            return None
        if nodes[0].value not in events:
            events[nodes[0].value] = r.event(nodes[0])
        return events[nodes[0].value]

    inferred: list[Named] = []
    if rel == "predecessor":
        inferred = r.inferred(v, page)
    elif rel == "successor":
        inferred = r.inferred(page, v)
    return Entry(
        unit=r.named(v), valid_from=r.literal(v, SCHEMA.validFrom), valid_through=r.literal(v, SCHEMA.validThrough),
        first_recorded=r.literal(v, r.kg["firstRecorded"]) in ("true", "1"), this=v == page, same_code=same_code,
        relation=rel, inferred=inferred, start=event_of(VL.startEvent), end=event_of(VL.endEvent),
    )


def _unique(nodes: Iterable[object]) -> list[NamedNode]:
    seen: dict[str, NamedNode] = {}
    for n in nodes:
        if isinstance(n, NamedNode):
            seen.setdefault(n.value, n)
    return list(seen.values())


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None

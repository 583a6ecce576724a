"""The view model of an entity page: what the HTML template shows, built from the reads in describe.py."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote as urlquote

from pyoxigraph import BlankNode, Literal, NamedNode, Store, Triple

from vlkg.namespaces import PREFIXES, prefixes_for
from vlkg.server import build_info, describe
from vlkg.server.labels import GROUPS, OTHER_GROUP, group_of, order_in_group, pick, short_name
from vlkg.server.timeline import Timeline, unit_timeline

INCOMING_PAGE = 100  # incoming links per page
LONG_LITERAL = 300  # longer literals (e.g. article text) are folded away
_RDF_TYPE = PREFIXES["rdf"] + "type"
_XSD_STRING = PREFIXES["xsd"] + "string"
_LANG_STRING = PREFIXES["rdf"] + "langString"
_ARTICLE_TEXT = PREFIXES["schema"] + "text"
_GEO_LAT, _GEO_LONG = PREFIXES["geo"] + "lat", PREFIXES["geo"] + "long"


@dataclass
class Links:
    """Turns IRIs into hrefs: ours to pages on this server, others out to the web."""

    base_iri: str
    script_root: str = ""

    @property
    def kg(self) -> str:
        """Our vocabulary's namespace (kg:) under the served base IRI."""
        return prefixes_for(self.base_iri)["kg"]

    def href(self, iri: str) -> str | None:
        if iri.startswith(self.base_iri):
            return self.script_root + "/" + urlquote(iri[len(self.base_iri):], safe="/:@!$&'()*+,;=-._~%")
        return iri if iri.startswith(("http://", "https://")) else None

    def is_local(self, iri: str) -> bool:
        return iri.startswith(self.base_iri)


@dataclass
class QuoteView:
    """A quoted sentence and where it is in its article."""

    exact: str
    article_href: str | None  # the article page, with the offsets, scrolled to the quote
    article_name: str
    resource_href: str | None  # the oa:SpecificResource page
    start: int | None
    end: int | None


@dataclass
class ResourceView:
    """A linked resource as shown: its label (and label language), link, and quotes if it is a fact."""

    iri: str
    href: str | None
    local: bool
    label: str | None
    lang: str | None
    name: str  # shown when there is no label: our path or a CURIE
    quotes: list[QuoteView] = field(default_factory=list)


@dataclass
class LiteralView:
    """A literal as shown: text, language tag, datatype (as CURIE) and whether to fold it."""

    text: str
    lang: str | None
    datatype: str | None
    datatype_href: str | None
    long: bool


@dataclass
class ValueView:
    resource: ResourceView | None
    literal: LiteralView | None
    blank: str | None
    graphs: list[ResourceView]


@dataclass
class Row:
    predicate: ResourceView
    values: list[ValueView]


@dataclass
class Group:
    key: str
    title: str
    rows: list[Row]


@dataclass
class VersionView:
    unit: ResourceView
    valid_from: str | None
    valid_through: str | None
    parent: ResourceView | None
    current: bool


@dataclass
class IncomingView:
    total: int
    by_predicate: list[tuple[ResourceView, int]]
    rows: list[tuple[ResourceView, ResourceView]]
    page: int
    pages: int


@dataclass
class ArticleView:
    """An article's text split around the quoted span asked for with ?start=&end=."""

    before: str
    quote: str
    after: str
    start: int
    end: int


@dataclass
class GraphView:
    triples: int
    dumps: list[dict[str, Any]]
    article: ResourceView | None


@dataclass
class Page:
    iri: str
    title: str
    title_lang: str | None
    labels: list[tuple[str, str]]  # every (label, language) of the chosen label predicate family
    types: list[ResourceView]
    groups: list[Group]
    truncated: bool
    quotes: list[QuoteView]
    incoming: IncomingView
    versions: list[VersionView]
    code: ResourceView | None
    lineage: dict[str, list[VersionView]]
    graph: GraphView | None
    article: ArticleView | None
    map_href: str | None
    is_code: bool
    timeline: Timeline | None = None  # a unit version's versions, events, acts and clauses


def build_page(
    store: Store, node: NamedNode, links: Links, manifest: dict[str, Any],
    incoming_page: int = 1, span: tuple[int, int] | None = None,
) -> Page:
    """Read everything one entity page shows, in a fixed, small number of bounded queries."""
    facts, truncated = describe.outgoing(store, node)
    counts = describe.incoming_counts(store, node)
    total = sum(n for _, n in counts)
    pages = max(1, math.ceil(total / INCOMING_PAGE))
    incoming_page = min(max(1, incoming_page), pages)
    inc = describe.incoming(store, node, counts, INCOMING_PAGE, (incoming_page - 1) * INCOMING_PAGE)
    code = describe.code_of(store, node, links.kg)
    versions = describe.versions(store, code, links.kg) if code is not None else []
    lineage = describe.lineage(store, node)
    is_graph = store.contains_named_graph(node)

    # One labels query and one quotes query for everything the page mentions.
    mentioned: dict[str, NamedNode] = {node.value: node}
    for f in facts:
        _add(mentioned, f.predicate, f.value, *f.graphs)
    for s, p in inc:
        _add(mentioned, s, p)
    for p, _ in counts:
        _add(mentioned, p)
    for v in [*versions, *lineage["predecessor"], *lineage["successor"]]:
        _add(mentioned, v.iri, v.parent)
    _add(mentioned, code)
    quote_targets = [node, *(f.value for f in facts if isinstance(f.value, NamedNode)),
                     *(s for s, _ in inc if isinstance(s, NamedNode))]
    found_quotes = describe.quotes(store, quote_targets)
    for qs in found_quotes.values():
        for q in qs:
            _add(mentioned, NamedNode(q.source))
    names = describe.labels(store, mentioned.values())
    view = _Viewer(links, names, found_quotes)

    title = pick(names.get(node.value, {}))
    return Page(
        iri=node.value,
        title=title[0] if title else short_name(node.value, links.base_iri),
        title_lang=title[1] if title else None,
        labels=sorted(names.get(node.value, {}).items(), key=lambda kv: _lang_rank(kv[0])),
        types=[view.resource(f.value) for f in facts
               if f.predicate.value == _RDF_TYPE and isinstance(f.value, NamedNode)],
        groups=_groups(facts, view),
        truncated=truncated,
        quotes=view.quotes(node.value),
        incoming=IncomingView(
            total=total,
            by_predicate=[(view.resource(p), n) for p, n in counts],
            rows=[(view.term(s), view.resource(p)) for s, p in inc],
            page=incoming_page,
            pages=pages,
        ),
        versions=[view.version(v, node) for v in versions],
        code=view.resource(code) if code is not None and code != node else None,
        lineage={rel: [view.version(v, node) for v in vs] for rel, vs in lineage.items()},
        graph=_graph_view(store, node, links, manifest, view) if is_graph else None,
        article=_article(facts, span),
        map_href=_map_href(facts),
        is_code=code == node,
        timeline=unit_timeline(store, node, links),
    )


def _add(mentioned: dict[str, NamedNode], *terms: object) -> None:
    for t in terms:
        if isinstance(t, NamedNode):
            mentioned.setdefault(t.value, t)


def _lang_rank(lang: str) -> tuple[int, str]:
    order = {"vi": 0, "en": 1, "": 2}
    return (order.get(lang, 3), lang)


class _Viewer:
    """Makes views of terms with the labels and quotes already read."""

    def __init__(self, links: Links, names: dict[str, dict[str, str]],
                 quotes: dict[str, list[describe.Quote]]) -> None:
        self.links, self.names, self.found_quotes = links, names, quotes

    def resource(self, node: NamedNode) -> ResourceView:
        iri = node.value
        label = pick(self.names.get(iri, {}))
        return ResourceView(
            iri=iri, href=self.links.href(iri), local=self.links.is_local(iri),
            label=label[0] if label else None, lang=label[1] if label else None,
            name=short_name(iri, self.links.base_iri), quotes=self.quotes(iri),
        )

    def term(self, term: Any) -> ResourceView:
        """A subject of an incoming link: an IRI, or a blank node shown by its id."""
        if isinstance(term, NamedNode):
            return self.resource(term)
        return ResourceView(iri=str(term), href=None, local=False, label=None, lang=None, name=str(term))

    def quotes(self, iri: str) -> list[QuoteView]:
        views = []
        for q in self.found_quotes.get(iri, []):
            article = self.resource_name(q.source)
            href = self.links.href(q.source)
            if href and q.start is not None and q.end is not None:
                href += f"?start={q.start}&end={q.end}#quote"
            views.append(QuoteView(q.exact, href, article, self.links.href(q.resource), q.start, q.end))
        return views

    def resource_name(self, iri: str) -> str:
        label = pick(self.names.get(iri, {}))
        return label[0] if label else short_name(iri, self.links.base_iri)

    def value(self, fact: describe.Fact) -> ValueView:
        graphs = [self.resource(g) for g in fact.graphs if g is not None]
        v = fact.value
        if isinstance(v, NamedNode):
            return ValueView(self.resource(v), None, None, graphs)
        if isinstance(v, BlankNode):
            return ValueView(None, None, str(v), graphs)
        return ValueView(None, self.literal(v), None, graphs)

    def literal(self, lit: Literal) -> LiteralView:
        dt = lit.datatype.value
        shown_dt = None if dt in (_XSD_STRING, _LANG_STRING) else dt
        return LiteralView(
            text=lit.value,
            lang=lit.language,
            datatype=short_name(shown_dt, self.links.base_iri) if shown_dt else None,
            datatype_href=self.links.href(shown_dt) if shown_dt else None,
            long=len(lit.value) > LONG_LITERAL,
        )

    def version(self, v: describe.Version, current: NamedNode) -> VersionView:
        return VersionView(
            unit=self.resource(v.iri), valid_from=v.valid_from, valid_through=v.valid_through,
            parent=self.resource(v.parent) if v.parent is not None else None, current=v.iri == current,
        )


def _groups(facts: list[describe.Fact], view: _Viewer) -> list[Group]:
    """Facts grouped by predicate, predicates grouped for reading (identity, hierarchy, provenance, other)."""
    by_predicate: dict[str, list[describe.Fact]] = {}
    for f in facts:
        by_predicate.setdefault(f.predicate.value, []).append(f)
    groups, base = [], view.links.base_iri
    for key, title in [(k, t) for k, t, _ in GROUPS] + [OTHER_GROUP]:
        preds = sorted((p for p in by_predicate if group_of(p, base) == key), key=lambda p: order_in_group(p, base))
        rows = [Row(view.resource(NamedNode(p)), [view.value(f) for f in sorted(facts_of, key=_value_key)])
                for p in preds for facts_of in [by_predicate[p]]]
        if rows:
            groups.append(Group(key, title, rows))
    return groups


def _value_key(fact: describe.Fact) -> tuple[int, tuple[int, str], str]:
    v = fact.value
    if isinstance(v, Literal):
        return (1, _lang_rank(v.language or ""), v.value)
    return (0, (0, ""), str(v))


def _graph_view(store: Store, node: NamedNode, links: Links, manifest: dict[str, Any],
                view: _Viewer) -> GraphView:
    counts = build_info.graph_counts(manifest)
    triples = counts.get(node.value)
    if triples is None:
        triples = describe.graph_triples(store, node)
    article = None
    graph_src = links.base_iri + "graph/src/"
    if node.value.startswith(graph_src):  # graph/src/{id} holds what was taken from article id/src/{id}
        article = view.resource(NamedNode(links.base_iri + "id/src/" + node.value[len(graph_src):]))
    return GraphView(triples=triples, dumps=build_info.dumps_of_graph(manifest, node.value), article=article)


def _article(facts: list[describe.Fact], span: tuple[int, int] | None) -> ArticleView | None:
    """The article text with [start, end) marked, when the page is an article and a span was asked."""
    if span is None:
        return None
    for f in facts:
        if f.predicate.value == _ARTICLE_TEXT and isinstance(f.value, Literal):
            text = f.value.value
            start, end = span
            if 0 <= start <= end <= len(text):
                return ArticleView(text[:start], text[start:end], text[end:], start, end)
    return None


def _map_href(facts: list[describe.Fact]) -> str | None:
    """A link to the point on OpenStreetMap (a plain link: nothing is fetched by the server or the page)."""
    coords = {f.predicate.value: f.value.value for f in facts
              if f.predicate.value in (_GEO_LAT, _GEO_LONG) and isinstance(f.value, Literal)}
    if len(coords) != 2:
        return None
    try:
        lat, lon = float(coords[_GEO_LAT]), float(coords[_GEO_LONG])
    except ValueError:
        return None
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=13/{lat}/{lon}"


@dataclass
class SubjectView:
    """One subject of a small graph shown whole (the VoID/DCAT description)."""

    subject: ResourceView
    groups: list[Group]


def build_listing(store: Store, triples: list[Triple], links: Links) -> list[SubjectView]:
    """Every subject of a small graph with its facts grouped like an entity page, datasets first."""
    by_subject: dict[str, list[describe.Fact]] = {}
    mentioned: dict[str, NamedNode] = {}
    for t in triples:
        if not isinstance(t.subject, NamedNode):
            continue
        by_subject.setdefault(t.subject.value, []).append(describe.Fact(t.predicate, t.object, []))
        _add(mentioned, t.subject, t.predicate, t.object)
    view = _Viewer(links, describe.labels(store, mentioned.values()), {})
    return [SubjectView(view.resource(NamedNode(s)), _groups(facts, view))
            for s, facts in sorted(by_subject.items(), key=lambda kv: (len(kv[0]), kv[0]))]

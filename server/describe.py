"""The bounded, in-process reads behind entity pages: facts, incoming links, labels, quotes, versions.

Every function takes the read-only store and IRIs already validated as `NamedNode`s, so the
queries below can embed them as `<…>` safely (a valid IRI cannot contain `>`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from pyoxigraph import DefaultGraph, Literal, NamedNode, Store, Triple

from vlkg.namespaces import BASE, OA, PREFIXES, PROV, RDF
from vlkg.server.labels import LABEL_PREDICATES

Term = NamedNode | Literal

# The prefixes whose namespaces do not depend on the build's base IRI. Our own terms (kg:, id:) are left out:
# a `vlkg build --base-iri` build spells them under its base, so the functions take them as full IRIs.
_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if not iri.startswith(BASE))


def _select(store: Store, query: str) -> list[dict[str, Any]]:
    """Run a SELECT over the union of all graphs; each row maps variable name -> term (unbound absent)."""
    solutions = store.query(_PREFIXES + query, use_default_graph_as_union=True)
    names = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        rows.append({n: solution[n] for n in names if solution[n] is not None})
    return rows


def _values(nodes: Iterable[NamedNode]) -> str:
    return " ".join(str(n) for n in nodes)


@dataclass
class Fact:
    """One (predicate, value) of a subject, with every graph that states it."""

    predicate: NamedNode
    value: Term
    graphs: list[NamedNode | None] = field(default_factory=list)  # None = the default graph


def outgoing(store: Store, subject: NamedNode, cap: int = 5000) -> tuple[list[Fact], bool]:
    """All (predicate, value) pairs of `subject` in all graphs, deduplicated; True if capped."""
    facts: dict[tuple[str, str], Fact] = {}
    quads = store.quads_for_pattern(subject, None, None, None)
    for quad in islice(quads, cap + 1):
        if isinstance(quad.object, Triple):  # RDF-star terms are not part of our data; skip them
            continue
        key = (str(quad.predicate), str(quad.object))
        fact = facts.setdefault(key, Fact(quad.predicate, quad.object))
        graph = None if isinstance(quad.graph_name, DefaultGraph) else quad.graph_name
        if graph not in fact.graphs:
            fact.graphs.append(graph)
    truncated = sum(len(f.graphs) for f in facts.values()) > cap
    return list(facts.values()), truncated


def description(store: Store, subject: NamedNode) -> list[Triple]:
    """The RDF description served for an IRI: every triple with it as subject, all graphs, deduplicated."""
    seen: dict[tuple[str, str], Triple] = {}
    for quad in store.quads_for_pattern(subject, None, None, None):
        seen.setdefault((str(quad.predicate), str(quad.object)), Triple(subject, quad.predicate, quad.object))
    return list(seen.values())


def is_known(store: Store, iri: NamedNode) -> bool:
    """True when the IRI is a subject or object of any triple, or names a graph."""
    if next(store.quads_for_pattern(iri, None, None, None), None) is not None:
        return True
    if next(store.quads_for_pattern(None, None, iri, None), None) is not None:
        return True
    return store.contains_named_graph(iri)


def incoming_counts(store: Store, target: NamedNode) -> list[tuple[NamedNode, int]]:
    """How many distinct subjects link to `target`, per predicate, largest first."""
    rows = _select(store, f"SELECT ?p (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s ?p {target} }} GROUP BY ?p")
    counts = [(r["p"], int(r["n"].value)) for r in rows]
    return sorted(counts, key=lambda pc: (-pc[1], pc[0].value))


def incoming(store: Store, target: NamedNode, counts: list[tuple[NamedNode, int]], limit: int,
             offset: int) -> list[tuple[Any, NamedNode]]:
    """One page of (subject, predicate) links into `target`, predicate by predicate in the order of `counts`.

    Subjects come in the store's index order: stable for a read-only store, and unlike ORDER BY (which
    costs seconds on a class with ten thousand members) it streams.
    """
    page: list[tuple[Any, NamedNode]] = []
    for predicate, n in counts:
        if offset >= n:
            offset -= n
            continue
        rows = _select(store, f"SELECT DISTINCT ?s WHERE {{ ?s {predicate} {target} }} "
                              f"LIMIT {int(limit - len(page))} OFFSET {int(offset)}")
        page.extend((r["s"], predicate) for r in rows)
        offset = 0
        if len(page) >= limit:
            break
    return page


def labels(store: Store, iris: Iterable[NamedNode]) -> dict[str, dict[str, str]]:
    """Labels of many IRIs in one query: iri -> {language ('' if none) -> label}, best predicate first."""
    nodes = {n.value: n for n in iris}
    if not nodes:
        return {}
    # One UNION branch per predicate: a second VALUES for ?p makes the engine scan every ?s ?p ?l.
    branches = " UNION ".join(
        f"{{ ?s {NamedNode(p)} ?l BIND({rank} AS ?rank) }}" for rank, p in enumerate(LABEL_PREDICATES)
    )
    rows = _select(
        store,
        f"SELECT ?s ?rank ?l WHERE {{ VALUES ?s {{ {_values(nodes.values())} }} {branches} "
        "FILTER(isLiteral(?l)) }",
    )
    best: dict[str, dict[str, tuple[int, str]]] = {}
    for r in rows:
        lit: Literal = r["l"]
        lang = lit.language or ""
        candidate = (int(r["rank"].value), lit.value)
        per_lang = best.setdefault(r["s"].value, {})
        if lang not in per_lang or candidate < per_lang[lang]:
            per_lang[lang] = candidate
    return {iri: {lang: text for lang, (_, text) in langs.items()} for iri, langs in best.items()}


@dataclass(frozen=True)
class Quote:
    """The sentence a fact was taken from: an oa:SpecificResource of an article, with its offsets."""

    resource: str  # the oa:SpecificResource IRI
    source: str  # the article IRI
    exact: str
    start: int | None
    end: int | None


def quotes(store: Store, nodes: Iterable[NamedNode]) -> dict[str, list[Quote]]:
    """Quotes of many nodes: nodes that are quotes, or are derived from one (prov:wasDerivedFrom).

    Index lookups from each node outwards (a SPARQL join here scanned every oa:SpecificResource: ~90 ms).
    """
    found: dict[str, list[Quote]] = {}
    cache: dict[str, list[Quote]] = {}
    for n in {n.value: n for n in nodes}.values():
        candidates = [n, *(q.object for q in store.quads_for_pattern(n, PROV.wasDerivedFrom, None, None))]
        rows: list[Quote] = []
        for sr in {str(c): c for c in candidates if isinstance(c, NamedNode)}.values():
            if sr.value not in cache:
                cache[sr.value] = _quotes_of(store, sr)
            rows.extend(cache[sr.value])
        rows.sort(key=lambda q: (q.start is not None, q.start or 0, q.resource))
        bucket: list[Quote] = []
        for quote in rows:
            if quote not in bucket:
                bucket.append(quote)
        if bucket:
            found[n.value] = bucket
    return found


def _quotes_of(store: Store, sr: NamedNode) -> list[Quote]:
    """The quotes an oa:SpecificResource gives: each source x exact text x (start, end) of its selectors."""
    def objects(s: Any, p: NamedNode) -> list[Any]:
        return list({str(q.object): q.object for q in store.quads_for_pattern(s, p, None, None)}.values())

    if next(store.quads_for_pattern(sr, RDF.type, OA.SpecificResource, None), None) is None:
        return []
    sources = [s for s in objects(sr, OA.hasSource) if isinstance(s, NamedNode)]
    selectors = objects(sr, OA.hasSelector)
    exacts = [e for sel in selectors for e in objects(sel, OA.exact) if isinstance(e, Literal)]
    spans = [(_int(st), _int(en)) for sel in selectors for st in objects(sel, OA.start) for en in objects(sel, OA.end)]
    return [Quote(sr.value, src.value, e.value, start, end)
            for src in sources for e in exacts for start, end in (spans or [(None, None)])]


def _int(term: Any) -> int | None:
    try:
        return int(term.value)
    except (AttributeError, ValueError):
        return None


@dataclass(frozen=True)
class Version:
    """A unit version related to a page: its validity and its parent at the time."""

    iri: NamedNode
    valid_from: str | None
    valid_through: str | None
    parent: NamedNode | None


def code_of(store: Store, subject: NamedNode, kg: str) -> NamedNode | None:
    """The kg:DvhcCode node of a unit version, or the subject itself when it is a code (`kg`: the served
    namespace of our terms)."""
    if next(store.quads_for_pattern(subject, NamedNode(kg + "denotedVersion"), None, None), None) is not None:
        return subject
    if next(store.quads_for_pattern(subject, RDF.type,
                                    NamedNode(kg + "DvhcCode"), None), None) is not None:
        return subject
    for quad in store.quads_for_pattern(subject, NamedNode(kg + "code"), None, None):
        if isinstance(quad.object, NamedNode):
            return quad.object
    return None


def versions(store: Store, code: NamedNode, kg: str) -> list[Version]:
    """Every unit version that used a code (kg:denotedVersion or kg:code), oldest first."""
    denoted, has_code = NamedNode(kg + "denotedVersion"), NamedNode(kg + "code")
    rows = _select(
        store,
        f"""SELECT DISTINCT ?v ?from ?through ?parent WHERE {{
              {{ {code} {denoted} ?v }} UNION {{ ?v {has_code} {code} }}
              OPTIONAL {{ ?v schema:validFrom ?from }} OPTIONAL {{ ?v schema:validThrough ?through }}
              OPTIONAL {{ ?v schema:isPartOf ?parent }}
            }}""",
    )
    return _versions(rows, "v")


def lineage(store: Store, unit: NamedNode) -> dict[str, list[Version]]:
    """Predecessors and successors of a unit version (either direction of vl: links), with dates."""
    rows = _select(
        store,
        f"""SELECT DISTINCT ?rel ?x ?from ?through ?parent WHERE {{
              {{ {unit} vl:predecessor ?x BIND("predecessor" AS ?rel) }}
              UNION {{ ?x vl:successor {unit} BIND("predecessor" AS ?rel) }}
              UNION {{ {unit} vl:successor ?x BIND("successor" AS ?rel) }}
              UNION {{ ?x vl:predecessor {unit} BIND("successor" AS ?rel) }}
              FILTER(isIRI(?x))
              OPTIONAL {{ ?x schema:validFrom ?from }} OPTIONAL {{ ?x schema:validThrough ?through }}
              OPTIONAL {{ ?x schema:isPartOf ?parent }}
            }}""",
    )
    return {
        rel: _versions([r for r in rows if r["rel"].value == rel], "x")
        for rel in ("predecessor", "successor")
    }


def _versions(rows: list[dict[str, Any]], var: str) -> list[Version]:
    """Collapse rows to one Version per IRI (first parent wins), sorted: legacy first, then by start date."""
    by_iri: dict[str, Version] = {}
    for r in rows:
        iri: NamedNode = r[var]
        if iri.value in by_iri:
            continue
        parent = r.get("parent")
        by_iri[iri.value] = Version(
            iri=iri,
            valid_from=r["from"].value if "from" in r else None,
            valid_through=r["through"].value if "through" in r else None,
            parent=parent if isinstance(parent, NamedNode) else None,
        )
    return sorted(by_iri.values(), key=lambda v: (v.valid_from or "", v.valid_through or "", v.iri.value))


def graph_triples(store: Store, graph: NamedNode) -> int:
    """Number of triples in one named graph."""
    rows = _select(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"].value) if rows else 0


def graph_quads(store: Store, graph: NamedNode) -> list[Triple]:
    """All triples of one named graph (used for the small graph/meta)."""
    return [q.triple for q in store.quads_for_pattern(None, None, None, graph)]

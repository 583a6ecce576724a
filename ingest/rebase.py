"""Rebasing: the same graph published under another base IRI (`vlkg build --base-iri`).

Every ingest step mints IRIs under vlkg.namespaces.BASE and ontology/*.ttl spell it literally, so a build is
made under that canonical base, validated there, and rebased in one step before the store and dumps are
written. Rebasing maps every IRI that starts with the canonical base (subjects, predicates, objects, graph
names, literal datatypes) to the new base, and every mention of it in a literal's lexical form (void:uriSpace,
dump labels, sh:message), the regex-escaped spelling in sh:pattern included; nothing else changes. (Measured
on the full build: 2 literals start with the base and 11 mention it later, all of them ours; no IRI holds
it other than at its start.)

SHACL is checked before rebasing, on the canonical graphs: rebasing is a one-to-one renaming (checked
below), and the SHACL verdict of data renamed together with the shapes is the verdict of the originals; the
shapes file is written for the canonical base (its sh:pattern on indicator and unit IRIs spells it), so it
is the canonical graphs that it can judge.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

from pyoxigraph import Literal, NamedNode, Triple

from vlkg.ingest.model import BuildError, GraphBuild
from vlkg.namespaces import BASE


def check_base_iri(iri: str) -> str:
    """The base IRI if it can be one (absolute http(s), a host, ends with "/"); ValueError says what is wrong."""
    parts = urlsplit(iri)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{iri!r} is not an absolute http(s) IRI; give one like https://data.example.org/kg/.")
    if not iri.endswith("/"):
        raise ValueError(f"{iri!r} must end with \"/\" (IRIs are minted as <base>id/..., <base>def/...); "
                         f"try {iri}/.")
    if parts.query or parts.fragment or any(c in iri for c in " <>\"{}|\\^`"):
        raise ValueError(f"{iri!r} has a query, a fragment or a character that an IRI cannot hold.")
    try:
        NamedNode(iri)
    except ValueError as exc:
        raise ValueError(f"{iri!r} is not a valid IRI: {exc}") from None
    return iri


def _regex_escape(text: str) -> str:
    """The spelling of `text` inside an XPath/SPARQL regex (sh:pattern)."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


class Rebaser:
    """Maps terms from `old` to `new` (each distinct term once: the same IRI recurs millions of times)."""

    def __init__(self, new: str, old: str = BASE) -> None:
        self.old, self.new = old, new
        self._cut = len(old)
        self._escaped = (_regex_escape(old), _regex_escape(new))
        self._memo: dict[object, object] = {}

    def text(self, value: str) -> str:
        if "//" not in value:
            return value
        return value.replace(self.old, self.new).replace(*self._escaped)

    def iri(self, node: NamedNode) -> NamedNode:
        value = node.value
        return NamedNode(self.new + value[self._cut:]) if value.startswith(self.old) else node

    def term(self, term):
        done = self._memo.get(term)
        if done is not None:
            return done
        if isinstance(term, NamedNode):
            done = self.iri(term)
        elif isinstance(term, Literal):
            value, datatype = term.value, term.datatype
            new_value = self.text(value)
            new_datatype = self.iri(datatype)
            if new_value == value and new_datatype == datatype:
                done = term
            elif term.language:
                done = Literal(new_value, language=term.language)
            else:
                done = Literal(new_value, datatype=new_datatype)
        else:  # blank nodes (none today) and anything else keep their identity
            done = term
        self._memo[term] = done
        return done

    def triples(self, triples: list[Triple]) -> list[Triple]:
        t = self.term
        return [Triple(t(x.subject), t(x.predicate), t(x.object)) for x in triples]

    def graph(self, g: GraphBuild) -> GraphBuild:
        return replace(g, graph=self.iri(g.graph), triples=self.triples(g.triples))


def rebase_graphs(graphs: list[GraphBuild], new: str, old: str = BASE) -> list[GraphBuild]:
    """The graphs under `new` instead of `old`; BuildError if two distinct terms would become one."""
    if new == old:
        return graphs
    r = Rebaser(new, old)
    out = [r.graph(g) for g in graphs]
    renamed = [(a, b) for a, b in r._memo.items() if a != b]
    if len({b for _a, b in renamed}) != len(renamed) or any(b in r._memo and r._memo[b] == b for _a, b in renamed):
        clash = next((b for _a, b in renamed if b in r._memo and r._memo[b] == b), None)
        raise BuildError(f"the base IRI {new} makes two different terms one"
                         + (f" ({clash} is already in the data)" if clash is not None else "")
                         + "; choose a base IRI that no source uses.")
    return out

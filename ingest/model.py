"""What every ingest step returns: one named graph's triples, plus what the build should report."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Triple

from vlkg.namespaces import XSD


@dataclass
class GraphBuild:
    """The triples of one named graph, with what VoID/DCAT and the build summary say about it."""

    graph: NamedNode
    title_en: str
    title_vi: str
    source: str  # human-readable description of where the triples come from
    triples: list[Triple] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)

    def add(self, s: NamedNode, p: NamedNode, o: NamedNode | Literal) -> None:
        """Add one triple."""
        self.triples.append(Triple(s, p, o))

    def add_all(self, s: NamedNode, pairs: Iterable[tuple[NamedNode, NamedNode | Literal | None]]) -> None:
        """Add (predicate, object) pairs about one subject, skipping None objects."""
        for p, o in pairs:
            if o is not None:
                self.triples.append(Triple(s, p, o))


class BuildError(Exception):
    """A build input is wrong; the message says what, where, and how to fix it."""


def lit(value: str | int | Decimal | float | bool, lang: str | None = None,
        datatype: NamedNode | None = None) -> Literal:
    """A literal with the XSD datatype that matches the Python value (Decimal -> xsd:decimal)."""
    if lang is not None:
        return Literal(str(value), language=lang)
    if datatype is not None:
        return Literal(str(value), datatype=datatype)
    if isinstance(value, bool):
        return Literal("true" if value else "false", datatype=XSD.boolean)
    if isinstance(value, int):
        return Literal(str(value), datatype=XSD.integer)
    if isinstance(value, Decimal | float):
        return Literal(_decimal_lexical(Decimal(str(value))), datatype=XSD.decimal)
    return Literal(value)


def _decimal_lexical(d: Decimal) -> str:
    """The xsd:decimal form the store keeps ('122', '55.9'): dumps and store then hold the very same literals."""
    return format(d.normalize(), "f")


def date_lit(iso: str) -> Literal:
    """An xsd:date literal from 'YYYY-MM-DD'."""
    return Literal(iso, datatype=XSD.date)

"""A small SPARQL tokenizer: what the service must know about a request before running it.

It finds the query form (SELECT/ASK/CONSTRUCT/DESCRIBE, or an update operation), whether the query names
its own dataset (FROM / FROM NAMED) and every SERVICE endpoint. Strings, IRIs, prefixed names, variables
and comments are proper tokens, so `"SERVICE"`, `<http://x/SERVICE>`, `ex:service`, `?service` or
`# SERVICE` never count as the keyword. The full grammar is left to pyoxigraph's parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
    | (?P<pname>(?:[^\W\d_][\w.\-\u00B7]*)?:(?:[\w\-.:%\u00B7]|\\.)*|_:[\w.\-]+)
    | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<word>[^\W\d][\w\-]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_OPERATIONS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)


@dataclass(frozen=True)
class Service:
    """One SERVICE clause: the endpoint IRI if it is a constant, else the text written (a variable)."""

    endpoint: str | None
    written: str


@dataclass(frozen=True)
class QueryInfo:
    """What the tokenizer found; `form` is the upper-cased first operation keyword or None."""

    form: str | None
    has_dataset_clause: bool = False
    services: tuple[Service, ...] = field(default_factory=tuple)
    prefixes: dict[str, str] = field(default_factory=dict)  # PREFIX declarations, reused for RDF output

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_OPERATIONS

    @property
    def is_graph_form(self) -> bool:
        """CONSTRUCT and DESCRIBE return RDF; SELECT and ASK return result tables."""
        return self.form in ("CONSTRUCT", "DESCRIBE")


def tokens(text: str) -> Iterator[tuple[str, str]]:
    """(kind, text) of every significant token; whitespace and comments dropped."""
    for m in _TOKEN.finditer(text):
        if m.lastgroup not in ("ws", "comment"):
            yield m.lastgroup or "other", m.group()


def analyse(text: str, base_iri: str | None = None) -> QueryInfo:
    """Query form, dataset clauses and SERVICE endpoints (IRIs resolved against PREFIX/BASE).

    Results are cached by query text (repeated queries are common); treat them as read-only.
    """
    return _analyse(text, base_iri or "")


@lru_cache(maxsize=4096)
def _analyse(text: str, base: str) -> QueryInfo:
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    form: str | None = None
    # Most queries name neither: then the scan stops at the query form, after the prologue.
    lowered = text.lower()
    scan_body = "from" in lowered or "service" in lowered
    has_from = False
    services: list[Service] = []
    pending: list[tuple[str, str]] = []  # one token of look-ahead pushed back

    def take() -> tuple[str, str]:
        return pending.pop() if pending else next(toks, ("", ""))

    while True:
        kind, value = take()
        if not kind:
            break
        upper = value.upper() if kind == "word" else ""
        if upper in ("BASE", "PREFIX"):
            name = take() if upper == "PREFIX" else ("pname", "")
            iri = take()
            if name[0] == "pname" and iri[0] == "iri":
                absolute = _absolute(base, iri[1][1:-1])
                if upper == "BASE":
                    base = absolute
                else:
                    prefixes[name[1].rstrip(":")] = absolute
            else:
                pending.extend(t for t in (iri, name) if t[0])
            continue
        if form is None and (upper in QUERY_FORMS or upper in UPDATE_OPERATIONS):
            form = upper
            if not scan_body:
                break
        elif upper == "FROM":
            has_from = True
        elif upper == "SERVICE":
            target = take()
            if target[0] == "word" and target[1].upper() == "SILENT":
                target = take()
            services.append(Service(_resolve(target, prefixes, base), target[1]))
    return QueryInfo(form=form, has_dataset_clause=has_from, services=tuple(services), prefixes=prefixes)


def _absolute(base: str, iri: str) -> str:
    # urljoin is slow and only needed for relative IRIs; most are absolute.
    return iri if _SCHEME.match(iri) else urljoin(base, iri)


def _resolve(token: tuple[str, str], prefixes: dict[str, str], base: str) -> str | None:
    """The absolute IRI a SERVICE token names, or None (a variable, or an undeclared prefix)."""
    kind, value = token
    if kind == "iri":
        return _absolute(base, value[1:-1])
    if kind == "pname" and not value.startswith("_:"):
        prefix, _, local = value.rstrip(".").partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None

"""A small SPARQL tokenizer: what the service must know about a request before running it.

It finds the query form (SELECT/ASK/CONSTRUCT/DESCRIBE, or an update operation), whether the query names
its own dataset (FROM / FROM NAMED) and every SERVICE endpoint. Strings, IRIs, prefixed names, variables
and comments are proper tokens, so `"SERVICE"`, `<http://x/SERVICE>`, `ex:service`, `?service` or
`# SERVICE` never count as the keyword. The full grammar is left to pyoxigraph's parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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


def tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every significant token; whitespace and comments dropped."""
    return [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("ws", "comment")]


def analyse(text: str, base_iri: str | None = None) -> QueryInfo:
    """Query form, dataset clauses and SERVICE endpoints (IRIs resolved against PREFIX/BASE)."""
    toks = tokens(text)
    prefixes: dict[str, str] = {}
    base = base_iri or ""
    form: str | None = None
    has_from = False
    services: list[Service] = []
    i = 0
    while i < len(toks):
        kind, value = toks[i]
        upper = value.upper() if kind == "word" else ""
        if upper == "BASE" and i + 1 < len(toks) and toks[i + 1][0] == "iri":
            base = urljoin(base, toks[i + 1][1][1:-1])
            i += 2
            continue
        if upper == "PREFIX" and i + 2 < len(toks) and toks[i + 1][0] == "pname" and toks[i + 2][0] == "iri":
            prefixes[toks[i + 1][1].rstrip(":")] = urljoin(base, toks[i + 2][1][1:-1])
            i += 3
            continue
        if form is None and (upper in QUERY_FORMS or upper in UPDATE_OPERATIONS):
            form = upper
        elif upper == "FROM":
            has_from = True
        elif upper == "SERVICE":
            j = i + 1
            if j < len(toks) and toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                j += 1
            written = toks[j][1] if j < len(toks) else ""
            services.append(Service(_resolve(toks[j] if j < len(toks) else ("", ""), prefixes, base), written))
        i += 1
    return QueryInfo(form=form, has_dataset_clause=has_from, services=tuple(services), prefixes=prefixes)


def _resolve(token: tuple[str, str], prefixes: dict[str, str], base: str) -> str | None:
    """The absolute IRI a SERVICE token names, or None (a variable, or an undeclared prefix)."""
    kind, value = token
    if kind == "iri":
        return urljoin(base, value[1:-1])
    if kind == "pname" and not value.startswith("_:"):
        prefix, _, local = value.rstrip(".").partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None

"""A linear-time scan of SPARQL text for what the service wants to know besides the answer.

It runs in the query process, under the query's timeout, and is never a security boundary (the network
sandbox is, see sandbox.py): it finds the PREFIX/BASE declarations and the prefixes the query uses (to
write readable Turtle and to name an undeclared prefix in a parse error), the first
operation keyword (to say "read-only" to an update instead of "syntax error"), whether the query names its
own dataset (FROM / FROM NAMED at the top level), the SERVICE endpoints (for a helpful message when one
fails) and the deepest nesting of brackets (pyoxigraph's recursive parser overflows its stack on a few
thousand levels, which would kill the process).

Linear by construction: every alternative of the token pattern uses possessive quantifiers and consumes
a maximal run (a name runs through dots and colons, so "a.a.a…" is one token, not a backtracking trap),
and an unterminated string or IRI fails at the end of its line (or of the text, for long strings) at
most once per opening quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

TOKEN = re.compile(
    r"""
      (?P<ws>\s++)
    | (?P<comment>\#[^\n\r]*+)
    | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*+'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\"
                |'(?:[^'\\\n\r]|\\.)*+'|"(?:[^"\\\n\r]|\\.)*+")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*+>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]++)
    | (?P<name>(?:[^\W\d]|:)(?:[\w.\-:%\u00B7]|\\.)*+)
    | (?P<open>[{(\[])
    | (?P<close>[})\]])
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*+:")

QUERY_FORMS = frozenset({"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"})
UPDATE_OPERATIONS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
MAX_DEPTH = 200  # brackets of all kinds; the deepest real query we know of nests about 12


@dataclass
class Scan:
    """What the scan found. `form` is the first operation keyword, upper-cased (None if there is none)."""

    form: str | None = None
    has_dataset_clause: bool = False
    prefixes: dict[str, str] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)  # endpoint IRIs (or the text written, e.g. ?e)
    used: dict[str, int] = field(default_factory=dict)  # prefix name -> offset of its first prefixed name
    depth: int = 0

    @property
    def is_update(self) -> bool:
        return self.form in UPDATE_OPERATIONS


def scan(text: str, base: str = "", stop_depth: int = MAX_DEPTH) -> Scan:
    """Scan `text` once; stops early when brackets nest deeper than `stop_depth` (then depth > stop_depth)."""
    out = Scan()
    depth = 0
    expect: str | None = None  # what the last keyword wants next: prefix-name, prefix-iri, base-iri, service
    pending_prefix = ""
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = m.group()
        if kind == "open":
            depth += 1
            if depth > out.depth:
                out.depth = depth
                if depth > stop_depth:
                    return out
            expect = None
            continue
        if kind == "close":
            depth = max(0, depth - 1)
            expect = None
            continue
        if expect == "prefix-name" and kind == "name" and value.endswith(":"):
            pending_prefix, expect = value[:-1], "prefix-iri"
            continue
        if expect in ("prefix-iri", "base-iri") and kind == "iri":
            iri = _absolute(base, value[1:-1])
            if expect == "base-iri":
                base = iri
            else:
                out.prefixes[pending_prefix] = iri
            expect = None
            continue
        if expect == "service":
            if kind == "name" and value.upper() == "SILENT":
                continue
            _use(out, kind, value, m.start())
            out.services.append(_endpoint(kind, value, out.prefixes, base))
            expect = None
            continue
        expect = None
        if kind != "name":
            continue
        if ":" in value:
            _use(out, kind, value, m.start())
            continue
        upper = value.upper()
        if upper == "PREFIX":
            expect = "prefix-name"
        elif upper == "BASE":
            expect = "base-iri"
        elif upper == "SERVICE":
            expect = "service"
        elif out.form is None and (upper in QUERY_FORMS or upper in UPDATE_OPERATIONS):
            out.form = upper
        elif upper == "FROM" and depth == 0:
            out.has_dataset_clause = True
    return out


def _use(out: Scan, kind: str | None, value: str, start: int) -> None:
    """Note the prefix of a prefixed name (not of a blank node label `_:b`)."""
    if kind == "name" and ":" in value:
        prefix = value.partition(":")[0]
        if prefix != "_" and prefix not in out.used:
            out.used[prefix] = start


def _absolute(base: str, iri: str) -> str:
    return iri if _SCHEME.match(iri) else urljoin(base, iri)


def _endpoint(kind: str | None, value: str, prefixes: dict[str, str], base: str) -> str:
    """The absolute IRI a SERVICE target names, or the text written (a variable, an unknown prefix)."""
    if kind == "iri":
        return _absolute(base, value[1:-1])
    if kind == "name" and ":" in value:
        prefix, _, local = value.partition(":")
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return value

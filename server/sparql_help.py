"""Help for people writing SPARQL, shared by /sparql (the query process) and `vlkg query`.

- `PREDEFINED`: the prefixes every query may use without declaring them (the query UI's, from
  vlkg.namespaces); a query's own `PREFIX` lines override them. `predefined_for(base)`: the same with kg:
  and id: under the served base IRI (a build made with `vlkg build --base-iri`).
- `explain()`: a parse error a person can act on: line and column, the text there, and for an undeclared
  prefix its name and the `PREFIX` line to add (pyoxigraph's message, without its Unicode ranges).
- `answer_prefixes()`: the prefixes worth writing at the top of a Turtle-family answer.

Everything here runs in the query process (under the query's timeout) or in `vlkg query`, never in the
HTTP worker, and is linear in the query's length. Text is made NFC before it gets here (vlkg.text.nfc).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from vlkg.namespaces import PREFIXES, prefixes_for
from vlkg.server.sparql_scan import TOKEN, Scan, scan

PREDEFINED: Mapping[str, str] = PREFIXES


@lru_cache(maxsize=8)
def predefined_for(base: str | None) -> Mapping[str, str]:
    """The predefined prefixes for data served under `base` (None or "": the canonical base)."""
    return prefixes_for(base) if base else PREDEFINED

# Well-known prefixes that are not predefined here (their usual IRIs, as prefix.cc gives them): for an
# undeclared one the error message can give the exact PREFIX line.
WELL_KNOWN: Mapping[str, str] = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "dct": "http://purl.org/dc/terms/",
    "dctype": "http://purl.org/dc/dcmitype/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "sosa": "http://www.w3.org/ns/sosa/",
    "ssn": "http://www.w3.org/ns/ssn/",
    "locn": "http://www.w3.org/ns/locn#",
    "adms": "http://www.w3.org/ns/adms#",
    "wd": "http://www.wikidata.org/entity/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "dbo": "http://dbpedia.org/ontology/",
    "dbr": "http://dbpedia.org/resource/",
    "gn": "http://www.geonames.org/ontology#",
    "skosxl": "http://www.w3.org/2008/05/skos-xl#",
    "void": "http://rdfs.org/ns/void#",
}

MAX_SHOWN = 40  # characters of the query quoted in a message
MAX_EXPECTED = 12  # alternatives of "expected one of" kept
_ERROR = re.compile(r"error at (\d+):(\d+): (.*)", re.DOTALL)
_SINGLE_CHAR = re.compile(r"\['(\\?.)'\]")
_KEYWORD = re.compile(r"[A-Za-z][A-Za-z0-9_ ]*")


def explain(message: str, query: str, found: Scan | None = None,
            predefined: Mapping[str, str] = PREDEFINED) -> str:
    """pyoxigraph's SyntaxError message -> a message a person can act on (see the module docstring)."""
    found = found if found is not None else scan(query)
    unknown = sorted((offset, name) for name, offset in found.used.items()
                     if name not in found.prefixes and name not in predefined
                     and not query.endswith("<", 0, offset))  # `<http://a b>`: a bad IRI, not a prefix
    if unknown:  # always an error, and pyoxigraph's position for it is often the end of the query
        return _unknown_prefixes(query, unknown, predefined)
    match = _ERROR.match(message)
    if match is None:
        return _short(message)
    line, column, rest = int(match[1]), int(match[2]), match[3]
    offset = _offset(query, line, column)
    expected = _expected(rest)
    where = f"Line {line}, column {column}"
    at = _token_at(query, offset)
    text = f"{where}: the query ends here" if at is None else f"{where}: unexpected {_quote(at)}"
    return f"{text}; expected {expected}." if expected else f"{text} ({_short(rest)})."


def _unknown_prefixes(query: str, unknown: list[tuple[int, str]], predefined: Mapping[str, str]) -> str:
    offset, name = unknown[0]
    line, column = _line_column(query, offset)
    token = TOKEN.match(query, offset)
    written = token.group() if token is not None else name + ":"
    parts = [f"Line {line}, column {column}: unknown prefix {name}: in {_quote(written)}."]
    bare = [n for o, n in unknown if query.startswith("//", o + len(n) + 1)]  # http://... without <>
    if bare:
        parts.append("An IRI goes in angle brackets: <http://...>.")
    others = [f"{n}: (line {_line_column(query, o)[0]}, column {_line_column(query, o)[1]})" for o, n in unknown[1:4]]
    if others:
        parts.append("Also undeclared: " + ", ".join(others) + ("" if len(unknown) <= 4 else ", ...") + ".")
    near = [p for _o, n in unknown for p in predefined if p.lower() == n.lower() and p != n]
    if near:
        parts.append(f"Prefix names are case-sensitive: did you mean {near[0]}:?")
    lines = [f"PREFIX {n}: <{_known_iri(n, predefined)}>" for _o, n in unknown if _known_iri(n, predefined)]
    missing = [n for _o, n in unknown if not _known_iri(n, predefined) and n not in bare]
    if missing:
        parts.append(f"Declare {missing[0]}: with PREFIX {missing[0]}: <namespace IRI> at the top of the query. "
                     f"Predefined here (no PREFIX needed): {', '.join(p + ':' for p in predefined)}.")
    if lines:
        parts.append("Add at the top of the query:\n" + "\n".join(lines))
    return " ".join(parts)


def _known_iri(name: str, predefined: Mapping[str, str]) -> str | None:
    return WELL_KNOWN.get(name) if name not in predefined else None


def _expected(rest: str) -> str:
    """'expected one of A, "b", [Unicode ranges]...' -> 'one of A, "b"' (the ranges are noise to a person)."""
    if not rest.startswith("expected "):
        return ""
    rest = rest[len("expected "):]
    rest = rest[len("one of "):] if rest.startswith("one of ") else rest
    kept: list[str] = []
    for item in _split(rest):
        single = _SINGLE_CHAR.fullmatch(item)
        if item.startswith('"') or single:
            kept.append(f'"{single[1]}"' if single else item)
        elif item in ("['0'..='9']", "['0' ..= '9']"):
            kept.append("a digit")
        elif _KEYWORD.fullmatch(item) and item not in ("Prefix not found", "IRI parsing failed"):
            kept.append(item)
        elif item == "IRI parsing failed":
            return "a valid IRI (IRIs have no spaces and no <>\"{}|^`\\ inside <...>)"
    if len(kept) > MAX_EXPECTED:
        kept = [*kept[:MAX_EXPECTED], "..."]
    if not kept:
        return ""
    return ("one of " if len(kept) > 1 else "") + ", ".join(kept)


def _split(text: str) -> list[str]:
    """Split at the commas outside brackets and quotes."""
    items, depth, quote, start, i = [], 0, "", 0, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
        i += 1
    items.append(text[start:].strip())
    return [item for item in items if item]


def _offset(text: str, line: int, column: int) -> int:
    """pyoxigraph's 1-based line and column (in characters) -> an offset into `text`."""
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return min(offset + column - 1, len(text))


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _token_at(text: str, offset: int) -> str | None:
    """The token around `offset` (or the next one after white space and comments); None at the end."""
    position = 0  # from the start: a line may begin inside a long string
    while position < len(text):
        token = TOKEN.match(text, position)
        if token is None:
            return text[position]
        if token.end() > offset and token.lastgroup not in ("ws", "comment"):
            return token.group()
        position = token.end()
    return None


def _quote(text: str) -> str:
    return "'" + _shorten(text) + "'"


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _short(message: str) -> str:
    first = message.split("\n", 1)[0]
    return first if len(first) <= 300 else first[:300] + "…"


def needed_prefixes(found: Scan, predefined: Mapping[str, str] = PREDEFINED) -> dict[str, str]:
    """The predefined prefixes the query uses and does not declare itself (what the parser needs)."""
    return {p: predefined[p] for p in found.used if p in predefined and p not in found.prefixes}


def answer_prefixes(found: Scan, iris: Iterable[str] = (),
                    predefined: Mapping[str, str] = PREDEFINED) -> dict[str, str]:
    """Prefixes for a Turtle-family answer: the query's own, and the predefined ones that the query uses or
    (for answers at hand) that `iris` fall in. Not all 29: a short header stays readable."""
    names = {p for p in found.used if p in predefined and p not in found.prefixes}
    by_namespace = {iri: p for p, iri in predefined.items() if p not in found.prefixes}
    for iri in iris:  # the longest namespace that holds the IRI, looking back over at most 8 separators
        cut = len(iri)
        for _ in range(8):
            cut = max(iri.rfind("#", 0, cut), iri.rfind("/", 0, cut))
            name = by_namespace.get(iri[:cut + 1]) if cut > 0 else None
            if name is not None or cut <= 0:
                break
        if name is not None:
            names.add(name)
    chosen = {p: predefined[p] for p in predefined if p in names}
    chosen.update(found.prefixes)
    return chosen

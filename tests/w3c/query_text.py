"""What the harness needs to know about a query's text, without parsing it with the engine under test."""

from __future__ import annotations

import re

_NOISE = re.compile(
    r'#[^\n]*|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>'
)


def _code(query: str) -> str:
    """The query with comments, strings and IRIs blanked out (so keywords inside them are not seen)."""
    return _NOISE.sub(" ", query)


def is_ordered(query: str) -> bool:
    """True when the outer query has ORDER BY (it comes after the last closing brace)."""
    text = _code(query)
    return re.search(r"\bORDER\s+BY\b", text[text.rfind("}") + 1:], re.IGNORECASE) is not None


def has_dataset_clause(query: str) -> bool:
    """True when the query names its own dataset (FROM / FROM NAMED)."""
    return re.search(r"\bFROM\b", _code(query), re.IGNORECASE) is not None


def with_base(query: str, base_iri: str) -> str:
    """The query with a BASE line first, so relative IRIs resolve as they would against the file."""
    return f"BASE <{base_iri}>\n{query}"

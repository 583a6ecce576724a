"""Result formats and content negotiation for /sparql.

SELECT/ASK: SPARQL JSON, XML, CSV, TSV and "csv-excel" (CSV with a UTF-8 BOM, so Excel shows Vietnamese
correctly). CONSTRUCT/DESCRIBE: Turtle, N-Triples, RDF/XML, JSON-LD, N-Quads, TriG, N3.
`format=` (a short name or a media type) overrides Accept; Accept is parsed with q-values by werkzeug.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # werkzeug is imported lazily: the query processes read the table below and need nothing else
    from werkzeug.datastructures import MIMEAccept


@dataclass(frozen=True)
class Format:
    """One way to write results: `key` names it (also in the child process), `media_type` is sent back."""

    key: str
    media_type: str
    names: tuple[str, ...]  # values accepted by `format=`
    extension: str
    engine: str  # the pyoxigraph QueryResultsFormat / RdfFormat member that writes it
    aliases: tuple[str, ...] = ()  # other media types that select this format

    @property
    def content_type(self) -> str:
        # Text formats declare UTF-8 explicitly: CSV/TSV readers otherwise guess (often wrongly).
        textual = self.media_type.startswith("text/") or self.media_type == "application/n-triples"
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


TABLE_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("json", "srj"), "srj", "JSON", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("xml", "srx"), "srx", "XML", ("application/xml", "text/xml")),
    Format("csv", "text/csv", ("csv",), "csv", "CSV"),
    Format("tsv", "text/tab-separated-values", ("tsv",), "tsv", "TSV"),
    Format("csv-excel", "text/csv", ("csv-excel", "excel"), "csv", "CSV"),
)
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", ("turtle", "ttl"), "ttl", "TURTLE", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", ("ntriples", "nt", "n-triples"), "nt", "N_TRIPLES", ("text/plain",)),
    Format(
        "rdfxml", "application/rdf+xml", ("rdfxml", "rdf", "rdf+xml", "xml"), "rdf", "RDF_XML", ("application/xml",)
    ),
    Format(
        "jsonld", "application/ld+json", ("jsonld", "json-ld", "json"), "jsonld", "JSON_LD", ("application/json",)
    ),
    Format("nquads", "application/n-quads", ("nquads", "nq", "n-quads"), "nq", "N_QUADS"),
    Format("trig", "application/trig", ("trig",), "trig", "TRIG"),
    Format("n3", "text/n3", ("n3",), "n3", "N3"),
)
BY_KEY = {f.key: f for f in TABLE_FORMATS + GRAPH_FORMATS}

# Formats whose offers a plain Accept header can pick (csv-excel differs from csv only by a BOM).
_NEGOTIABLE = {False: [f for f in TABLE_FORMATS if f.key != "csv-excel"], True: list(GRAPH_FORMATS)}


class NotAcceptable(Exception):
    """No offered format satisfies the request; `offered` lists what would."""

    def __init__(self, message: str, offered: list[str]) -> None:
        super().__init__(message)
        self.offered = offered


def offered(graph: bool) -> list[str]:
    """Human-readable list of what /sparql offers for a query form."""
    return [f"{f.media_type} (format={f.names[0]})" for f in (GRAPH_FORMATS if graph else TABLE_FORMATS)]


def negotiate(graph: bool, accept: MIMEAccept, format_param: str | None) -> tuple[Format, str]:
    """Choose the format and the media type to answer with; raise NotAcceptable if none fits."""
    formats = GRAPH_FORMATS if graph else TABLE_FORMATS
    form = "CONSTRUCT/DESCRIBE" if graph else "SELECT/ASK"
    if format_param:
        wanted = format_param.strip().lower()
        for f in formats:
            if wanted in f.names or wanted == f.media_type:
                return f, f.media_type
            if wanted in f.aliases:
                return f, wanted
        raise NotAcceptable(f"format={format_param!r} is not available for a {form} query.", offered(graph))
    if not accept:
        return formats[0], formats[0].media_type
    # Server preference breaks ties (e.g. */* or text/*): own media types in table order, then aliases.
    owner: dict[str, Format] = {}
    for f in _NEGOTIABLE[graph]:
        owner.setdefault(f.media_type, f)
    for f in _NEGOTIABLE[graph]:
        for media_type in f.aliases:
            owner.setdefault(media_type, f)
    candidates = list(owner)
    best = accept.best_match(candidates)
    if best is None:
        raise NotAcceptable(
            f"None of the media types in the Accept header ({accept.to_header()}) is available for a {form} query.",
            offered(graph),
        )
    # A wildcard match (*/* or text/*) answers with the format's own media type, not an alias.
    chosen = owner[best]
    exact = any(value == best for value, _q in accept)
    return chosen, best if exact else chosen.media_type


def negotiate_header(graph: bool, accept_header: str, format_param: str | None) -> tuple[Format, str]:
    """negotiate() from the raw Accept header, memoised: clients repeat the same few headers."""
    result = _negotiate_cached(graph, accept_header, format_param)
    if isinstance(result, NotAcceptable):
        raise NotAcceptable(str(result), result.offered)  # a fresh exception: no shared traceback
    return result


@lru_cache(maxsize=1024)
def _negotiate_cached(graph: bool, accept_header: str, format_param: str | None) -> tuple[Format, str] | NotAcceptable:
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    try:
        return negotiate(graph, parse_accept_header(accept_header, MIMEAccept), format_param)
    except NotAcceptable as exc:
        return exc

"""The one format table and the one negotiation function, for every surface of the service.

/sparql: SELECT/ASK as SPARQL JSON, XML, CSV, TSV and "csv-excel" (CSV with a UTF-8 BOM, so Excel shows
Vietnamese correctly); CONSTRUCT/DESCRIBE as Turtle, N-Triples, RDF/XML, JSON-LD, N-Quads, TriG, N3.
Entity pages and the VoID description: HTML or four of the RDF formats; the dump listing: HTML or JSON;
errors: text, JSON or HTML. `format=` (a short name or a media type) overrides Accept; Accept is read with
q-values, the most specific matching range deciding a type's quality (so `text/html;q=0, */*` excludes HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # werkzeug is imported lazily: the query processes read the table below and need nothing else
    from werkzeug.datastructures import MIMEAccept

    from vlkg.server.errors import Problem


@dataclass(frozen=True)
class Format:
    """One way to write an answer: `key` names it (also in the query process), `media_type` is sent back."""

    key: str
    media_type: str
    names: tuple[str, ...]  # values accepted by `format=`
    extension: str
    engine: str  # the pyoxigraph QueryResultsFormat / RdfFormat member that writes it ("" = not RDF)
    aliases: tuple[str, ...] = ()  # other media types that select this format
    negotiable: bool = True  # False: only `format=` selects it (csv-excel differs from csv only by a BOM)
    answer_alias: bool = True  # a client naming an alias exactly gets that media type back

    @property
    def content_type(self) -> str:
        # Text formats declare UTF-8 explicitly: CSV/TSV readers otherwise guess (often wrongly).
        textual = self.media_type.startswith("text/") or self.media_type == "application/n-triples"
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type

    def content_type_for(self, media_type: str) -> str:
        """The Content-Type header for this format sent as `media_type` (its own type or an alias)."""
        return self.content_type.replace(self.media_type, media_type, 1)


TABLE_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", ("json", "srj"), "srj", "JSON", ("application/json",)),
    Format("xml", "application/sparql-results+xml", ("xml", "srx"), "srx", "XML", ("application/xml", "text/xml")),
    Format("csv", "text/csv", ("csv",), "csv", "CSV"),
    Format("tsv", "text/tab-separated-values", ("tsv",), "tsv", "TSV"),
    Format("csv-excel", "text/csv", ("csv-excel", "excel"), "csv", "CSV", negotiable=False),
)
TURTLE = Format("turtle", "text/turtle", ("turtle", "ttl"), "ttl", "TURTLE", ("application/x-turtle",))
NTRIPLES = Format(
    "ntriples", "application/n-triples", ("ntriples", "nt", "n-triples"), "nt", "N_TRIPLES", ("text/plain",)
)
RDFXML = Format(
    "rdfxml", "application/rdf+xml", ("rdfxml", "rdf", "rdf+xml", "rdf-xml", "xml"), "rdf", "RDF_XML",
    ("application/xml",),
)
JSONLD = Format(
    "jsonld", "application/ld+json", ("jsonld", "json-ld", "json"), "jsonld", "JSON_LD", ("application/json",)
)
GRAPH_FORMATS: tuple[Format, ...] = (
    TURTLE, NTRIPLES, RDFXML, JSONLD,
    Format("nquads", "application/n-quads", ("nquads", "nq", "n-quads"), "nq", "N_QUADS"),
    Format("trig", "application/trig", ("trig",), "trig", "TRIG"),
    Format("n3", "text/n3", ("n3",), "n3", "N3"),
)
# Pages and documents. An XHTML-only client still gets text/html: the pages are HTML, not XML.
HTML = Format("html", "text/html", ("html",), "html", "", ("application/xhtml+xml",), answer_alias=False)
JSON = Format("json-doc", "application/json", ("json",), "json", "",
              ("application/sparql-results+json", "application/ld+json"), answer_alias=False)
TEXT = Format("text", "text/plain", ("text", "txt"), "txt", "")

ENTITY_FORMATS: tuple[Format, ...] = (HTML, TURTLE, NTRIPLES, JSONLD, RDFXML)  # HTML first: no Accept = a page
ERROR_FORMATS: tuple[Format, ...] = (TEXT, JSON, HTML)  # text unless JSON or HTML is preferred over it
BY_KEY = {f.key: f for f in TABLE_FORMATS + GRAPH_FORMATS + (HTML, JSON, TEXT)}
_MEMO_HEADER = 512  # longer Accept headers are parsed each time: the memo must not hold big keys


class NotAcceptable(Exception):
    """No offered format satisfies the request; `offered` lists what would."""

    def __init__(self, message: str, offered: list[str]) -> None:
        super().__init__(message)
        self.offered = offered

    def problem(self) -> Problem:
        """The 406 to answer with: what was asked and what is offered."""
        from vlkg.server.errors import Problem

        return Problem("not_acceptable", f"{self} Offered: {', '.join(self.offered)}.")


def offered(graph: bool) -> list[str]:
    """Human-readable list of what /sparql offers for a query form."""
    return describe_offers(GRAPH_FORMATS if graph else TABLE_FORMATS)


def describe_offers(formats: Sequence[Format]) -> list[str]:
    return [f"{f.media_type} (format={f.names[0]})" for f in formats]


def negotiate(graph: bool, accept: MIMEAccept, format_param: str | None) -> tuple[Format, str]:
    """/sparql: the format and media type for a query form; raise NotAcceptable if none fits."""
    form = "a CONSTRUCT/DESCRIBE query" if graph else "a SELECT/ASK query"
    return choose(GRAPH_FORMATS if graph else TABLE_FORMATS, accept, format_param, form)


def negotiate_header(graph: bool, accept_header: str, format_param: str | None) -> tuple[Format, str]:
    """negotiate() from the raw Accept header, memoised: clients repeat the same few headers."""
    return choose_header(GRAPH_FORMATS if graph else TABLE_FORMATS, accept_header, format_param,
                         "a CONSTRUCT/DESCRIBE query" if graph else "a SELECT/ASK query")


def choose_header(formats: Sequence[Format], accept_header: str, format_param: str | None,
                  what: str) -> tuple[Format, str]:
    """choose() from the raw Accept header; short headers are memoised."""
    if len(accept_header) > _MEMO_HEADER or (format_param is not None and len(format_param) > _MEMO_HEADER):
        result = _choose_raw(tuple(formats), accept_header, format_param, what)
    else:  # keyed by format keys: cheaper to hash than the formats themselves
        result = _choose_cached(tuple(f.key for f in formats), accept_header, format_param, what)
    if isinstance(result, NotAcceptable):
        raise NotAcceptable(str(result), result.offered)  # a fresh exception: no shared traceback
    return result


@lru_cache(maxsize=1024)
def _choose_cached(keys: tuple[str, ...], accept_header: str, format_param: str | None,
                   what: str) -> tuple[Format, str] | NotAcceptable:
    return _choose_raw(tuple(BY_KEY[k] for k in keys), accept_header, format_param, what)


def _choose_raw(formats: tuple[Format, ...], accept_header: str, format_param: str | None,
                what: str) -> tuple[Format, str] | NotAcceptable:
    from werkzeug.datastructures import MIMEAccept
    from werkzeug.http import parse_accept_header

    try:
        return choose(formats, parse_accept_header(accept_header, MIMEAccept), format_param, what)
    except NotAcceptable as exc:
        return exc


def choose(formats: Sequence[Format], accept: MIMEAccept, format_param: str | None,
           what: str) -> tuple[Format, str]:
    """The one negotiation: `format=` wins, then Accept; no Accept (or `*/*`) gives the first format.

    Returns the format and the media type to send (an alias when the client named it exactly).
    """
    if format_param:
        wanted = format_param.strip().lower()
        for f in formats:
            if wanted in f.names or wanted == f.media_type:
                return f, f.media_type
            if wanted in f.aliases:
                return f, wanted if f.answer_alias else f.media_type
        raise NotAcceptable(f"format={format_param[:100]!r} is not available for {what}.", describe_offers(formats))
    if not accept:
        return formats[0], formats[0].media_type
    # Candidates in server order (own media types, then aliases): order breaks ties such as */*.
    owner: dict[str, Format] = {}
    for f in formats:
        if f.negotiable:
            owner.setdefault(f.media_type, f)
    for f in formats:
        if f.negotiable:
            for media_type in f.aliases:
                owner.setdefault(media_type, f)
    ranges = [(_bare(value), q) for value, q in accept]
    best: tuple[float, int] = (0.0, -1)
    chosen: str | None = None
    for candidate in owner:
        score = _quality(candidate, ranges)
        if score[0] > 0 and score > best:
            best, chosen = score, candidate
    if chosen is None:
        header = accept.to_header()
        shown = header if len(header) <= 200 else header[:200] + "…"
        raise NotAcceptable(f"None of the media types in the Accept header ({shown}) is available for {what}.",
                            describe_offers(formats))
    f = owner[chosen]
    exact = best[1] == 2  # named exactly, not reached through a wildcard
    return f, chosen if exact and f.answer_alias else f.media_type


def _bare(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> tuple[float, int]:
    """(q, specificity) from the most specific range that matches: 2 exact, 1 type/*, 0 */*."""
    kind = media_type.split("/", 1)[0]
    found: tuple[float, int] | None = None
    for value, q in ranges:
        if value == media_type:
            specificity = 2
        elif value == kind + "/*":
            specificity = 1
        elif value in ("*/*", "*"):
            specificity = 0
        else:
            continue
        if found is None or specificity > found[1] or (specificity == found[1] and q > found[0]):
            found = (q, specificity)
    return found or (0.0, -1)

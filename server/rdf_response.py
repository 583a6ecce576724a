"""RDF-or-HTML responses for entity pages and the dataset description: negotiation, serialisation, caching."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from flask import Request, Response
from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

from vlkg.namespaces import PREFIXES

# Browsers and proxies may keep a page this long, then revalidate (304 while the build is the same).
CACHE_CONTROL = "public, max-age=600"
_RDF_TYPE = PREFIXES["rdf"] + "type"


@dataclass(frozen=True)
class Format:
    """One representation we can send: media type, file extension, ?format= names, pyoxigraph format."""

    media_type: str
    extension: str
    names: tuple[str, ...]
    rdf: RdfFormat | None  # None = the HTML page

    @property
    def content_type(self) -> str:
        # JSON is UTF-8 by definition and has no charset parameter; the text formats state it.
        return self.media_type if self.media_type.endswith("json") else self.media_type + "; charset=utf-8"


HTML = Format("text/html", "html", ("html",), None)
TURTLE = Format("text/turtle", "ttl", ("ttl", "turtle"), RdfFormat.TURTLE)
NTRIPLES = Format("application/n-triples", "nt", ("nt", "ntriples", "n-triples"), RdfFormat.N_TRIPLES)
JSONLD = Format("application/ld+json", "jsonld", ("jsonld", "json-ld"), RdfFormat.JSON_LD)
RDFXML = Format("application/rdf+xml", "rdf", ("rdf", "xml", "rdfxml", "rdf-xml"), RdfFormat.RDF_XML)
RDF_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
ALL_FORMATS: tuple[Format, ...] = (HTML, *RDF_FORMATS)

# Media types clients send that mean one of ours (asked for, never offered first).
_ALIASES: dict[str, Format] = {"application/json": JSONLD, "application/xhtml+xml": HTML}


class NotAcceptable(Exception):
    """No offered representation matches the request; the message lists what is offered."""


def by_extension(extension: str) -> Format | None:
    """The format named by a file extension ('ttl', 'nt', 'jsonld', 'rdf', 'html'), if any."""
    return next((f for f in ALL_FORMATS if f.extension == extension), None)


def negotiate(request: Request, offered: Sequence[Format]) -> Format:
    """Pick a format: `?format=` wins, then the Accept header with q-values; no Accept -> the first offered.

    Raises NotAcceptable (406) or ValueError (400, unknown `format=` value) with a message for the client.
    """
    names = {name: f for f in offered for name in (*f.names, f.media_type)}
    asked = request.args.get("format")
    if asked is not None:
        if asked.lower() in names:
            return names[asked.lower()]
        raise ValueError(
            f"Unknown format={asked!r}. Use one of: {', '.join(f.names[0] for f in offered)}."
        )
    if not request.accept_mimetypes:
        return offered[0]
    types = [f.media_type for f in offered] + [a for a, f in _ALIASES.items() if f in offered]
    best = request.accept_mimetypes.best_match(types)
    if best is None:
        raise NotAcceptable(
            "None of the media types in your Accept header can be produced here. Offered: "
            + ", ".join(f.media_type for f in offered)
            + " (or add ?format=" + "|".join(f.names[0] for f in offered) + ")."
        )
    direct = next((f for f in offered if f.media_type == best), None)
    return direct or _ALIASES[best]


def _used_prefixes(triples: Iterable[Triple]) -> dict[str, str]:
    """The published prefixes that occur in these triples, except id: (our paths need escaped slashes)."""
    iris: set[str] = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, NamedNode):
                iris.add(term.value)
            elif hasattr(term, "datatype"):
                iris.add(term.datatype.value)
    return {
        prefix: ns for prefix, ns in PREFIXES.items()
        if prefix != "id" and any(i.startswith(ns) for i in iris)
    }


def serialize_triples(triples: list[Triple], fmt: Format) -> bytes:
    """Serialise triples, sorted so the same data always gives the same bytes."""
    assert fmt.rdf is not None
    ordered = sorted(triples, key=lambda t: (str(t.subject), t.predicate.value != _RDF_TYPE,
                                             str(t.predicate), str(t.object)))
    prefixes = _used_prefixes(ordered) if fmt.rdf in (RdfFormat.TURTLE, RdfFormat.RDF_XML) else None
    return serialize(ordered, format=fmt.rdf, prefixes=prefixes)


def etag_for(build_id: str, *parts: str) -> str:
    """An ETag tied to the build and to what was asked (resource, format, page)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{build_id}-{digest}"


def finish(response: Response, request: Request, etag: str, vary_accept: bool = True) -> Response:
    """Add caching headers and answer a matching If-None-Match with 304."""
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    if vary_accept:
        response.vary.add("Accept")
    return response.make_conditional(request)

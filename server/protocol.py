"""SPARQL 1.1 Protocol: turn an HTTP request into a query request, or refuse it with a clear reason.

Query by GET (`?query=`), POST form-encoded (`query=` in the body; other parameters may be in the URL
too) or POST `application/sparql-query` (the body is the query, parameters in the URL). Updates, in any
of their protocol forms, are refused: this service is read-only.

Every parameter value (the query text too) is normalised to Unicode NFC here, the one place requests are
parsed: a query pasted in decomposed form (NFD) matches what the composed one matches. `nfc()` is linear
(see vlkg/text.py), so this adds no unbounded work to the HTTP worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Request
from werkzeug.datastructures import MultiDict

from vlkg.server.errors import READ_ONLY, Problem
from vlkg.text import nfc

MIN_TIMEOUT = 0.1  # shorter limits would only make the pool kill and restart query processes


@dataclass(frozen=True)
class QueryRequest:
    """One query as the protocol delivered it. Graph lists are None when the request gives none."""

    query: str
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    format: str | None
    timeout: float
    row_limit: int | None

    @property
    def has_protocol_dataset(self) -> bool:
        return self.default_graphs is not None or self.named_graphs is not None


def parse(request: Request, settings: dict[str, Any]) -> QueryRequest | None:
    """The query request, or None for a plain GET (the caller answers with the service description)."""
    if len(request.query_string) > settings["max_request_bytes"]:
        raise Problem("too_large", _too_large(settings))
    if request.method in ("GET", "HEAD"):
        params = request.args
        if "update" in params:
            raise Problem("update_refused", READ_ONLY)
        if "query" not in params:
            return None
        query = _single(params, "query")
    else:
        params, query = _post(request, settings)
    return QueryRequest(
        query=query,
        default_graphs=_graphs(params, "default-graph-uri"),
        named_graphs=_graphs(params, "named-graph-uri"),
        format=_value(params, "format") or None,
        timeout=_timeout(_value(params, "timeout"), settings),
        row_limit=_row_limit(_value(params, "row-limit"), settings),
    )


def _post(request: Request, settings: dict[str, Any]) -> tuple[MultiDict[str, str], str]:
    mimetype = request.mimetype
    if request.content_length is not None and request.content_length > settings["max_request_bytes"]:
        raise Problem("too_large", _too_large(settings))
    if mimetype == "application/sparql-update":
        raise Problem("update_refused", READ_ONLY)
    if mimetype == "application/x-www-form-urlencoded":
        params = MultiDict(request.args)
        for key, values in request.form.lists():
            params.setlist(key, params.getlist(key) + values)
        if "update" in params:
            raise Problem("update_refused", READ_ONLY)
        if "query" not in params:
            raise Problem("bad_request", "The form has no `query` field. Send query=<SPARQL text>.")
        return params, _single(params, "query")
    if mimetype == "application/sparql-query":
        charset = request.mimetype_params.get("charset", "utf-8").lower()
        if charset not in ("utf-8", "utf8"):
            raise Problem(
                "unsupported_media_type",
                f"The query is declared as {charset}; SPARQL queries must be sent as UTF-8 (charset=utf-8).",
            )
        try:
            query = request.get_data(cache=False).decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"The query body is not valid UTF-8 ({exc.reason} at byte {exc.start}); send UTF-8."
            raise Problem("bad_request", message) from None
        if "query" in request.args:
            raise Problem("bad_request", "Give the query either in the body or as ?query=, not both.")
        return MultiDict(request.args), nfc(query)
    if not mimetype:
        raise Problem(
            "bad_request",
            "A POST needs a Content-Type: application/x-www-form-urlencoded (query=...) or "
            "application/sparql-query (the query as the body).",
        )
    raise Problem(
        "unsupported_media_type",
        f"Content-Type {mimetype} is not a SPARQL query. Use application/x-www-form-urlencoded (query=...) or "
        "application/sparql-query.",
    )


def _single(params: MultiDict[str, str], name: str) -> str:
    values = params.getlist(name)
    if len(values) != 1:
        raise Problem("bad_request", f"Give exactly one `{name}` parameter (got {len(values)}).")
    if not values[0].strip():
        raise Problem("bad_request", f"The `{name}` parameter is empty.")
    return nfc(values[0])


def _value(params: MultiDict[str, str], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else nfc(value)


def _graphs(params: MultiDict[str, str], name: str) -> tuple[str, ...] | None:
    if name not in params:
        return None
    iris = tuple(nfc(v.strip()) for v in params.getlist(name))
    for iri in iris:
        if not iri or any(c in iri for c in '<>" {}|\\^`') or ":" not in iri:
            raise Problem("bad_request", f"`{name}` must be an absolute IRI; got {iri!r}.")
    return iris


def _timeout(value: str | None, settings: dict[str, Any]) -> float:
    bound = settings["max_timeout"]
    if value is None or value == "":
        return min(settings["timeout"], bound)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:  # also rejects NaN
        raise Problem("bad_request", f"timeout={value!r}: give a number of seconds greater than 0 (at most {bound:g}).")
    return min(max(seconds, MIN_TIMEOUT), bound)


def _row_limit(value: str | None, settings: dict[str, Any]) -> int | None:
    if value is None or value == "":
        return None
    bound = settings["max_row_limit"]
    # isdecimal() alone lets "²" or "٣" through; int() of those fails, so ASCII digits only.
    if not (value.isascii() and value.isdigit()) or len(value) > 12 or int(value) < 1:
        raise Problem("bad_request", f"row-limit={value!r}: give a whole number of rows, 1 to {bound}.")
    return min(int(value), bound)


def _too_large(settings: dict[str, Any]) -> str:
    return (
        f"The request is larger than {settings['max_request_bytes']:,} bytes, the limit of this service. "
        "Shorten the query (e.g. VALUES with fewer rows), or load a dump from /dumps/ into your own store."
    )

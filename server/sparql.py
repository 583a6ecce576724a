"""Blueprint: /sparql, the SPARQL 1.1 Protocol endpoint (read-only) and its service description.

Dataset: with no default-graph-uri / named-graph-uri and no FROM / FROM NAMED, the default graph is the
union of all named graphs and GRAPH ?g reaches each named graph. Otherwise the dataset is exactly what
the request says (the protocol's graphs win over the query's FROM clauses).

Response headers of our own (also exposed to browsers through CORS):
  Vlkg-Row-Limit: N      a limit applied (the `row-limit` parameter, or the operator's result cap)
  Vlkg-Truncated: true   there were more than N rows (or triples); `false` when everything fitted
  Vlkg-Timeout: S        the time limit that applied to this request, in seconds
  Vlkg-Cache: hit|miss   whether the answer came from the result cache
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.wsgi import FileWrapper

from vlkg.server import protocol, service_description
from vlkg.server.backend import Backend
from vlkg.server.errors import Problem
from vlkg.server.executor import SPOOL_MEMORY, Answer
from vlkg.server.formats import BY_KEY, GRAPH_FORMATS, NotAcceptable, negotiate, negotiate_header
from vlkg.server.sparql_syntax import QueryInfo, analyse

bp = Blueprint("sparql", __name__)

IN_MEMORY = SPOOL_MEMORY  # answers that fit stay in memory (cacheable, gzip-able); bigger ones are sent from disk
EXPOSED_HEADERS = ("Vlkg-Row-Limit", "Vlkg-Truncated", "Vlkg-Timeout", "Vlkg-Cache")


@bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    """Answer a SPARQL query, or describe the service when a GET carries no query."""
    settings: dict[str, Any] = current_app.config["VLKG"]
    backend: Backend = current_app.extensions["vlkg"]
    http = request._get_current_object()  # type: ignore[attr-defined] - skips the proxy on a hot path
    req = protocol.parse(http, settings)
    if req is None:
        return _service_description(backend, settings)
    info = analyse(req.query, settings["base_iri"])
    if info.is_update:
        raise Problem("update_refused", protocol.READ_ONLY)
    _check_services(info, settings["service_allow"])
    try:
        fmt, media_type = negotiate_header(info.is_graph_form, http.headers.get("Accept", ""), req.format)
    except NotAcceptable as exc:
        raise Problem("not_acceptable", f"{exc} Offered: {', '.join(exc.offered)}.") from None

    caps = [n for n in (req.row_limit, settings["result_cap"]) if n]
    limit = min(caps) if caps else 0  # 0 = full results
    union = not req.has_protocol_dataset and not info.has_dataset_clause
    key = (backend.build_id, req.query, fmt.key, union, req.default_graphs, req.named_graphs, limit)
    etag = None
    if http.method == "GET":
        etag = hashlib.blake2b(repr((key, media_type)).encode(), digest_size=12).hexdigest()
        matched = _if_none_match(etag)
        if matched:
            return _not_modified(matched, settings)

    answer, cache_state = _answer(backend, settings, key, req, info)
    headers = [
        ("Content-Type", _content_type(fmt.key, media_type)),
        ("Vary", "Accept"),
        ("Vlkg-Timeout", f"{req.timeout:g}"),
        ("Vlkg-Cache", cache_state),
    ]
    if answer.header.get("limit"):
        headers.append(("Vlkg-Row-Limit", str(answer.header["limit"])))
        headers.append(("Vlkg-Truncated", "true" if answer.header.get("truncated") else "false"))
    if fmt.key == "csv-excel":
        headers.append(("Content-Disposition", f'attachment; filename="query-results.{fmt.extension}"'))
    if etag is not None:
        headers.append(("ETag", f'"{etag}"'))
        headers.append(("Cache-Control", f"public, max-age={settings['http_max_age']}"))
    if answer.file is not None:  # a big answer, complete on disk: sent with its length, never cut silently
        headers.append(("Content-Length", str(answer.size)))
        return Response(FileWrapper(answer.file, 1 << 20), headers=headers, direct_passthrough=True)
    return Response(answer.body, headers=headers)


def _answer(
    backend: Backend, settings: dict[str, Any], key: tuple[Any, ...], req: protocol.QueryRequest, info: QueryInfo
) -> tuple[Answer, str]:
    """The answer from the result cache, or from a query process (then cached if small enough)."""
    cached = backend.cache.get(key)
    if cached is not None:
        return Answer(cached[0], body=cached[1]), "hit"
    _build, query, fmt_key, union, default_graphs, named_graphs, limit = key
    dataset = req.has_protocol_dataset
    answer = backend.executor.run(
        {
            "query": query,
            "base": settings["base_iri"],
            "format": fmt_key,
            "union": union,
            "default": list(default_graphs or ()) if dataset else None,
            "named": list(named_graphs or ()) if dataset else None,
            "limit": limit,
            "prefixes": info.prefixes,
        },
        req.timeout,
        settings["max_result_mb"] << 20,
    )
    if answer.size <= IN_MEMORY:
        backend.cache.put(key, answer.header, answer.read_all())
    return answer, "miss"


@lru_cache(maxsize=64)
def _content_type(key: str, media_type: str) -> str:
    """The Content-Type header: the negotiated media type, with charset=utf-8 for text formats."""
    return BY_KEY[key].content_type.replace(BY_KEY[key].media_type, media_type)


def _check_services(info: QueryInfo, allowed: tuple[str, ...]) -> None:
    """Refuse SERVICE before anything runs: the server must not call hosts for anyone on the internet."""
    for service in info.services:
        if service.endpoint is None:
            raise Problem(
                "service_refused",
                f"SERVICE {service.written} is refused: the endpoint must be a constant IRI on this server's "
                "allow-list.",
            )
        if service.endpoint not in allowed:
            listed = ", ".join(allowed) if allowed else "none (SERVICE is off)"
            raise Problem(
                "service_refused",
                f"SERVICE <{service.endpoint}> is refused: this server only calls allow-listed endpoints "
                f"(allowed: {listed}). Query that endpoint directly, or ask the operator to allow it.",
            )


def _if_none_match(etag: str) -> str | None:
    """The client's tag when it already holds this answer; flask-compress may have added ':<encoding>'."""
    header = request.headers.get("If-None-Match")
    if not header:
        return None
    for tag in (t.strip() for t in header.split(",")):
        bare = tag.removeprefix("W/").strip('"')
        if tag == "*" or bare.split(":", 1)[0] == etag:
            return tag
    return None


def _not_modified(tag: str, settings: dict[str, Any]) -> Response:
    response = Response(status=304)
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = f"public, max-age={settings['http_max_age']}"
    response.headers["Vary"] = "Accept"
    return response


def _service_description(backend: Backend, settings: dict[str, Any]) -> Response:
    try:
        fmt, media_type = negotiate(True, request.accept_mimetypes, request.args.get("format"))
    except NotAcceptable:  # a browser or a results-only client: Turtle is readable by both
        fmt, media_type = GRAPH_FORMATS[0], GRAPH_FORMATS[0].media_type
    from pyoxigraph import RdfFormat

    body = service_description.describe(
        request.base_url,
        backend.named_graphs(),
        bool(settings["service_allow"]),
        getattr(RdfFormat, fmt.engine),
    )
    response = Response(body, content_type=_content_type(fmt.key, media_type))
    response.headers["Vary"] = "Accept"
    response.set_etag(hashlib.blake2b(f"{backend.build_id}|{request.base_url}|{media_type}".encode(),
                                      digest_size=12).hexdigest())
    response.headers["Cache-Control"] = f"public, max-age={settings['http_max_age']}"
    return response.make_conditional(request)

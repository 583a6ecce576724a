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

from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.wsgi import FileWrapper

from vlkg.namespaces import prefixes_for  # = sparql_help.predefined_for; request text is never scanned here
from vlkg.server import protocol, service_description
from vlkg.server.backend import Backend
from vlkg.server.errors import Problem
from vlkg.server.executor import SPOOL_MEMORY, Answer
from vlkg.server.formats import BY_KEY, GRAPH_FORMATS, NotAcceptable, negotiate, negotiate_header
from vlkg.server.job import Job
from vlkg.server.responses import conditional, etag_for, not_modified, public_url

bp = Blueprint("sparql", __name__)

IN_MEMORY = SPOOL_MEMORY  # answers that fit stay in memory (cacheable, gzip-able); bigger ones are sent from disk
EXPOSED_HEADERS = ("Vlkg-Row-Limit", "Vlkg-Truncated", "Vlkg-Timeout", "Vlkg-Cache", "Server-Timing")
FORMS = ("table", "graph")


@bp.route("/sparql", methods=["GET", "POST"], strict_slashes=False)
def endpoint() -> Response:
    """Answer a SPARQL query, or describe the service when a GET carries no query.

    Nothing here reads the query text beyond its size: its form, prefixes, dataset clauses and SERVICE
    calls are found in the query process, under the timeout (see query_process.py and sandbox.py).
    """
    settings: dict[str, Any] = current_app.config["VLKG"]
    backend: Backend = current_app.extensions["vlkg"]
    http = request._get_current_object()  # type: ignore[attr-defined] - skips the proxy on a hot path
    req = protocol.parse(http, settings)
    if req is None:
        return _service_description(backend, settings)
    chosen: dict[str, tuple[str, str] | None] = {}
    refusal: dict[str, str] = {}
    for form in FORMS:  # the form is known only once the query is parsed: negotiate for both
        try:
            fmt, media_type = negotiate_header(form == "graph", http.headers.get("Accept", ""), req.format)
            chosen[form] = (fmt.key, media_type)
        except NotAcceptable as exc:
            chosen[form] = None
            refusal[form] = f"{exc} Offered: {', '.join(exc.offered)}."
    if not any(chosen.values()):
        raise Problem("not_acceptable", " ".join(refusal.values()))

    caps = [n for n in (req.row_limit, settings["result_cap"]) if n]
    job = Job(
        query=req.query,
        base=settings["base_iri"],
        table=(chosen["table"] or (None,))[0],
        graph=(chosen["graph"] or (None,))[0],
        union=not req.has_protocol_dataset,
        # A protocol dataset is exactly what it says: a side it leaves out is empty, not "all graphs".
        default_graphs=(req.default_graphs or ()) if req.has_protocol_dataset else None,
        named_graphs=(req.named_graphs or ()) if req.has_protocol_dataset else None,
        limit=min(caps) if caps else 0,  # 0 = full results
        max_bytes=settings["max_result_mb"] << 20,
        refusal=refusal,
        gzip=http.accept_encodings["gzip"] > 0,
    )
    etag = None
    cache_control = f"public, max-age={settings['http_max_age']}"
    if http.method in ("GET", "HEAD"):  # POST answers are not cacheable: no validator
        media = (chosen["table"] or (None, None))[1], (chosen["graph"] or (None, None))[1]
        etag = job.etag(backend.build_id, media)
        early = not_modified(etag, cache_control=cache_control)  # the client holds this very answer
        if early is not None:
            return early

    answer, cache_state = _answer(backend, job, req.timeout, http.remote_addr)
    form = answer.header.get("form", "table")
    key = answer.header.get("format") or job.table or job.graph or "json"
    media_type = (chosen.get(form) or (key, BY_KEY[key].media_type))[1]
    headers = [
        ("Content-Type", _content_type(key, media_type)),
        ("Vary", "Accept"),
        ("Vlkg-Timeout", f"{req.timeout:g}"),
        ("Vlkg-Cache", cache_state),
        # Engine time in the query process (no queueing, no transfer); the query UI shows it.
        ("Server-Timing", "cache;desc=hit" if cache_state == "hit" else f"query;dur={answer.header.get('ms', 0)}"),
    ]
    if answer.header.get("limit"):
        headers.append(("Vlkg-Row-Limit", str(answer.header["limit"])))
        headers.append(("Vlkg-Truncated", "true" if answer.header.get("truncated") else "false"))
    if key == "csv-excel":
        headers.append(("Content-Disposition", f'attachment; filename="query-results.{BY_KEY[key].extension}"'))
    if answer.header.get("encoding"):  # compressed by the query process; flask-compress leaves it alone
        headers.append(("Content-Encoding", answer.header["encoding"]))
        headers.append(("Vary", "Accept-Encoding"))
    if answer.file is not None:  # a big answer, complete on disk: sent with its length, never cut silently
        headers.append(("Content-Length", str(answer.size)))
        response = Response(FileWrapper(answer.file, 1 << 20), headers=headers, direct_passthrough=True)
    else:
        response = Response(answer.body, headers=headers)
    # `If-None-Match: *` matches only now that an answer exists (a malformed query never gets 304).
    return conditional(response, etag, cache_control=cache_control) if etag is not None else response


def _answer(backend: Backend, job: Job, timeout: float, client: str | None) -> tuple[Answer, str]:
    """The answer from the result cache, or from a query process (then cached if small enough)."""
    key = job.key()
    cached = backend.cache.get(key)
    if cached is not None:
        return Answer(cached[0], body=cached[1]), "hit"
    answer = backend.executor.run(job.wire(), timeout, job.max_bytes, client=client)
    if answer.size <= IN_MEMORY and not answer.header.get("encoding"):  # compressed bodies suit one client only
        backend.cache.put(key, answer.header, answer.read_all(), job.key_bytes())
    return answer, "miss"


def _content_type(key: str, media_type: str) -> str:
    """The Content-Type header: the negotiated media type, with charset=utf-8 for text formats."""
    return BY_KEY[key].content_type.replace(BY_KEY[key].media_type, media_type)


def _service_description(backend: Backend, settings: dict[str, Any]) -> Response:
    try:
        fmt, media_type = negotiate(True, request.accept_mimetypes, request.args.get("format"))
    except NotAcceptable:  # a browser or a results-only client: Turtle is readable by both
        fmt, media_type = GRAPH_FORMATS[0], GRAPH_FORMATS[0].media_type
    from pyoxigraph import RdfFormat

    # The endpoint's public address comes from the base IRI, never the Host header: this answer is cached.
    endpoint_iri = public_url("sparql")
    body = service_description.describe(
        endpoint_iri,
        backend.named_graphs(),
        bool(settings["service_allow"]),
        getattr(RdfFormat, fmt.engine),
        prefixes_for(settings["base_iri"]),  # what the query processes predefine for this build's base
    )
    response = Response(body, content_type=_content_type(fmt.key, media_type))
    etag = etag_for(backend.build_id, "service-description", endpoint_iri, media_type)
    return conditional(response, etag, cache_control=f"public, max-age={settings['http_max_age']}")

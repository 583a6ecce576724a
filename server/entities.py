"""Blueprint: every IRI of the data resolves here — /id/…, /def/… (ontology terms), /graph/… (named graphs).

HTML for browsers, Turtle / N-Triples / JSON-LD / RDF-XML by content negotiation, `?format=`, or a file
extension (`/id/au/15382/base.ttl`). The RDF is every triple with the IRI as subject, from all graphs,
deduplicated; the HTML page adds labels, incoming links, quotes and unit versions.
"""

from __future__ import annotations

from urllib.parse import quote as urlquote

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import NamedNode, Store

from vlkg.server import describe
from vlkg.server.entity_page import Links, build_page
from vlkg.server.errors import Problem, error_response
from vlkg.server.rdf_response import (
    ALL_FORMATS,
    HTML,
    RDF_FORMATS,
    Format,
    NotAcceptable,
    by_extension,
    etag_for,
    finish,
    negotiate,
    serialize_triples,
)
from vlkg.text import fold

bp = Blueprint("entities", __name__)


@bp.get("/id/<path:path>")
def instance(path: str) -> Response:
    """An instance IRI: <base_iri>id/<path>."""
    return _serve("id/" + path)


@bp.get("/def/", defaults={"path": ""})
@bp.get("/def/<path:path>")
def vocabulary(path: str) -> Response:
    """An ontology term (or the ontology itself): <base_iri>def/<path>."""
    return _serve("def/" + path)


@bp.get("/graph/<path:path>")
def graph(path: str) -> Response:
    """A named graph: what it is, its size, its dump."""
    return _serve("graph/" + path)


def _serve(rel: str) -> Response:
    backend = current_app.extensions["vlkg"]
    base: str = backend.settings["base_iri"]
    store: Store = backend.store
    try:
        node = NamedNode(base + rel)
    except ValueError as exc:
        return problem(400, f"The requested path decodes to {'/' + rel!r}, which cannot be part of an IRI "
                            f"({exc}). IRIs of this dataset use only ASCII letters, digits and - _ . / : "
                            "check the link.")
    forced: Format | None = None
    if not describe.is_known(store, node):
        node, forced = _with_extension(store, base, rel)
        if node is None:
            return _not_found(store, base, rel)
    try:
        fmt = forced or negotiate(request, ALL_FORMATS)
        incoming_page = _int_arg("in", 1)
        span = _span()
    except NotAcceptable as exc:
        return problem(406, str(exc))
    except ValueError as exc:
        return problem(400, str(exc))

    links = Links(base, request.script_root)
    if fmt.rdf is not None:
        response = Response(serialize_triples(describe.description(store, node), fmt),
                            content_type=fmt.content_type)
    else:
        page = build_page(store, node, links, backend.manifest, incoming_page, span)
        response = Response(render_template(
            "code.html" if page.is_code else "entity.html",
            page=page, alternates=_alternates(links, node), sparql_href=_sparql_href(f"DESCRIBE {node}"),
        ), content_type=HTML.content_type)
    response.headers["Link"] = ", ".join(
        f'<{href}>; rel="alternate"; type="{f.media_type}"' for f, href in _alternates(links, node)
    )
    etag = etag_for(backend.build_id, node.value, fmt.media_type, request.query_string.decode("latin-1"))
    return finish(response, request, etag, vary_accept=forced is None)


def _with_extension(store: Store, base: str, rel: str) -> tuple[NamedNode | None, Format | None]:
    """`…/base.ttl` names the format of the known IRI `…/base`; (None, None) if that is not it."""
    stem, dot, ext = rel.rpartition(".")
    fmt = by_extension(ext) if dot else None
    if fmt is None:
        return None, None
    try:
        node = NamedNode(base + stem)
    except ValueError:
        return None, None
    return (node, fmt) if describe.is_known(store, node) else (None, None)


def _alternates(links: Links, node: NamedNode) -> list[tuple[Format, str]]:
    href = links.href(node.value) or ""
    return [(f, f"{href}.{f.extension}") for f in RDF_FORMATS]


def _sparql_href(query: str) -> str:
    """A link that opens the query editor with this query loaded."""
    return (request.script_root or "") + "/?run=1&query=" + urlquote(query, safe="")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise ValueError(f"{name}={raw!r} must be a positive whole number (a page number).")
    return int(raw)


def _span() -> tuple[int, int] | None:
    """The ?start=&end= character offsets of a quote to mark in an article's text, if given."""
    start, end = request.args.get("start"), request.args.get("end")
    if start is None and end is None:
        return None
    if start is None or end is None or not start.isdigit() or not end.isdigit():
        raise ValueError("start and end must both be given as whole numbers (character offsets in the text).")
    return int(start), int(end)


def _not_found(store: Store, base: str, rel: str) -> Response:
    """404 that says what was looked for and where to look instead."""
    iri = base + rel
    hints: list[tuple[str, str]] = []
    links = Links(base, request.script_root)
    for candidate, why in _candidates(rel):
        try:
            node = NamedNode(base + candidate)
        except ValueError:
            continue
        if candidate != rel and describe.is_known(store, node):
            hints.append((why, links.href(node.value) or ""))
    parent = iri.rsplit("/", 1)[0] + "/"
    hints.append(("List the IRIs that start like this one with SPARQL", _sparql_href(
        f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{_sparql_str(parent)}")) }}\n'
        "LIMIT 100")))
    hints.append(("Find a resource by its name (e.g. a commune) with SPARQL", _sparql_href(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?s ?label WHERE {\n  ?s rdfs:label ?label\n"
        '  FILTER(CONTAINS(LCASE(STR(?label)), "vĩnh lộc"))\n} LIMIT 100')))
    message = f"There is no resource <{iri}> in this dataset."
    if not rel.isascii():
        message += " IRIs of this dataset are ASCII only (no Vietnamese letters): use codes or folded names."
    return problem(404, message, hints)


def _candidates(rel: str) -> list[tuple[str, str]]:
    """IRIs a user may have meant: without a trailing slash, folded to ASCII, a unit code's code page."""
    out = [(rel.rstrip("/"), "Without the trailing slash"), (fold(rel), "The ASCII spelling")]
    parts = rel.strip("/").split("/")
    if len(parts) >= 3 and parts[:2] == ["id", "au"] and parts[2].isdigit():
        out.append((f"id/code/dvhc/{parts[2]}", f"Every version of the unit with code {parts[2]}"))
    return out


def _sparql_str(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_CODES = {400: "bad_request", 404: "not_found", 406: "not_acceptable"}


def problem(status: int, message: str, hints: list[tuple[str, str]] | None = None) -> Response:
    """An error as a short HTML page for browsers; plain text or JSON (errors.py) for everyone else."""
    hints = hints or []
    if request.accept_mimetypes["text/html"] > request.accept_mimetypes["text/plain"]:
        body = render_template("entity_problem.html", status=status, message=message, hints=hints)
        response = Response(body, status=status, content_type=HTML.content_type)
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Accept")
        return response
    lines = [message, *(f"- {why}: {request.host_url.rstrip('/')}{href}" for why, href in hints)]
    return error_response(Problem(_CODES[status], "\n".join(lines)))

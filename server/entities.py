"""Blueprint: every IRI of the data resolves here — /id/…, /def/… (ontology terms), /graph/… (named graphs).

HTML for browsers, Turtle / N-Triples / JSON-LD / RDF-XML by content negotiation, `?format=`, or a file
extension (`/id/au/15382/2019-12-01.ttl`). The RDF is every triple with the IRI as subject, from all graphs,
deduplicated; the HTML page adds labels, incoming links, quotes and unit versions.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote as urlquote

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import NamedNode, Store

from vlkg.server import describe
from vlkg.server.entity_page import Links, build_page
from vlkg.server.errors import Problem
from vlkg.server.formats import ENTITY_FORMATS, HTML, Format
from vlkg.server.rdf_response import by_extension, context, serialize_triples
from vlkg.server.responses import conditional, etag_for, negotiate
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


@bp.get("/context.jsonld")
def jsonld_context() -> Response:
    """The JSON-LD @context of this dataset (our prefixes); entity pages inline the part they use."""
    backend = current_app.extensions["vlkg"]
    response = Response(json.dumps(context(backend.prefixes), ensure_ascii=False, indent=1),
                        content_type="application/ld+json")
    return conditional(response, etag_for(backend.build_id, "context.jsonld"), vary=())


@bp.get("/graph/<path:path>")
def graph(path: str) -> Response:
    """A named graph: what it is, its size, its dump."""
    return _serve("graph/" + path)


MAX_PATH = 2048  # longer paths are not IRIs of this dataset: answered 404 without a search


def _serve(rel: str) -> Response:
    backend = current_app.extensions["vlkg"]
    base: str = backend.settings["base_iri"]
    store: Store = backend.store
    if len(rel) > MAX_PATH:
        raise Problem("not_found", f"There is no resource with a path of {len(rel):,} characters in this dataset: "
                                   "IRIs of this dataset are short. Check the link.")
    try:
        node = NamedNode(base + rel)
    except ValueError as exc:
        shown = "/" + rel if len(rel) < 200 else "/" + rel[:200] + "…"
        raise Problem("bad_request", f"The requested path decodes to {shown!r}, which cannot be part of an IRI "
                                     f"({str(exc)[:200]}). IRIs of this dataset use only ASCII letters, digits "
                                     "and - _ . / : check the link.") from None
    forced: Format | None = None
    if not describe.is_known(store, node):
        node, forced = _with_extension(store, base, rel)
        if node is None:
            raise _not_found(store, base, rel)
    fmt, media_type = (forced, forced.media_type) if forced else negotiate(ENTITY_FORMATS, "this resource")
    incoming_page = _int_arg("in", 1)
    span = _span()

    links = Links(base, request.script_root)
    if fmt is not HTML:
        response = Response(serialize_triples(describe.description(store, node), fmt, backend.prefixes),
                            content_type=fmt.content_type_for(media_type))
    else:
        page = build_page(store, node, links, backend.manifest, incoming_page, span)
        response = Response(render_template(
            "code.html" if page.is_code else "entity.html",
            page=page, alternates=_alternates(links, node), sparql_href=_sparql_href(f"DESCRIBE {node}"),
        ), content_type=HTML.content_type)
    response.headers["Link"] = ", ".join(
        f'<{href}>; rel="alternate"; type="{f.media_type}"' for f, href in _alternates(links, node)
    )
    etag = etag_for(backend.build_id, node.value, media_type, request.query_string.decode("latin-1"))
    return conditional(response, etag, vary=("Accept",) if forced is None else ())


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
    return [(f, f"{href}.{f.extension}") for f in ENTITY_FORMATS if f is not HTML]


def _sparql_href(query: str, root: str | None = None) -> str:
    """A link that opens the query editor with this query loaded (root-relative on this server)."""
    return (request.script_root if root is None else root) + "/?run=1&query=" + urlquote(query, safe="")


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
        raise Problem("bad_request", f"{name}={raw[:50]!r} must be a positive whole number (a page number).")
    return int(raw)


def _span() -> tuple[int, int] | None:
    """The ?start=&end= character offsets of a quote to mark in an article's text, if given."""
    start, end = request.args.get("start"), request.args.get("end")
    if start is None and end is None:
        return None
    if start is None or end is None or not all(v.isascii() and v.isdigit() and len(v) < 10 for v in (start, end)):
        raise Problem("bad_request",
                      "start and end must both be given as whole numbers (character offsets in the text).")
    return int(start), int(end)


def _not_found(store: Store, base: str, rel: str) -> Problem:
    """404 that says what was looked for and where to look instead (links are paths on this site)."""
    iri = base + rel
    hints: list[tuple[str, str]] = []
    stem, dot, ext = rel.rpartition(".")
    if dot and "/" not in ext and ext and by_extension(ext) is None:
        supported = ", ".join(f".{f.extension}" for f in ENTITY_FORMATS)
        try:
            known = describe.is_known(store, NamedNode(base + stem))
        except ValueError:
            known = False
        if known:
            return Problem("not_found", f"<{base + stem}> exists, but .{ext} is not a format this server offers. "
                                        f"Use one of {supported}, or ask by Accept header.",
                           hints=[(f"As {f.extension}", (Links(base, "").href(base + stem) or "") + f".{f.extension}")
                                  for f in ENTITY_FORMATS])
    links = Links(base, "")
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
        "LIMIT 100", root="")))
    name = _name_in_path(rel)
    if name:
        hints.append((f"Find a resource named like “{name}” with SPARQL (accents ignored)", _sparql_href(
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
            "SELECT ?s ?label WHERE {\n  ?s rdfs:label ?label\n"
            f'  FILTER(REGEX(STR(?label), "{_accent_blind(name)}", "i"))\n}} LIMIT 100', root="")))
    message = f"There is no resource <{iri}> in this dataset."
    if not rel.isascii():
        message += " IRIs of this dataset are ASCII only (no Vietnamese letters): use codes or folded names."
    return Problem("not_found", message, hints=hints)


def _candidates(rel: str) -> list[tuple[str, str]]:
    """IRIs a user may have meant: without a trailing slash, folded to ASCII, a unit code's code page."""
    out = [(rel.rstrip("/"), "Without the trailing slash"), (fold(rel), "The ASCII spelling")]
    parts = rel.strip("/").split("/")
    if len(parts) >= 3 and parts[:2] == ["id", "au"] and parts[2].isdigit():
        out.append((f"id/code/dvhc/{parts[2]}", f"Every version of the unit with code {parts[2]}"))
    return out


# Each ASCII letter of a folded name matches its Vietnamese forms, so "vinh hung" finds "Vĩnh Hùng".
_VARIANTS = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ", "e": "eèéẻẽẹêềếểễệ", "i": "iìíỉĩị", "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự", "y": "yỳýỷỹỵ", "d": "dđ",
}


def _name_in_path(rel: str) -> str:
    """The words of the path's last segment that are not a code or an extension ("vinh-hung" -> "vinh hung")."""
    last = rel.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    words = [w for w in re.split(r"[-_\s]+", fold(last).lower()) if w.isalpha()]
    return " ".join(words)[:60]


def _accent_blind(name: str) -> str:
    """A regex for a folded name (ASCII letters and spaces only, so nothing needs escaping)."""
    return "".join(f"[{_VARIANTS[c]}]" if c in _VARIANTS else c for c in name)


def _sparql_str(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')

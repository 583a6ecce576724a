"""Blueprint: the dump files and the VoID/DCAT dataset description (/health and /version: health.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from pyoxigraph import Literal, NamedNode, Triple
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.security import safe_join

from vlkg.namespaces import BASE, GRAPH_META, PREFIXES
from vlkg.server import build_info, describe
from vlkg.server.entity_page import Links, build_listing
from vlkg.server.errors import Problem
from vlkg.server.formats import HTML, JSON, JSONLD, NTRIPLES, RDFXML, TURTLE
from vlkg.server.rdf_response import serialize_triples
from vlkg.server.responses import conditional, etag_for, negotiate, public_url, site_path

bp = Blueprint("dumps", __name__)

# Served as stored, never re-encoded: the bytes must match the published SHA-256.
_MEDIA_TYPES = {
    ".gz": "application/gzip", ".ttl": "text/turtle", ".nt": "application/n-triples",
    ".nq": "application/n-quads", ".trig": "application/trig", ".jsonld": "application/ld+json",
    ".json": "application/json", ".rq": "application/sparql-query",
}
DUMP_CACHE_CONTROL = "public, max-age=600, no-transform"


def _backend() -> Any:
    return current_app.extensions["vlkg"]


@bp.get("/dumps/")
def listing() -> Response:
    """Every dump file with format, graph, size, triple count, SHA-256 and date; HTML or JSON.

    HTML links are root-relative; JSON gives absolute URLs at the base IRI. Neither comes from the
    request's Host header, so the listing can be cached publicly.
    """
    backend = _backend()
    fmt, _media_type = negotiate((HTML, JSON), "the list of dumps")
    absolute = fmt is JSON
    items = [_entry(d, backend.manifest, absolute) for d in build_info.dumps(backend.manifest)]
    listed = {d["file"] for d in items}
    extra = _other_files(backend.dumps_dir, listed, absolute)
    if fmt is JSON:
        response = jsonify(build_id=backend.build_id, built_at=build_info.build_date(backend.manifest),
                           dumps=items, other_files=extra)
    else:
        page = render_template("dumps.html", dumps=items, other_files=extra, build_id=backend.build_id,
                               built_at=build_info.build_date(backend.manifest))
        response = Response(page, content_type=HTML.content_type)
    return conditional(response, etag_for(backend.build_id, "dumps", fmt.media_type))


def _link(path: str, absolute: bool) -> str:
    return public_url(path) if absolute else site_path(path)


def _entry(d: dict[str, Any], manifest: dict[str, Any], absolute: bool) -> dict[str, Any]:
    """One dump as listed: the manifest fields plus its download URL and date."""
    graph_page = None
    if d.get("graph"):
        href = Links(_backend().settings["base_iri"], "").href(d["graph"])
        graph_page = _link(href, absolute) if href and href.startswith("/") else href
    return {
        "file": d["file"],
        "url": _link("dumps/" + quote(d["file"]), absolute),
        "format": d.get("format"),
        "media_type": d.get("media_type"),
        "scope": d.get("scope") or ("graph" if d.get("graph") else "dataset"),
        "graph": d.get("graph"),
        "graph_page": graph_page,
        "bytes": d.get("bytes"),
        "triples": d.get("triples"),
        "sha256": d.get("sha256"),
        "date": d.get("built_at") or build_info.build_date(manifest),
    }


def _other_files(directory: Path | None, listed: set[str], absolute: bool) -> list[dict[str, Any]]:
    """Files in the dumps directory that the manifest does not list (checksums, void.ttl)."""
    if directory is None or not directory.is_dir():
        return []
    return [
        {"file": p.name, "url": _link("dumps/" + quote(p.name), absolute), "bytes": p.stat().st_size}
        for p in sorted(directory.iterdir()) if p.is_file() and p.name not in listed
    ]


MAX_NAME_BYTES = 255  # one path component on Linux; longer names cannot exist (and stat() raises)


def _dump_file(directory: Path | None, filename: str) -> Path | None:
    """The file named inside the dumps directory, or None for anything else (absent, escaping, absurd)."""
    if directory is None or "\x00" in filename or len(filename) > 4096:
        return None
    if any(len(part.encode("utf-8", "replace")) > MAX_NAME_BYTES for part in filename.split("/")):
        return None
    joined = safe_join(str(directory), filename)
    if joined is None:
        return None
    try:
        path = Path(joined)
        return path if path.is_file() else None
    except (OSError, ValueError):  # whatever the file system refuses is simply not a dump file
        return None


@bp.get("/dumps/<path:filename>")
def download(filename: str) -> Response:
    """One dump file, byte for byte (ETag, Range, If-Range, If-None-Match); .gz as application/gzip."""
    directory = _backend().dumps_dir
    path = _dump_file(directory, filename)
    if directory is None or path is None:
        shown = filename if len(filename) <= 100 else filename[:100] + "…"
        raise Problem("not_found", f"There is no dump file {shown!r} here.",
                      hints=[("The list of dump files", "/dumps/")])
    suffix = path.suffix.lower()
    response = send_from_directory(
        directory.resolve(), filename,
        mimetype=_MEDIA_TYPES.get(
            suffix, "text/plain" if suffix in ("", ".txt") else "application/octet-stream"
        ),
        as_attachment=suffix == ".gz", download_name=path.name, conditional=False,
    )
    response.headers["Cache-Control"] = DUMP_CACHE_CONTROL
    size = response.content_length or 0
    environ = dict(request.environ)
    usable = usable_range(environ.pop("HTTP_RANGE", None), size)
    if usable is not None:
        environ["HTTP_RANGE"] = usable
    try:
        return response.make_conditional(environ, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        response.close()  # the open file
        raise


_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")


def usable_range(header: str | None, size: int) -> str | None:
    """The Range header to act on, or None to ignore it and send the whole file (RFC 9110 14.2).

    Ignored: another unit, invalid syntax (e.g. `bytes=5-2`), or several ranges (allowed: we send no
    multipart answers). A valid single range that starts beyond the end becomes `bytes=<size>-`, which
    werkzeug answers 416 with `Content-Range: bytes */<size>`.
    """
    if not header:
        return None
    unit, eq, ranges = header.partition("=")
    if not eq or unit.lower() != "bytes":
        return None
    specs = [s.strip(" \t") for s in ranges.split(",")]
    specs = [s for s in specs if s]  # a list may hold empty elements (RFC 9110 5.6.1)
    if len(specs) != 1:
        return None
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if first and last and int(last) < int(first):
        return None
    satisfiable = int(first) < size if first else int(last) > 0 and size > 0
    return f"bytes={first}-{last}" if satisfiable else f"bytes={size}-"


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID/DCAT description of the dataset (the graph/meta named graph); Turtle by default."""
    backend = _backend()
    fmt, media_type = negotiate((TURTLE, NTRIPLES, JSONLD, RDFXML, HTML), "the dataset description")
    store = backend.store
    meta = NamedNode(backend.settings["base_iri"] + GRAPH_META.value.removeprefix(BASE))  # --base-iri builds
    triples = describe.graph_quads(store, meta) or _minimal_void(backend)
    if fmt is not HTML:
        response = Response(serialize_triples(triples, fmt, backend.prefixes),
                            content_type=fmt.content_type_for(media_type))
    else:
        links = Links(backend.settings["base_iri"], request.script_root)
        response = Response(render_template("void.html", subjects=build_listing(store, triples, links)),
                            content_type=HTML.content_type)
    return conditional(response, etag_for(backend.build_id, "void", media_type))


def _minimal_void(backend: Any) -> list[Triple]:
    """For a store without graph/meta: a dataset with its endpoint and size, never an empty answer."""
    void, rdf, xsd = PREFIXES["void"], PREFIXES["rdf"], PREFIXES["xsd"]
    dataset = NamedNode(backend.settings["base_iri"] + "dataset")
    out = [
        Triple(dataset, NamedNode(rdf + "type"), NamedNode(void + "Dataset")),
        Triple(dataset, NamedNode(void + "sparqlEndpoint"), NamedNode(public_url("sparql"))),
    ]
    total = backend.triples(lambda: len(backend.store))
    if total is not None:
        count = Literal(str(total), datatype=NamedNode(xsd + "integer"))
        out.append(Triple(dataset, NamedNode(void + "triples"), count))
    return out



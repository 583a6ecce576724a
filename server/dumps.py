"""Blueprint: the dump files, the VoID/DCAT dataset description, /health and /version."""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any

import pyoxigraph
from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from pyoxigraph import Literal, NamedNode, Triple
from werkzeug.security import safe_join

import vlkg
from vlkg.namespaces import GRAPH_META, PREFIXES
from vlkg.server import build_info, describe
from vlkg.server.entities import problem
from vlkg.server.entity_page import Links, build_listing
from vlkg.server.rdf_response import (
    HTML,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TURTLE,
    Format,
    NotAcceptable,
    etag_for,
    finish,
    negotiate,
    serialize_triples,
)

bp = Blueprint("dumps", __name__)

JSON = Format("application/json", "json", ("json",), None)

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
    """Every dump file with format, graph, size, triple count, SHA-256 and date; HTML or JSON."""
    backend = _backend()
    try:
        fmt = negotiate(request, (HTML, JSON))
    except NotAcceptable as exc:
        return problem(406, str(exc))
    except ValueError as exc:
        return problem(400, str(exc))
    items = [_entry(d, backend.manifest) for d in build_info.dumps(backend.manifest)]
    listed = {d["file"] for d in items}
    extra = _other_files(backend.dumps_dir, listed)
    if fmt is JSON:
        response = jsonify(build_id=backend.build_id, built_at=build_info.build_date(backend.manifest),
                           dumps=items, other_files=extra)
    else:
        page = render_template("dumps.html", dumps=items, other_files=extra, build_id=backend.build_id,
                               built_at=build_info.build_date(backend.manifest))
        response = Response(page, content_type=HTML.content_type)
    return finish(response, request, etag_for(backend.build_id, "dumps", fmt.media_type))


def _entry(d: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Any]:
    """One dump as listed: the manifest fields plus its download URL and date."""
    return {
        "file": d["file"],
        "url": url_for("dumps.download", filename=d["file"], _external=True),
        "format": d.get("format"),
        "media_type": d.get("media_type"),
        "scope": d.get("scope") or ("graph" if d.get("graph") else "dataset"),
        "graph": d.get("graph"),
        "graph_page": Links(_backend().settings["base_iri"], request.script_root).href(d["graph"])
        if d.get("graph") else None,
        "bytes": d.get("bytes"),
        "triples": d.get("triples"),
        "sha256": d.get("sha256"),
        "date": d.get("built_at") or build_info.build_date(manifest),
    }


def _other_files(directory: Path | None, listed: set[str]) -> list[dict[str, Any]]:
    """Files in the dumps directory that the manifest does not list (checksums, void.ttl)."""
    if directory is None or not directory.is_dir():
        return []
    return [
        {"file": p.name, "url": url_for("dumps.download", filename=p.name, _external=True),
         "bytes": p.stat().st_size}
        for p in sorted(directory.iterdir()) if p.is_file() and p.name not in listed
    ]


@bp.get("/dumps/<path:filename>")
def download(filename: str) -> Response:
    """One dump file, byte for byte (ETag, Range and If-None-Match from werkzeug); .gz as application/gzip."""
    directory = _backend().dumps_dir
    path = safe_join(str(directory), filename) if directory is not None else None
    if path is None or not Path(path).is_file():
        return problem(404, f"There is no dump file {filename!r}. The list of dump files is at "
                            f"{url_for('dumps.listing', _external=True)}.")
    suffix = Path(filename).suffix.lower()
    response = send_from_directory(
        directory.resolve(), filename,
        mimetype=_MEDIA_TYPES.get(
            suffix, "text/plain" if suffix in ("", ".txt") else "application/octet-stream"
        ),
        as_attachment=suffix == ".gz", download_name=Path(filename).name, conditional=True,
    )
    response.headers["Cache-Control"] = DUMP_CACHE_CONTROL
    return response


@bp.get("/.well-known/void")
def void() -> Response:
    """The VoID/DCAT description of the dataset (the graph/meta named graph); Turtle by default."""
    backend = _backend()
    try:
        fmt = negotiate(request, (TURTLE, NTRIPLES, JSONLD, RDFXML, HTML))
    except NotAcceptable as exc:
        return problem(406, str(exc))
    except ValueError as exc:
        return problem(400, str(exc))
    store = backend.store
    triples = describe.graph_quads(store, GRAPH_META) or _minimal_void(backend)
    if fmt.rdf is not None:
        response = Response(serialize_triples(triples, fmt), content_type=fmt.content_type)
    else:
        links = Links(backend.settings["base_iri"], request.script_root)
        response = Response(render_template("void.html", subjects=build_listing(store, triples, links)),
                            content_type=HTML.content_type)
    return finish(response, request, etag_for(backend.build_id, "void", fmt.media_type))


def _minimal_void(backend: Any) -> list[Triple]:
    """For a store without graph/meta: a dataset with its endpoint and size, never an empty answer."""
    void, rdf, xsd = PREFIXES["void"], PREFIXES["rdf"], PREFIXES["xsd"]
    dataset = NamedNode(backend.settings["base_iri"] + "dataset")
    out = [
        Triple(dataset, NamedNode(rdf + "type"), NamedNode(void + "Dataset")),
        Triple(dataset, NamedNode(void + "sparqlEndpoint"), NamedNode(request.url_root + "sparql")),
    ]
    total = _triple_count(backend)
    if total is not None:
        count = Literal(str(total), datatype=NamedNode(xsd + "integer"))
        out.append(Triple(dataset, NamedNode(void + "triples"), count))
    return out


_COUNTS: dict[str, int] = {}  # build id -> triples, for stores without a manifest (counted once per process)


def _triple_count(backend: Any) -> int | None:
    total = build_info.total_triples(backend.manifest)
    if total is None:
        if backend.build_id not in _COUNTS:
            _COUNTS[backend.build_id] = len(backend.store)
        total = _COUNTS[backend.build_id]
    return total


@bp.get("/health")
def health() -> Response:
    """200 with the build id and size after a cheap read of the store; 503 if the store cannot be read."""
    backend = _backend()
    try:
        backend.store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True)
        body = {"status": "ok", "build_id": backend.build_id, "triples": _triple_count(backend)}
        status = 200
    except Exception as exc:  # any failure to read means "not serving": report it, never crash
        body = {"status": "unavailable", "error": f"The store cannot be read: {exc}"}
        status = 503
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/version")
def version() -> Response:
    """Versions of the code, the engine and the data being served."""
    backend = _backend()
    response = jsonify(
        vlkg=vlkg.__version__, pyoxigraph=pyoxigraph.__version__, python=platform.python_version(),
        build_id=backend.build_id, build_date=build_info.build_date(backend.manifest),
        dataset_version=backend.manifest.get("dataset_version"), issued=backend.manifest.get("issued"),
    )
    response.headers["Cache-Control"] = "no-cache"
    return response

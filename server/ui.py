"""Blueprint: the query UI at `/` (YASGUI served from our own static files) and its prefix list.

The page works with the network cut: YASGUI's calls to prefix.cc and LOV are replaced by
/ui/prefixes.json and switched off, the endpoint catalogue holds only /sparql, and every script and
style sheet comes from /static. `?query=...` (optionally `&run=1`) and `?example=<id>` load a query,
so any state of the editor is a bookmarkable URL.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from vlkg.server.catalogue import Example, examples_dir, load_examples

bp = Blueprint("ui", __name__)

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
UI_ROW_LIMIT = 1000  # rows the page asks for; the server cuts there and says so (Vlkg-Truncated)
STATE_VERSION = "1"  # bump when stored editor state would clash with new defaults (YASGUI issue #143)
DOWNLOADS = {
    "table": (("csv", "CSV"), ("csv-excel", "CSV (Excel)"), ("tsv", "TSV"), ("json", "JSON"), ("xml", "XML")),
    "graph": (("turtle", "Turtle"), ("ntriples", "N-Triples"), ("jsonld", "JSON-LD"), ("rdfxml", "RDF/XML")),
}
STARTER_QUERY = """# Các huyện và tên của chúng · districts and their names
SELECT ?district ?name WHERE {
  ?district a kg:District ;
            rdfs:label ?name .
  FILTER(lang(?name) = "vi")
}
ORDER BY ?name
LIMIT 20
"""


def _examples() -> list[Example]:
    backend = current_app.extensions["vlkg"]
    return load_examples(examples_dir(backend.queries_dir), backend.prefixes)


@lru_cache(maxsize=1)
def vendor_manifest() -> dict[str, Any]:
    """What `python -m vlkg.server.vendor` copied, or {} when the step has not run."""
    path = VENDOR / "MANIFEST.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _row_limit() -> int:
    cap = int(current_app.config.get("VLKG", {}).get("max_row_limit", UI_ROW_LIMIT) or UI_ROW_LIMIT)
    return min(UI_ROW_LIMIT, cap)


def _page_config(examples: list[Example]) -> dict[str, Any]:
    settings = current_app.config.get("VLKG", {})
    yasgui = vendor_manifest().get("packages", {}).get("@zazuko/yasgui", {}).get("version", "")
    row_limit = _row_limit()
    # Stored tabs carry endpoint, arguments and plugin settings: key them on everything that shapes them
    # (localStorage is per origin already, so host and port need not be part of the key).
    shape = f"{STATE_VERSION}|{yasgui}|{row_limit}|{request.script_root}"
    state_key = hashlib.sha256(shape.encode()).hexdigest()[:10]
    query = request.args.get("query", "")
    example = request.args.get("example", "")
    return {
        "endpoint": request.script_root + "/sparql",
        "root": request.script_root + "/",
        "baseIri": settings.get("base_iri", ""),
        "prefixesUrl": url_for("ui.prefixes"),
        "rowLimit": row_limit,
        "timeout": settings.get("timeout"),
        "persistenceId": f"vlkg-{state_key}",
        "starterQuery": "".join(f"PREFIX {p}: <{i}>\n" for p, i in _prefixes().items()) + "\n" + STARTER_QUERY,
        "initial": {"query": query, "example": example,
                    "run": request.args.get("run", "").lower() in ("1", "true", "yes")},
        "downloads": {kind: [list(pair) for pair in pairs] for kind, pairs in DOWNLOADS.items()},
        "examples": [e.as_json() for e in examples],
        "prefixes": _prefixes(),
    }


def _prefixes() -> dict[str, str]:
    return current_app.extensions["vlkg"].prefixes


@bp.get("/")
def index() -> str:
    """The SPARQL editor with the example catalogue."""
    examples = _examples()
    return render_template(
        "index.html",
        examples=examples,
        config=_page_config(examples),
        vendor_ready=bool(vendor_manifest()),
        prefixes=_prefixes(),
    )


@bp.get("/ui/prefixes.json")
def prefixes() -> Response:
    """Our prefixes in prefix.cc's format, for YASQE's PREFIX completion (instead of prefix.cc)."""
    return Response(json.dumps(_prefixes(), ensure_ascii=False), mimetype="application/json")

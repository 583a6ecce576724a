"""Blueprint: `/search?q=` — find administrative-unit versions by name or code, diacritics ignored.

JSON for programs, an HTML page for people (the same negotiation as the dump listing: `format=`, then
Accept, HTML when neither says). The text is normalised to NFC before anything else, so decomposed input
(NFD, as copied from many PDFs) finds what the composed text finds; folding (đ -> d included) and ranking
are `vlkg.places` (an index over the release's `units.json.gz`, built once per HTTP worker).

Parameters: `q` (at most MAX_QUERY characters), `limit` (1..MAX_LIMIT, default DEFAULT_LIMIT), `on`
(YYYY-MM-DD: prefer the versions valid that day). The helpers below also serve /reconcile.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template, request

from vlkg.server.entity_page import Links
from vlkg.server.errors import Problem
from vlkg.server.formats import HTML, JSON
from vlkg.server.responses import conditional, etag_for, negotiate
from vlkg.text import nfc
from vlkg.unit_types import type_label

if TYPE_CHECKING:
    from vlkg.places import Match, Places
    from vlkg.units import Registry, UnitRecord

bp = Blueprint("search", __name__)

MAX_QUERY = 200  # characters; names with their parents are far shorter
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

LEVELS = {"province": "cấp tỉnh · province", "district": "cấp huyện · district", "commune": "cấp xã · commune"}


NO_INDEX = ("This store has no unit index (units.json.gz), so search and reconciliation are not available: "
            "serve a build directory made by `vlkg build`.")


def places() -> Places:
    """The served release's Places index; 404 with a sentence for a bare store (no unit index)."""
    found = current_app.extensions["vlkg"].places
    if found is None:
        raise Problem("not_found", NO_INDEX)
    return found


def registry() -> Registry:
    """The served release's unit index; 404 with a sentence for a bare store."""
    units = current_app.extensions["vlkg"].units
    if units is None:
        raise Problem("not_found", NO_INDEX)
    return units


def parent_label(units: Registry, record: UnitRecord) -> str | None:
    """The name of the record's latest parent version ('Huyện Vĩnh Lộc'), None for a province."""
    parent = units.parent_on(record)
    return parent.name if parent is not None else None


def hit(units: Registry, m: Match) -> dict[str, Any]:
    """One search hit as JSON: the unit version and how well it matched."""
    r = m.unit
    out: dict[str, Any] = {
        "iri": r.iri.value, "code": r.code, "label": r.name, "level": r.level, "type": r.unit_type,
        "valid_from": r.valid_from.isoformat() if r.valid_from else None,
        "valid_through": r.valid_through.isoformat() if r.valid_through else None,
        "current": r.valid_through is None, "score": round(float(m.score), 1), "match": bool(m.match),
        "parent": parent_label(units, r), "reasons": list(m.reasons),
    }
    if m.successor_of is not None:
        out["successor_of"] = {"iri": m.successor_of.iri.value, "label": m.successor_of.name}
    return out


def text_arg(name: str, value: str | None, limit: int = MAX_QUERY) -> str:
    """A text parameter, NFC-normalised and stripped; 400 when it is too long."""
    text = nfc(value or "").strip()
    if len(text) > limit:
        raise Problem("bad_request", f"{name} is {len(text):,} characters long; at most {limit} are accepted "
                                     "(a unit's name, with its district and province if needed).")
    return text


def int_arg(name: str, raw: str | None, default: int, maximum: int) -> int:
    """A whole number in 1..maximum (default when absent); 400 otherwise."""
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) < 10) or not 1 <= int(raw) <= maximum:
        raise Problem("bad_request", f"{name}={raw[:50]!r} must be a whole number from 1 to {maximum}.")
    return int(raw)


def date_arg(name: str, raw: Any) -> date | None:
    """An ISO date (a date-time's day part is taken, as OpenRefine sends date cells); None when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = raw.strip() if isinstance(raw, str) else raw
    try:
        if not isinstance(text, str) or len(text) < 10 or (len(text) > 10 and text[10] not in "T "):
            raise ValueError
        return date.fromisoformat(text[:10])
    except ValueError:
        shown = repr(raw)[:60]
        raise Problem("bad_request", f"{name}: {shown} is not a date; write it as YYYY-MM-DD, e.g. 2021-12-22 "
                                     "(the day the name was used).") from None


@bp.get("/search")
def search() -> Response:
    """Units whose name or code matches `q`, best first; JSON or HTML."""
    fmt, _media_type = negotiate((HTML, JSON), "search results")
    q = text_arg("q", request.args.get("q"))
    limit = int_arg("limit", request.args.get("limit"), DEFAULT_LIMIT, MAX_LIMIT)
    on = date_arg("on", request.args.get("on"))
    backend = current_app.extensions["vlkg"]
    etag = etag_for(backend.build_id, "search", fmt.key, q, str(limit), str(on))
    index = places()
    units = registry()
    hits = [hit(units, m) for m in index.search(q, limit=limit, on=on)] if q else []
    if fmt is JSON:
        body = json.dumps({"query": q, "limit": limit, "on": on.isoformat() if on else None, "hits": hits},
                          ensure_ascii=False)
        response = Response(body, mimetype="application/json")
    else:
        links = Links(backend.settings["base_iri"], request.script_root)
        for h in hits:
            h["href"] = links.href(h["iri"])
            h["type_label"] = type_label(h["type"])
            h["level_label"] = LEVELS.get(h["level"], h["level"])
        response = Response(render_template("search.html", q=q, search_q=q, hits=hits, limit=limit, on=on),
                            content_type=HTML.content_type)
    return conditional(response, etag)

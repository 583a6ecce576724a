"""Blueprint: `/reconcile`, the W3C Reconciliation Service API 0.2 (the protocol OpenRefine speaks).

- `GET /reconcile` without `queries`: the service manifest. Entity ids are in the identifier space
  `<base_iri>id/` (an id is the rest of the IRI: `au/15379/2004-08-31`), types in the schema space
  `<base_iri>def/` (`Province`, `District`, `Commune`, `AdminUnitVersion`: the ontology's classes).
- `GET /reconcile?queries=…` and `POST /reconcile` with a `queries` form field: a batch (a JSON object of
  queries keyed q0, q1, …; each with `query`, `type`, `limit`, `properties` [{pid, v}], `type_strict`)
  answered by `vlkg.places` as {"q0": {"result": [candidates]}}, best first. Properties: `parent` (the
  district or other parent unit, by name), `province` (by name), `date` (YYYY-MM-DD: the day the name was
  used; without it the place's own rules pick the era). A value may be a string, a reconciled entity
  ({id, name}) or a list (the first non-empty value counts). Types and properties of other services are
  ignored (the specification's own example batches are answered); a bad date is a 400.
- `GET /reconcile/preview?id=…`: an HTML snippet of one unit version (OpenRefine shows it in an iframe).
- `GET /reconcile/suggest/{entity,type,property}?prefix=…&cursor=…`: auto-completion.

CORS is on for every path (cors.py), as the specification requires; JSONP is optional there and not
offered. Errors come from the one renderer (errors.py); a client that states no preference for a format
gets them as JSON here, the API's own format. The links in the manifest (preview, suggest, entity view)
are built from `--public-url` (default: the base IRI), never from the request's Host header.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template, request

from vlkg.server import headers, search
from vlkg.server.errors import Problem
from vlkg.server.formats import HTML
from vlkg.server.responses import CACHE_CONTROL, conditional, etag_for
from vlkg.unit_types import type_label

if TYPE_CHECKING:
    from vlkg.places import Match
    from vlkg.units import UnitRecord

bp = Blueprint("reconcile", __name__)

BATCH_SIZE = 50  # queries in one batch; announced as batchSize, a larger batch gets 413
DEFAULT_LIMIT = 5  # candidates per query when the query gives no limit
MAX_LIMIT = 25
SUGGEST_LIMIT = 10
PREVIEW_WIDTH, PREVIEW_HEIGHT = 420, 150
MAX_ID = 300  # characters of an entity id; ours are under 40
MAX_TEXT = 500  # characters of a query or property value: a whole address fits; one longer cell fails its batch


@dataclass(frozen=True)
class Kind:
    """A type or property of this service: its id (in the schema space), names, and what it selects."""

    id: str
    name: str
    description: str
    level: str | None = None  # types: the unit level they select (None: every level)
    aliases: tuple[str, ...] = ()


TYPES = (
    Kind("Commune", "Commune-level unit · đơn vị hành chính cấp xã",
         "A version of a xã, phường, thị trấn or đặc khu", "commune", ("xa", "commune", "ward", "phuong")),
    Kind("District", "District-level unit · đơn vị hành chính cấp huyện",
         "A version of a huyện, quận, thị xã or thành phố thuộc tỉnh (until 2025-06-30)", "district",
         ("huyen", "district")),
    Kind("Province", "Province-level unit · đơn vị hành chính cấp tỉnh",
         "A version of a tỉnh or thành phố trực thuộc trung ương", "province", ("tinh", "province")),
    Kind("AdminUnitVersion", "Administrative unit version, any level · phiên bản đơn vị hành chính",
         "A version of an administrative unit of any level, 2003 to today", None, ("unit", "any")),
)
PROPERTIES = (
    Kind("parent", "Parent unit (name) · đơn vị cấp trên",
         "The district (or province) the unit belonged to, by name: Huyện Vĩnh Lộc, Vĩnh Lộc",
         aliases=("district", "huyen", "huyện")),
    Kind("province", "Province (name) · tỉnh",
         "The province the unit belonged to, by name: Thanh Hóa, Tỉnh Thanh Hóa", aliases=("tinh", "tỉnh")),
    Kind("date", "Date the name was used (YYYY-MM-DD) · ngày",
         "The day the name was in use, e.g. a survey's date: picks the unit version valid then",
         aliases=("on", "ngay", "ngày")),
)
LEVEL_TYPE = {t.level: t for t in TYPES if t.level}


def _settings() -> dict[str, Any]:
    return current_app.config["VLKG"]


def id_space() -> str:
    return _settings()["base_iri"] + "id/"


def schema_space() -> str:
    return _settings()["base_iri"] + "def/"


def _public(path: str) -> str:
    """An absolute URL on this server as clients reach it: --public-url, else the base IRI."""
    root = _settings().get("public_url") or _settings()["base_iri"]
    return root.rstrip("/") + "/" + path.lstrip("/")


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")


def _cached(response: Response, *parts: str) -> Response:
    """GET answers are cached like the other pages (ETag tied to the build and the request)."""
    if request.method not in ("GET", "HEAD"):
        response.headers["Cache-Control"] = "no-store"
        return response
    backend = current_app.extensions["vlkg"]
    return conditional(response, etag_for(backend.build_id, *parts, request.query_string.decode("latin-1")),
                       vary=())


@bp.before_request
def _errors_as_json() -> None:
    """The API speaks JSON: a client with no preference (no Accept, or */*) gets errors as JSON too."""
    accept = request.headers.get("Accept", "").strip()
    if accept in ("", "*/*"):
        request.environ["HTTP_ACCEPT"] = "application/json"


# -- the manifest -----------------------------------------------------------------------------------------


def manifest() -> dict[str, Any]:
    """The service manifest (W3C Reconciliation API 0.2, §3.1)."""
    suggest = {kind: {"service_url": _public("/reconcile"), "service_path": f"/suggest/{kind}"}
               for kind in ("entity", "type", "property")}
    return {
        "versions": ["0.2"],
        "name": "vlkg: Vietnamese administrative units 2003–today (every version, by date)",
        "identifierSpace": id_space(),
        "schemaSpace": schema_space(),
        "defaultTypes": [{"id": t.id, "name": t.name} for t in TYPES],
        "view": {"url": _public("/id/{{id}}")},
        "preview": {"url": _public("/reconcile/preview?id={{id}}"), "width": PREVIEW_WIDTH,
                    "height": PREVIEW_HEIGHT},
        "suggest": suggest,
        "batchSize": BATCH_SIZE,
    }


@bp.route("/reconcile", methods=["GET", "POST"])
def endpoint() -> Response:
    """The manifest (GET without `queries`) or the answers to a batch of queries (GET or POST)."""
    raw = request.values.get("queries")
    if raw is None:
        if request.method == "POST":
            unsupported = "extend" in request.values
            raise Problem("bad_request", "This service does not offer data extension (`extend`)." if unsupported
                          else "POST /reconcile needs a form field `queries` holding a JSON object of queries "
                               'keyed q0, q1, …, e.g. queries={"q0": {"query": "Vĩnh Hùng", "type": "Commune"}}.')
        search.registry()  # no unit index, no service: 404 with a sentence rather than a manifest that fails later
        return _cached(_json(manifest()), "reconcile-manifest")
    answers = answer_batch(parse_batch(raw))
    return _cached(_json(answers), "reconcile")


# -- queries ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    key: str
    text: str
    levels: frozenset[str]  # empty: any level
    limit: int
    parent: str | None
    province: str | None
    on: date | None


def parse_batch(raw: str) -> list[Query]:
    """The `queries` JSON, checked: 400 (413 for too many queries) naming what is wrong."""
    try:
        batch = json.loads(raw)
    except ValueError as exc:
        raise Problem("bad_request", f"`queries` is not valid JSON ({exc}). Send a JSON object of queries keyed "
                                     'q0, q1, …: {"q0": {"query": "Xã Vĩnh Hùng"}}.') from None
    except RecursionError:  # the decoder recurses per nesting level: "[[[[…" a thousand deep was a 500
        raise Problem("bad_request", "`queries` nests arrays or objects too deeply to read. A batch is a JSON "
                                     'object of flat queries: {"q0": {"query": "Xã Vĩnh Hùng"}}.') from None
    if not isinstance(batch, dict):
        raise Problem("bad_request", f"`queries` must be a JSON object of queries keyed q0, q1, …, not a "
                                     f"{type(batch).__name__}.")
    if len(batch) > BATCH_SIZE:
        raise Problem("too_large", f"The batch has {len(batch):,} queries; this service answers at most {BATCH_SIZE} "
                                   "at a time (its manifest's batchSize). Send smaller batches.")
    return [_query(str(key), q) for key, q in batch.items()]


def _query(key: str, q: Any) -> Query:
    where = f"query {key[:40]!r}"
    if not isinstance(q, dict):
        raise Problem("bad_request", f"{where} must be a JSON object with at least `query`, not "
                                     f"{type(q).__name__}.")
    unknown = sorted(set(q) - {"query", "type", "limit", "properties", "type_strict"})
    if unknown:
        raise Problem("bad_request", f"{where} has unknown field(s) {', '.join(unknown)[:200]}; the fields are "
                                     "query, type, limit, properties, type_strict.")
    text = q.get("query") or ""  # null fields count as absent
    if not isinstance(text, str):
        raise Problem("bad_request", f"{where}: `query` must be a string.")
    text = search.text_arg(f"{where}: query", text, MAX_TEXT)
    props = q.get("properties") or []
    if not isinstance(props, list) or not all(isinstance(p, dict) and "pid" in p and "v" in p for p in props):
        raise Problem("bad_request", f"{where}: `properties` must be a list of {{\"pid\": …, \"v\": …}} objects.")
    if not text and not props:
        raise Problem("bad_request", f"{where} needs a non-empty `query` (or `properties`).")
    values: dict[str, str | date | None] = {"parent": None, "province": None, "date": None}
    for p in props:
        kind = _kind(PROPERTIES, p["pid"])
        value = _first_value(p["v"])
        if kind is None:
            continue  # another service's property: the spec leaves its use to us, and we have no such data
        if kind.id == "date":
            values["date"] = search.date_arg(f"{where}: property date", value)
        elif value is not None:
            values[kind.id] = search.text_arg(f"{where}: property {kind.id}", str(value), MAX_TEXT)
    types = q.get("type") or []
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise Problem("bad_request", f"{where}: `type` must be a type id or a list of type ids.")
    # A type this service does not know restricts nothing (the spec lets a service return candidates of
    # other types): the specification's own example batches, made for other services, are answered.
    kinds = [_kind(TYPES, t) for t in types]
    levels = (frozenset() if any(k is None or k.level is None for k in kinds)
              else frozenset(str(k.level) for k in kinds if k is not None))
    strict = q.get("type_strict") or "any"
    if strict not in ("any", "should", "all"):
        raise Problem("bad_request", f"{where}: type_strict must be any, should or all.")
    limit = DEFAULT_LIMIT if q.get("limit") is None else q["limit"]
    whole = isinstance(limit, int) or (isinstance(limit, float) and limit.is_integer())  # not NaN, not Infinity
    if isinstance(limit, bool) or not whole or limit < 1:
        raise Problem("bad_request", f"{where}: limit must be a positive whole number.")
    on = values["date"]
    return Query(key, text, levels, min(int(limit), MAX_LIMIT), values["parent"] or None,  # type: ignore[arg-type]
                 values["province"] or None, on if isinstance(on, date) else None)  # type: ignore[arg-type]


def _kind(kinds: tuple[Kind, ...], given: Any) -> Kind | None:
    """A type or property by id, by its IRI in the schema space, or by an alias; None for one we do not know."""
    local = str(given).strip().removeprefix(schema_space()).casefold()
    for k in kinds:
        if local == k.id.casefold() or local in k.aliases:
            return k
    return None


def _first_value(v: Any) -> Any:
    """The first non-empty value: a string, a number, or a reconciled entity's name (else its unit's name)."""
    for item in v if isinstance(v, list) else [v]:
        if isinstance(item, dict):
            name = item.get("name") or _entity_name(item.get("id"))
            if name:
                return name
        elif isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip():
            return item
    return None


def _entity_name(ident: Any) -> str | None:
    record = _record(str(ident)) if ident else None
    return record.name if record is not None else None


def _record(ident: str) -> UnitRecord | None:
    """The unit version with this id (`au/15379/2004-08-31`) or IRI; None if there is none."""
    from vlkg.units import ResolutionError

    units = search.registry()
    if len(ident) > MAX_ID:
        return None
    ident = ident.strip()
    iri = ident if ident.startswith(("http://", "https://")) else id_space() + ident.lstrip("/")
    try:
        return units.get(iri)
    except ResolutionError:
        return None


def answer_batch(queries: list[Query]) -> dict[str, Any]:
    places = search.places()
    out: dict[str, Any] = {}
    for q in queries:
        level = next(iter(q.levels)) if len(q.levels) == 1 else None
        matches = places.reconcile(q.text, on=q.on, level=level, parent=q.parent, province=q.province,
                                   limit=q.limit if len(q.levels) < 2 else MAX_LIMIT) if q.text else []
        if len(q.levels) > 1:
            matches = [m for m in matches if m.unit.level in q.levels][:q.limit]
        out[q.key] = {"result": [candidate(m) for m in matches]}
    return out


def local_id(record: UnitRecord) -> str:
    return record.iri.value.removeprefix(id_space())


def _type_of(record: UnitRecord) -> dict[str, str]:
    t = LEVEL_TYPE.get(record.level)
    return {"id": t.id, "name": t.name} if t else {"id": "AdminUnitVersion", "name": TYPES[-1].name}


def describe(record: UnitRecord) -> str:
    """'Huyện Vĩnh Lộc, Tỉnh Thanh Hóa · code 15379 · from 2004-08-31 until 2025-06-30'."""
    within = ", ".join(a.name for a in search.registry().ancestors(record.iri))
    return " · ".join(part for part in (within, f"code {record.code}", record.validity) if part)


def candidate(m: Match) -> dict[str, Any]:
    """One reconciliation candidate: id in our identifier space, name, type, score 0-100, match, description."""
    description = describe(m.unit)
    if m.successor_of is not None and not any(r.startswith("successor of") for r in m.reasons):
        description += f" · successor of {m.successor_of.name} ({local_id(m.successor_of)})"
    if m.reasons:
        description += " · " + "; ".join(m.reasons)
    return {"id": local_id(m.unit), "name": m.unit.name, "type": [_type_of(m.unit)],
            "score": round(float(m.score), 1), "match": bool(m.match), "description": description}


# -- preview and suggest ----------------------------------------------------------------------------------


@bp.get("/reconcile/preview")
def preview() -> Response:
    """An HTML snippet of one unit version, for OpenRefine's preview iframe."""
    ident = request.args.get("id", "")
    search.places()  # 404 with a sentence on a bare store
    record = _record(ident) if ident else None
    if record is None:
        raise Problem("not_found", f"There is no unit version with id {ident[:100]!r}: ids look like "
                                   "au/15379/2004-08-31 (code and the first day of the version).")
    units = search.registry()
    backend = current_app.extensions["vlkg"]
    from vlkg.server.entity_page import Links

    links = Links(backend.settings["base_iri"], request.script_root)
    html = render_template(
        "reconcile_preview.html", unit=record, href=links.href(record.iri.value),
        type_label=type_label(record.unit_type),
        within=[a.name for a in units.ancestors(record.iri)],
        successors=[(s.name, s.validity, links.href(s.iri.value)) for s in units.successors(record.iri)],
        predecessors=[(p.name, p.validity, links.href(p.iri.value)) for p in units.predecessors(record.iri)],
    )
    response = Response(html, content_type=HTML.content_type)
    response.headers["Cache-Control"] = CACHE_CONTROL  # no ETag: a small page, and a 304 is not marked framable
    return headers.allow_framing(response)  # OpenRefine shows it in an iframe


def _suggest_args() -> tuple[str, int]:
    prefix = search.text_arg("prefix", request.args.get("prefix"))
    cursor_raw = request.args.get("cursor") or "0"
    if not (cursor_raw.isascii() and cursor_raw.isdigit() and len(cursor_raw) < 6):
        raise Problem("bad_request", f"cursor={cursor_raw[:30]!r} must be a whole number (suggestions to skip).")
    return prefix, int(cursor_raw)


@bp.get("/reconcile/suggest/entity")
def suggest_entity() -> Response:
    """Unit versions whose name (or code, or id) starts like `prefix`."""
    prefix, cursor = _suggest_args()
    places = search.places()
    result: list[dict[str, Any]] = []
    exact = _record(prefix) if prefix else None
    if exact is not None:
        result.append(_suggestion(exact))
    if prefix:
        for m in places.search(prefix, limit=cursor + SUGGEST_LIMIT):
            if exact is None or m.unit.iri != exact.iri:
                result.append(_suggestion(m.unit))
    return _cached(_json({"result": result[cursor:cursor + SUGGEST_LIMIT]}), "suggest-entity")


def _suggestion(record: UnitRecord) -> dict[str, Any]:
    return {"id": local_id(record), "name": record.name, "description": describe(record),
            "notable": [_type_of(record)]}


def _suggest_kinds(kinds: tuple[Kind, ...], tag: str) -> Response:
    prefix, cursor = _suggest_args()
    key = prefix.casefold()
    found = [k for k in kinds if not key or any(
        word.startswith(key) for word in (k.id.casefold(), k.name.casefold(), *k.aliases,
                                          *k.name.casefold().split()))]
    result = [{"id": k.id, "name": k.name, "description": k.description} for k in found]
    return _cached(_json({"result": result[cursor:cursor + SUGGEST_LIMIT]}), tag)


@bp.get("/reconcile/suggest/type")
def suggest_type() -> Response:
    """The types (unit levels) whose id or name starts like `prefix`."""
    return _suggest_kinds(TYPES, "suggest-type")


@bp.get("/reconcile/suggest/property")
def suggest_property() -> Response:
    """The properties (parent, province, date) whose id or name starts like `prefix`."""
    return _suggest_kinds(PROPERTIES, "suggest-property")

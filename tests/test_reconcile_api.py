"""/reconcile: the W3C Reconciliation Service API 0.2 as OpenRefine speaks it.

Every answer is validated against the specification's JSON schemas (../shared/reference/reconciliation-api/
0.2/schemas), and the specification's example query batches are sent as they are. The app serves the entity
fixture build with the real unit index (every version 2003-2025, from data/registry).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_missing
from entity_fixture import make_build

from vlkg.namespaces import BASE
from vlkg.server import create_app

SPEC = Path(__file__).resolve().parents[2] / "shared" / "reference" / "reconciliation-api" / "0.2"
# What OpenRefine sends: a form POST with a `queries` field, and no Accept preference.
RESEARCHER = "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa"


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory, unit_index: Path) -> Path:
    """The entity fixture build, with the real build's unit index in its release."""
    return make_build(tmp_path_factory.mktemp("reconcile-build"), units=unit_index)


@pytest.fixture(scope="module")
def client(build: Path) -> Any:
    app = create_app({"store": str(build), "public_url": "http://127.0.0.1:8000/"})
    yield app.test_client()
    app.extensions["vlkg"].close()


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    """name -> a Draft 7 validator of that schema (they reference each other by $id, e.g. type.json)."""
    if not (SPEC / "schemas").is_dir():
        shared_missing(f"the Reconciliation API schemas are not at {SPEC / 'schemas'}")
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    loaded = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in (SPEC / "schemas").glob("*.json")}
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s, default_specification=DRAFT7)) for s in loaded.values() if "$id" in s)
    return {name: Draft7Validator(s, registry=registry) for name, s in loaded.items()}


def valid(schemas: dict[str, Any], name: str, document: Any) -> Any:
    errors = sorted(schemas[name].iter_errors(document), key=str)
    assert not errors, f"{name}: " + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
                                              for e in errors[:5])
    return document


def post(client: Any, queries: dict[str, Any]) -> Any:
    r = client.post("/reconcile", data={"queries": json.dumps(queries, ensure_ascii=False)})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    return r.get_json()


def date_prop(day: str) -> dict[str, str]:
    return {"pid": "date", "v": day}


# --- the manifest -----------------------------------------------------------------------------------------


def test_manifest(client: Any, schemas: dict[str, Any]) -> None:
    r = client.get("/reconcile")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.headers["Access-Control-Allow-Origin"] == "*"  # the spec requires CORS on every endpoint
    m = valid(schemas, "manifest", r.get_json())
    assert m["versions"] == ["0.2"]
    assert m["identifierSpace"] == BASE + "id/" and m["schemaSpace"] == BASE + "def/"
    assert {t["id"] for t in m["defaultTypes"]} == {"Province", "District", "Commune", "AdminUnitVersion"}
    assert all(t["name"] for t in m["defaultTypes"])
    # links go where the client reaches this server (--public-url), never to the Host header
    assert m["view"]["url"] == "http://127.0.0.1:8000/id/{{id}}"
    assert m["preview"]["url"] == "http://127.0.0.1:8000/reconcile/preview?id={{id}}"
    assert {k: v["service_url"] + v["service_path"] for k, v in m["suggest"].items()} == {
        k: f"http://127.0.0.1:8000/reconcile/suggest/{k}" for k in ("entity", "type", "property")}
    assert m["batchSize"] >= 10
    assert client.get("/reconcile", headers={"Host": "evil.example"}).get_json() == m


def test_manifest_defaults_to_the_base_iri(build: Path) -> None:
    m = create_app({"store": str(build)}).test_client().get("/reconcile").get_json()
    assert m["view"]["url"] == BASE + "id/{{id}}"


# --- queries ----------------------------------------------------------------------------------------------


def test_researcher_example_by_get(client: Any, schemas: dict[str, Any]) -> None:
    queries = {"q0": {"query": RESEARCHER, "properties": [date_prop("2021-12-22")]}}
    r = client.get("/reconcile?" + urllib.parse.urlencode({"queries": json.dumps(queries)}))
    assert r.status_code == 200, r.get_data(as_text=True)
    result = valid(schemas, "reconciliation-result-batch", r.get_json())["q0"]["result"]
    best = result[0]
    assert best["id"] == "au/15379/2004-08-31" and best["name"] == "Xã Vĩnh Hùng"
    assert best["match"] is True and best["type"] == [{"id": "Commune", "name": best["type"][0]["name"]}]
    assert "Huyện Vĩnh Lộc" in best["description"] and "2025-06-30" in best["description"]
    assert [c["score"] for c in result] == sorted((c["score"] for c in result), reverse=True)
    assert sum(c["match"] for c in result) <= 1


def test_researcher_example_after_the_reform_by_post(client: Any, schemas: dict[str, Any]) -> None:
    answer = post(client, {"q0": {"query": RESEARCHER, "properties": [date_prop("2026-01-01")]}})
    best = valid(schemas, "reconciliation-result-batch", answer)["q0"]["result"][0]
    assert best["id"] == "au/15382/2025-07-01" and best["name"] == "Xã Biện Thượng"
    assert "successor of Xã Vĩnh Hùng" in best["description"]


def test_openrefine_batch_with_types_and_properties(client: Any, schemas: dict[str, Any]) -> None:
    """A batch as OpenRefine builds it: the chosen type, columns mapped to properties, limit."""
    batch = {
        "q0": {"query": "Vĩnh Hùng", "type": "Commune", "type_strict": "should", "limit": 3,
               "properties": [{"pid": "parent", "v": "Vĩnh Lộc"}, {"pid": "province", "v": "Thanh Hóa"},
                              date_prop("2021-12-22T00:00:00Z")]},  # a date cell, as OpenRefine sends it
        "q1": {"query": "vinh hung", "type": ["Commune"],  # no diacritics; the parent as a reconciled entity
               "properties": [{"pid": "parent", "v": {"id": "au/393/2004-08-31", "name": "Huyện Vĩnh Lộc"}},
                              {"pid": "date", "v": ["", "2021-12-22"]}]},
        "q2": {"query": "Vĩnh Lộc", "type": "District", "properties": [{"pid": "province", "v": "Thanh Hóa"}]},
        "q3": {"query": "Thanh Hoa", "type": "Province", "properties": [date_prop("2020-01-01")]},
        "q4": {"query": "Vĩnh Hùng", "type": BASE + "def/Commune",  # a type given by its IRI
               "properties": [{"pid": BASE + "def/parent", "v": {"id": "au/393/2004-08-31"}}]},
        "q5": {"query": "Biện Thượng", "type": ["Commune", "District"]},
        "q6": {"query": "Biện Thượng", "type": None, "limit": None, "properties": None},  # nulls: absent
    }
    answer = valid(schemas, "reconciliation-result-batch", post(client, batch))
    assert set(answer) == set(batch)
    assert len(answer["q6"]["result"]) <= 5  # the default limit
    first = {k: v["result"][0] for k, v in answer.items() if v["result"]}
    assert len(answer["q0"]["result"]) <= 3
    for key in ("q0", "q4"):
        assert first[key]["id"] == "au/15379/2004-08-31", (key, first[key])
    # without diacritics the name is ambiguous in Vĩnh Lộc itself (Vĩnh Hùng, Vĩnh Hưng): both, no guess
    assert {c["id"] for c in answer["q1"]["result"][:2]} == {"au/15379/2004-08-31", "au/15367/2004-08-31"}
    assert not any(c["match"] for c in answer["q1"]["result"])
    assert first["q2"]["name"] == "Huyện Vĩnh Lộc" and first["q2"]["type"][0]["id"] == "District"
    assert first["q3"]["name"] == "Tỉnh Thanh Hóa" and first["q3"]["id"].endswith("/2004-08-31")
    assert first["q5"]["name"] == first["q6"]["name"] == "Xã Biện Thượng"
    assert all(c["type"][0]["id"] in ("Commune", "District") for c in answer["q5"]["result"])


def test_the_specifications_example_batches_are_answered(client: Any, schemas: dict[str, Any]) -> None:
    folder = SPEC / "examples" / "reconciliation-query-batch" / "valid"
    examples = sorted(folder.glob("*.json"))
    if not examples:
        shared_missing(f"the Reconciliation API example batches are not in {folder}")
    for path in examples:
        batch = valid(schemas, "reconciliation-query-batch", json.loads(path.read_text(encoding="utf-8")))
        answer = valid(schemas, "reconciliation-result-batch", post(client, batch))
        assert set(answer) == set(batch), path.name


def test_queries_and_answers_keep_nfc(client: Any) -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", RESEARCHER)
    best = post(client, {"q0": {"query": nfd, "properties": [date_prop("2021-12-22")]}})["q0"]["result"][0]
    assert best["id"] == "au/15379/2004-08-31"
    assert best["name"] == unicodedata.normalize("NFC", best["name"])


# --- errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("queries", "status", "words"), [
    ("{not json", 400, "not valid JSON"),
    ('["q0"]', 400, "JSON object"),
    (json.dumps({"q0": "Vĩnh Hùng"}), 400, "JSON object"),
    (json.dumps({"q0": {"query": ""}}), 400, "non-empty"),
    (json.dumps({"q0": {"query": "Vĩnh Hùng", "limit": 0}}), 400, "limit"),
    ('{"q0": {"query": "Vĩnh Hùng", "limit": Infinity}}', 400, "limit"),
    ('{"q0": {"query": "Vĩnh Hùng", "limit": NaN}}', 400, "limit"),
    (json.dumps({"q0": {"query": "Vĩnh Hùng", "properties": [date_prop("2021-13-45")]}}), 400, "2021-13-45"),
    (json.dumps({"q0": {"query": "Vĩnh Hùng", "properties": [date_prop("22/12/2021")]}}), 400, "YYYY-MM-DD"),
    (json.dumps({f"q{i}": {"query": "Vĩnh Hùng"} for i in range(51)}), 413, "at most 50"),
    (json.dumps({"q0": {"query": "Vĩnh Hùng " * 60}}), 400, "at most 500"),
    ("[" * 5000 + "]" * 5000, 400, "too deeply"),  # the JSON decoder's recursion: was a 500
    ('{"q0": {"query": "x", "properties": ' + "[" * 3000 + "]" * 3000 + "}}", 400, "too deeply"),
])
def test_errors_say_what_is_wrong_in_json(client: Any, queries: str, status: int, words: str) -> None:
    r = client.post("/reconcile", data={"queries": queries})  # no Accept header, as OpenRefine
    assert r.status_code == status
    assert r.mimetype == "application/json"
    error = r.get_json()["error"]
    assert error["status"] == status and words in error["message"], error


def test_post_without_queries_and_oversized_bodies(client: Any) -> None:
    r = client.post("/reconcile", data={"other": "1"})
    assert r.status_code == 400 and "queries" in r.get_json()["error"]["message"]
    r = client.post("/reconcile", data={"extend": "{}"})
    assert r.status_code == 400 and "data extension" in r.get_json()["error"]["message"]
    big = json.dumps({"q0": {"query": "x" * 1_100_000}})
    assert client.post("/reconcile", data={"queries": big}).status_code == 413  # the server's body limit


def test_browsers_get_html_errors(client: Any) -> None:
    r = client.get("/reconcile?queries=%7B", headers={"Accept": "text/html"})
    assert r.status_code == 400 and r.mimetype == "text/html"


# --- preview and suggest ----------------------------------------------------------------------------------


def test_preview(client: Any) -> None:
    r = client.get("/reconcile/preview?id=" + urllib.parse.quote("au/15379/2004-08-31", safe=""))
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    for text in ("Xã Vĩnh Hùng", "15379", "Huyện Vĩnh Lộc", "Xã Biện Thượng", 'href="/id/au/15379/2004-08-31"'):
        assert text in page
    assert "<script" not in page
    assert "frame-ancestors *" in r.headers["Content-Security-Policy"]  # OpenRefine shows it in an iframe
    assert client.get("/reconcile/preview?id=" + urllib.parse.quote(BASE + "id/au/15379/2004-08-31")).status_code == 200
    missing = client.get("/reconcile/preview?id=au/99999/2004-08-31")
    assert missing.status_code == 404
    assert "frame-ancestors 'self'" in missing.headers.get("Content-Security-Policy", "frame-ancestors 'self'")


def test_view_template_opens_the_entity_page(client: Any) -> None:
    assert client.get("/id/au%2F15379%2F2004-08-31", headers={"Accept": "text/html"}).status_code == 200


def test_suggest_entity(client: Any, schemas: dict[str, Any]) -> None:
    r = client.get("/reconcile/suggest/entity?" + urllib.parse.urlencode({"prefix": "Vĩnh Hù"}))
    result = valid(schemas, "suggest-entities-response", r.get_json())["result"]
    assert "au/15379/2004-08-31" in [s["id"] for s in result]
    by_id = client.get("/reconcile/suggest/entity?prefix=au/15379/2004-08-31").get_json()["result"]
    assert by_id[0]["id"] == "au/15379/2004-08-31"  # an identifier as prefix suggests that entity
    page2 = client.get("/reconcile/suggest/entity?" + urllib.parse.urlencode({"prefix": "Vĩnh", "cursor": 3}))
    page1 = client.get("/reconcile/suggest/entity?" + urllib.parse.urlencode({"prefix": "Vĩnh"}))
    assert page2.get_json()["result"][0] == page1.get_json()["result"][3]
    assert valid(schemas, "suggest-entities-response",
                 client.get("/reconcile/suggest/entity?prefix=").get_json())["result"] == []


def test_suggest_types_and_properties(client: Any, schemas: dict[str, Any]) -> None:
    types = client.get("/reconcile/suggest/type?prefix=comm").get_json()
    assert [t["id"] for t in valid(schemas, "suggest-types-response", types)["result"]] == ["Commune"]
    every = client.get("/reconcile/suggest/type?prefix=").get_json()["result"]
    assert {t["id"] for t in every} == {"Province", "District", "Commune", "AdminUnitVersion"}
    props = client.get("/reconcile/suggest/property?prefix=pro").get_json()
    assert [p["id"] for p in valid(schemas, "suggest-properties-response", props)["result"]] == ["province"]
    every = client.get("/reconcile/suggest/property?prefix=").get_json()["result"]
    assert {p["id"] for p in every} == {"parent", "province", "date"}
    assert client.get("/reconcile/suggest/type?prefix=x&cursor=-1").status_code == 400


def test_bare_store_says_the_index_is_missing(client: Any, make_app: Any) -> None:
    bare = make_app().test_client()
    r = bare.get("/reconcile?queries=" + urllib.parse.quote('{"q0":{"query":"a"}}'))
    assert r.status_code == 404 and "units.json.gz" in r.get_json()["error"]["message"]
    assert bare.get("/reconcile").status_code == 404  # no manifest for a service that cannot answer


# --- over HTTP, as OpenRefine reaches it ------------------------------------------------------------------


def test_real_server(build: Path, serve_factory: Any, schemas: dict[str, Any]) -> None:
    url = serve_factory(build, "--executors", "1")
    with urllib.request.urlopen(url + "/reconcile", timeout=30) as r:
        valid(schemas, "manifest", json.loads(r.read()))
    body = urllib.parse.urlencode({"queries": json.dumps(
        {"q0": {"query": RESEARCHER, "properties": [date_prop("2021-12-22")]},
         "q1": {"query": RESEARCHER, "properties": [date_prop("2026-01-01")]}})}).encode()
    request = urllib.request.Request(url + "/reconcile", data=body,
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=60) as r:
        answer = valid(schemas, "reconciliation-result-batch", json.loads(r.read()))
    assert answer["q0"]["result"][0]["id"] == "au/15379/2004-08-31"
    assert answer["q1"]["result"][0]["name"] == "Xã Biện Thượng"

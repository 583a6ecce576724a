"""/search?q=: unit versions by name or code, diacritics ignored (đ -> d), as JSON and as a page for people."""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from entity_fixture import make_build

from vlkg.namespaces import BASE
from vlkg.server import create_app
from vlkg.text import fold

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
HIT_KEYS = {"iri", "code", "label", "level", "type", "valid_from", "valid_through", "current", "score", "parent"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, unit_index: Path) -> Any:
    """The entity fixture build with the real build's unit index."""
    root = make_build(tmp_path_factory.mktemp("search-build"), units=unit_index)
    app = create_app({"store": str(root)})
    yield app.test_client()
    app.extensions["vlkg"].close()


def search_json(client: Any, q: str, **params: Any) -> dict[str, Any]:
    r = client.get("/search?" + urllib.parse.urlencode({"q": q, **params}), headers={"Accept": "application/json"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.mimetype == "application/json"
    return r.get_json()


def test_json_hits(client: Any) -> None:
    answer = search_json(client, "Vĩnh Hùng")
    assert answer["query"] == "Vĩnh Hùng"
    hits = answer["hits"]
    assert hits and all(set(h) >= HIT_KEYS for h in hits)
    first = hits[0]
    assert first["iri"] == BASE + "id/au/15379/2004-08-31" and first["label"] == "Xã Vĩnh Hùng"
    assert first["code"] == "15379" and first["level"] == "commune" and first["type"] == "xa"
    assert first["valid_from"] == "2004-08-31" and first["valid_through"] == "2025-06-30"
    assert first["current"] is False and first["parent"] == "Huyện Vĩnh Lộc"
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert all(h["current"] == (h["valid_through"] is None) for h in hits)


def test_nfd_query_finds_the_nfc_name(client: Any) -> None:
    nfd = unicodedata.normalize("NFD", "Vĩnh Hùng")
    assert nfd != "Vĩnh Hùng"
    answer = search_json(client, nfd)
    assert answer["query"] == "Vĩnh Hùng"  # normalised as it entered
    assert answer["hits"][0]["label"] == "Xã Vĩnh Hùng"
    assert answer["hits"] == search_json(client, "Vĩnh Hùng")["hits"]


def test_dong_finds_dong_with_the_stroke(client: Any) -> None:
    hits = search_json(client, "dong", limit=50)["hits"]
    assert any(h["label"].split(" ", 1)[1].startswith("Đông") for h in hits if " " in h["label"]), hits[:5]
    assert all("dong" in fold(h["label"]).lower() for h in hits[:10])


def test_code_and_date(client: Any) -> None:
    assert any(h["code"] == "15382" for h in search_json(client, "15382")["hits"])
    hits = search_json(client, "Biện Thượng", on="2026-01-01")["hits"]
    assert hits[0]["iri"] == BASE + "id/au/15382/2025-07-01" and hits[0]["current"] is True


def test_limit_is_bounded(client: Any) -> None:
    assert len(search_json(client, "xa", limit=3)["hits"]) <= 3
    for bad in ("0", "101", "ten", "-1"):
        r = client.get(f"/search?q=xa&limit={bad}", headers={"Accept": "application/json"})
        assert r.status_code == 400 and "limit" in r.get_json()["error"]["message"]
    r = client.get("/search?q=" + "a" * 201, headers={"Accept": "application/json"})
    assert r.status_code == 400
    r = client.get("/search?q=a&on=2021-13-01", headers={"Accept": "application/json"})
    assert r.status_code == 400 and "YYYY-MM-DD" in r.get_json()["error"]["message"]


def test_empty_query(client: Any) -> None:
    assert search_json(client, "")["hits"] == []
    assert client.get("/search", headers={"Accept": BROWSER}).status_code == 200


def test_html_page(client: Any) -> None:
    r = client.get("/search?q=" + urllib.parse.quote("vinh hung vinh loc"), headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.get_data(as_text=True)
    assert 'href="/id/au/15379/2004-08-31"' in page and "Xã Vĩnh Hùng" in page
    assert re.search(r'<form[^>]*method="get"[^>]*action="/search"', page)
    assert 'value="vinh hung vinh loc"' in page  # the box keeps the query
    assert "Content-Security-Policy" in r.headers
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "no inline script (the CSP forbids it)"


def test_html_escapes_the_query(client: Any) -> None:
    q = '"><script>alert(1)</script>'
    page = client.get("/search?" + urllib.parse.urlencode({"q": q}), headers={"Accept": BROWSER}).get_data(
        as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_format_parameter_and_negotiation(client: Any) -> None:
    assert client.get("/search?q=a&format=json").mimetype == "application/json"
    assert client.get("/search?q=a").mimetype == "text/html"  # no Accept: a page, like the other listings
    assert client.get("/search?q=a", headers={"Accept": "text/turtle"}).status_code == 406
    r = client.get("/search?q=a&format=json")
    assert client.get("/search?q=a&format=json", headers={"If-None-Match": r.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("path", ["/", "/id/au/15382/2019-12-01"])
def test_search_box_on_the_ui_and_entity_pages(client: Any, path: str) -> None:
    page = client.get(path, headers={"Accept": BROWSER}).get_data(as_text=True)
    form = re.search(r'<form class="site-search"[^>]*>.*?</form>', page, re.S)
    assert form and 'action="/search"' in form.group(0) and 'method="get"' in form.group(0)
    assert 'name="q"' in form.group(0)


def test_bare_store_has_no_search(make_app: Any) -> None:
    r = make_app().test_client().get("/search?q=a", headers={"Accept": "application/json"})
    assert r.status_code == 404 and "units.json.gz" in r.get_json()["error"]["message"]


def test_unit_index_loads_once(tmp_path: Path, unit_index: Path) -> None:
    root = make_build(tmp_path / "b", units=unit_index)
    backend = create_app({"store": str(root)}).extensions["vlkg"]
    assert backend.places is backend.places

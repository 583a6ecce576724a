"""The query page in-process: no outside URLs, the example catalogue, bookmarkable queries, vendored files."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from ui_fixture import EXAMPLES, make_build

from vlkg.namespaces import BASE, PREFIXES, prefixes_for
from vlkg.server.catalogue import examples_dir, load_examples, parse_example, with_prefixes
from vlkg.server.vendor import VendorError, vendor

REPO = Path(__file__).resolve().parent.parent
STATIC = REPO / "server" / "static"
VENDOR = STATIC / "vendor"
URL = re.compile(r"https?://[^\s\"'<>`)\\]+")


def ensure_vendor() -> None:
    """The vendored files are committed; recreate them only in a checkout that lost them (needs `npm ci`)."""
    if (VENDOR / "MANIFEST.json").is_file():
        return
    if not (REPO / "node_modules" / "@zazuko" / "yasgui").is_dir():
        pytest.fail("server/static/vendor/ is missing: restore it with `git checkout server/static/vendor` "
                    "or refresh it with `make vendor` (npm ci, then python -m vlkg.server.vendor).")
    subprocess.run([sys.executable, "-m", "vlkg.server.vendor", "--root", str(REPO)], check=True)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_build(tmp_path_factory.mktemp("ui-build"))


@pytest.fixture(scope="module")
def client(build: Path):
    from vlkg.server import create_app

    ensure_vendor()
    from vlkg.server import ui

    ui.vendor_manifest.cache_clear()
    app = create_app({"store": str(build), "executors": 1})
    app.testing = True
    yield app.test_client()
    app.extensions["vlkg"].close()


def page_config(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="vlkg-config">(.*?)</script>', html, re.S)
    assert match, "the page carries its configuration as JSON"
    return json.loads(match.group(1))


class _Links(HTMLParser):
    """Every URL the browser would fetch or follow: src, href, action."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href", "action") and v is not None]


def test_page_fetches_nothing_from_outside(client) -> None:
    html = client.get("/").get_data(as_text=True)
    links = _Links()
    links.feed(html)
    assert any(u.endswith("yasgui.min.js") for u in links.urls)
    outside = [u for u in links.urls if not (u.startswith(("/", "?", "#", "data:")) or u.startswith("http://localhost/"))]
    assert outside == [], f"links or resources off this server: {outside}"


def test_no_outside_hosts_in_page_or_our_assets(client) -> None:
    """Absolute URLs are only this host, the data namespace and our prefixes (identifiers, never fetched)."""
    allowed = (BASE, *PREFIXES.values(), "http://localhost/")
    texts = {
        "/": client.get("/").get_data(as_text=True),
        "ui.js": (STATIC / "ui.js").read_text(encoding="utf-8"),
        "site.css": (STATIC / "site.css").read_text(encoding="utf-8"),
    }
    for name, text in texts.items():
        foreign = sorted({u for u in URL.findall(text) if not u.startswith(allowed)})
        assert foreign == [], f"{name} names outside hosts: {foreign}"


def test_catalogue_lists_examples_in_both_languages(client) -> None:
    html = client.get("/").get_data(as_text=True)
    for name, text in EXAMPLES.items():
        ident = name[: -len(".rq")]
        titles = dict(re.findall(r"^# title@(\w+): (.*)$", text, re.M))
        descriptions = dict(re.findall(r"^# description@(\w+): (.*)$", text, re.M))
        assert f'data-example="{ident}"' in html
        assert f'href="/?example={ident}"' in html
        assert f'<span class="title" lang="vi">{titles["vi"]}</span>' in html
        assert f'<span class="title en" lang="en">{titles["en"]}</span>' in html
        assert f'<p class="desc" lang="vi">{descriptions["vi"]}</p>' in html
        assert f'<p class="desc en" lang="en">{descriptions["en"]}</p>' in html
    examples = {e["id"]: e for e in page_config(html)["examples"]}
    assert list(examples) == ["01-districts", "02-communes"]  # file-name order
    # the header is metadata, not query text; the prefix the query forgot to declare is added
    assert "title@" not in examples["01-districts"]["query"]
    assert examples["01-districts"]["query"].startswith("PREFIX kg: <https://vinhloc-kg.example/def/>\n")


def test_bare_store_falls_back_to_shipped_examples(tmp_path: Path) -> None:
    shipped = load_examples(examples_dir(tmp_path / "current" / "queries"))
    assert shipped, "vlkg.queries ships example queries"
    assert [e.id for e in shipped] == sorted(e.id for e in shipped)
    for e in shipped:
        assert e.title.get("vi") and e.title.get("en"), f"{e.id}.rq needs `# title@vi:` and `# title@en:`"
        assert e.description.get("vi") and e.description.get("en"), f"{e.id}.rq needs vi/en descriptions"


def test_header_parsing() -> None:
    example = parse_example("x", "# title@vi: Tiêu đề\n# title@en: Title\n# description@en: First part\n"
                                 "#   continued here\n# just a comment\nSELECT * { ?s ?p ?o }\n")
    assert example.title == {"vi": "Tiêu đề", "en": "Title"}
    assert example.description == {"en": "First part continued here"}
    assert example.query == "# just a comment\nSELECT * { ?s ?p ?o }\n"
    untitled = parse_example("no-header", "SELECT * { ?s ?p ?o }")
    assert untitled.title == {"vi": "no-header"}
    assert parse_example("u", "# title: Không gắn ngôn ngữ\nASK {}").title == {"vi": "Không gắn ngôn ngữ"}


def test_with_prefixes_adds_only_missing_declarations() -> None:
    query = ('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n'
             'SELECT * { ?x a kg:District ; rdfs:label "skos:not-a-name" ; <http://e.org/owl:x> ?y .'
             ' FILTER(?y = "1"^^xsd:integer) } # dcat: only a comment\n')
    out = with_prefixes(query)
    assert out == ("PREFIX kg: <https://vinhloc-kg.example/def/>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
                   + query)
    assert with_prefixes(out) == out
    assert with_prefixes("SELECT * { ?s unknown:p ?o }") == "SELECT * { ?s unknown:p ?o }"
    # a build made for another base IRI declares kg: under it (ui.py passes the served prefixes)
    rebased = with_prefixes("SELECT * { ?x a kg:District }", prefixes_for("https://data.example.org/vlkg/"))
    assert rebased.startswith("PREFIX kg: <https://data.example.org/vlkg/def/>\n")


def test_query_in_url_is_loaded_safely(client) -> None:
    query = 'SELECT * { ?s ?p "</script><script>alert(1)</script>" }'
    html = client.get("/", query_string={"query": query, "run": "1"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html
    config = page_config(html)
    assert config["initial"] == {"query": query, "example": "", "run": True}
    by_example = page_config(client.get("/?example=02-communes").get_data(as_text=True))
    assert by_example["initial"]["example"] == "02-communes"


def test_page_configures_yasgui_for_our_endpoint(client) -> None:
    config = page_config(client.get("/").get_data(as_text=True))
    assert config["endpoint"] == "/sparql"
    assert config["prefixesUrl"] == "/ui/prefixes.json"
    assert 0 < config["rowLimit"] <= 1000
    assert config["persistenceId"].startswith("vlkg-")
    assert config["starterQuery"].startswith("PREFIX kg: <https://vinhloc-kg.example/def/>\n")
    assert [f for f, _ in config["downloads"]["table"]][:4] == ["csv", "csv-excel", "tsv", "json"]
    ui_js = (STATIC / "ui.js").read_text(encoding="utf-8")
    for setting in ('autocompleters = ["prefixes", "variables"]', "populateFromUrl: false",
                    'name: "row-limit"', '"Vlkg-Truncated"', '"Vlkg-Row-Limit"', "prefixCcApi"):
        assert setting in ui_js


def test_prefixes_json_is_ours(client) -> None:
    response = client.get("/ui/prefixes.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == PREFIXES


def test_vendor_files_are_served(client) -> None:
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    for target, meta in manifest["files"].items():
        response = client.get(f"/static/vendor/{target}")
        assert response.status_code == 200, target
        assert len(response.get_data()) == meta["bytes"]
        response.close()
    js = client.get("/static/vendor/yasgui/yasgui.min.js")
    assert js.mimetype in ("text/javascript", "application/javascript")
    assert b"sourceMappingURL" not in js.get_data()[-300:]
    js.close()


def test_npm_versions_are_pinned_and_vendored() -> None:
    package = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((REPO / "package-lock.json").read_text(encoding="utf-8"))
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    for name, version in package["dependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} must be pinned exactly, not {version!r}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
        assert manifest["packages"][name]["version"] == version


def test_vendored_files_are_committed_with_their_licence() -> None:
    """Users serve without Node.js: the copied files, their hashes and licence texts are in the repository."""
    tracked = subprocess.run(["git", "ls-files", "server/static/vendor"], cwd=REPO, capture_output=True,
                             text=True, check=False)
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text(encoding="utf-8"))
    for target, meta in manifest["files"].items():
        data = (VENDOR / target).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], f"{target} differs from MANIFEST.json"
    for name, meta in manifest["packages"].items():
        licence = (VENDOR / meta["license_file"]).read_text(encoding="utf-8")
        assert f"{name} {meta['version']} -- licence {meta['license']}" in licence
    if tracked.returncode == 0 and (REPO / ".git").exists():
        files = set(tracked.stdout.split())
        expected = {f"server/static/vendor/{t}" for t in manifest["files"]}
        expected |= {f"server/static/vendor/{m['license_file']}" for m in manifest["packages"].values()}
        assert expected | {"server/static/vendor/MANIFEST.json"} <= files, "commit server/static/vendor/"


def test_vendor_step_refuses_a_version_other_than_the_pin(tmp_path: Path) -> None:
    package_dir = tmp_path / "node_modules" / "@zazuko" / "yasgui"
    (package_dir / "build").mkdir(parents=True)
    (package_dir / "package.json").write_text('{"version": "9.9.9", "license": "MIT"}')
    (tmp_path / "package.json").write_text('{"dependencies": {"@zazuko/yasgui": "4.6.2"}}')
    with pytest.raises(VendorError, match=r"9\.9\.9 is installed but package\.json pins 4\.6\.2"):
        vendor(tmp_path, tmp_path / "out")
    shutil.rmtree(tmp_path / "node_modules")
    with pytest.raises(VendorError, match="run `npm ci` first"):
        vendor(tmp_path, tmp_path / "out")

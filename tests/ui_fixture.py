"""A small build directory for the query-UI tests (served with conftest's real `vlkg serve`).

DIR/current -> releases/ui-test, DIR/store -> current/store, as vlkg/layout.py says. The store holds
three districts with Vietnamese and English labels and COMMUNES communes (more than the page's row
limit, so truncation shows), and labels for the two classes (kg:District: a Vietnamese skos:prefLabel and an
English rdfs:label; kg:Commune: English only), so the result table's labels can be tested;
current/queries holds two example queries with vi/en headers.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, Store

from vlkg.namespaces import GRAPH_REGISTRY_LEGACY, ID, KG, RDF, RDFS, SKOS

BUILD_ID = "ui-test"
COMMUNES = 1200
DISTRICTS = {"393": ("Huyện Vĩnh Lộc", "Vĩnh Lộc district"),
             "394": ("Huyện Yên Định", "Yên Định district"),
             "395": ("Huyện Thọ Xuân", "Thọ Xuân district")}
CLASS_LABELS = {"District": ("Huyện", "District"), "Commune": (None, "Commune")}  # (vi, en)

EXAMPLES = {
    "01-districts.rq": """# title@vi: Các huyện và tên tiếng Việt
# title@en: Districts and their Vietnamese names
# description@vi: Mỗi huyện một dòng, xếp theo tên.
# description@en: One row per district, ordered by name.
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?district ?name WHERE {
  ?district a kg:District ; rdfs:label ?name .
  FILTER(lang(?name) = "vi")
}
ORDER BY ?name
""",
    "02-communes.rq": """# title@vi: Tất cả các xã
# title@en: All communes
# description@vi: Nhiều hơn giới hạn dòng của trang, để thấy thông báo cắt bớt.
# description@en: More rows than the page shows, so the truncation notice appears.
PREFIX kg: <https://vinhloc-kg.example/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?commune ?name WHERE { ?commune a kg:Commune ; rdfs:label ?name }
""",
}


def make_build(root: Path) -> Path:
    """Write the build directory under `root` and return it."""
    release = root / "releases" / BUILD_ID
    (release / "queries").mkdir(parents=True)
    store = Store(str(release / "store"))
    g = GRAPH_REGISTRY_LEGACY
    quads = []
    for code, (vi, en) in DISTRICTS.items():
        unit = NamedNode(f"{ID}au/{code}/2004-08-31")
        quads += [Quad(unit, RDF.type, KG.District, g),
                  Quad(unit, RDFS.label, Literal(vi, language="vi"), g),
                  Quad(unit, RDFS.label, Literal(en, language="en"), g)]
    for n in range(COMMUNES):
        unit = NamedNode(f"{ID}au/{20000 + n}/2004-08-31")
        quads += [Quad(unit, RDF.type, KG.Commune, g),
                  Quad(unit, RDFS.label, Literal(f"Xã số {n}", language="vi"), g)]
    quads += [Quad(KG.District, SKOS.prefLabel, Literal(CLASS_LABELS["District"][0], language="vi"), g),
              Quad(KG.District, RDFS.label, Literal(CLASS_LABELS["District"][1], language="en"), g),
              Quad(KG.Commune, RDFS.label, Literal(CLASS_LABELS["Commune"][1], language="en"), g)]
    store.extend(quads)
    store.flush()
    del store  # read-only openers must not overlap a writer
    gc.collect()
    for name, text in EXAMPLES.items():
        (release / "queries" / name).write_text(text, encoding="utf-8")
    manifest = {"build_id": BUILD_ID, "created": "2026-01-01T00:00:00Z"}
    (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / "current").symlink_to(Path("releases") / BUILD_ID)
    (root / "store").symlink_to(Path("current") / "store")
    return root

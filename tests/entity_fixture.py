"""A small build directory that follows ontology/README.md, for the entity, dump and VoID tests.

DIR/current -> releases/<id>, DIR/store -> current/store, DIR/dumps -> current/dumps, as vlkg/layout.py says.
It holds two versions of code 15382, the code node, their district and province, a 2025 predecessor,
an article with a quoted target observation, and graph/meta; the dumps are real gzipped N-Quads/N-Triples
written from the store by the build's own gzip writer, and manifest.json is made by the build's own
`_manifest` (same keys as a real build; tests/test_build.py compares the two), with a fixed build id and date.
Only the dump files are fewer, and named as the tests expect (all.nq.gz, ref-dvhc-legacy.nt.gz).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from pyoxigraph import NamedNode, RdfFormat, Store, Triple, serialize

from vlkg.ingest.build import _manifest
from vlkg.ingest.dumps import DumpFile, _write_gz
from vlkg.ingest.model import GraphBuild
from vlkg.layout import UNIT_INDEX
from vlkg.namespaces import BASE, GRAPH, ID, sparql_prefixes

BUILD_ID = "test-build-1"
CREATED = "2026-01-02T03:04:05Z"
ARTICLE = "000_e1149b89a4266354"
ARTICLE_TEXT = (
    "Huyện Vĩnh Lộc có 21/26 chỉ tiêu chủ yếu hoàn thành\n\n"
    "Năm 2022, phấn đấu thu nhập bình quân đầu người đạt 55,9 triệu đồng; "
    "xã Minh Tân đạt chuẩn nông thôn mới nâng cao."
)
QUOTE = "thu nhập bình quân đầu người đạt 55,9 triệu đồng"
Q_START = ARTICLE_TEXT.index(QUOTE)
Q_END = Q_START + len(QUOTE)
SR = f"id:src/{ARTICLE}/q/{Q_START}-{Q_END}"


def _lit(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def trig() -> str:
    """The whole fixture dataset as TriG; `id:a/b` is written out as a full IRI (Turtle forbids bare '/')."""
    return re.sub(r"\bid:([A-Za-z0-9_/-]+)", lambda m: f"<{ID}{m.group(1)}>", _TRIG)


FILLER = 150  # extra communes at level-commune, so that its incoming links need two pages
_FILLER = "\n".join(
    f'  id:au/{20000 + n}/2004-08-31 a kg:AdminUnitVersion, kg:Commune ; kg:level kg:level-commune ; '
    f'rdfs:label "Xã Thử {n}"@vi .' for n in range(FILLER)
)
_TRIG_PREFIXES = sparql_prefixes().replace("PREFIX ", "@prefix ").replace(">\n", "> .\n")
g = GRAPH
_TRIG = _TRIG_PREFIXES + f"""
<{g}ontology> {{
  <{BASE}def/> a owl:Ontology ; rdfs:label "Vĩnh Lộc knowledge graph vocabulary"@en .
  kg:AdminUnitVersion a owl:Class ;
    rdfs:label "Administrative unit version"@en, "Phiên bản đơn vị hành chính"@vi .
  kg:Commune a owl:Class ; rdfs:subClassOf kg:AdminUnitVersion ; rdfs:label "Commune"@en, "Xã"@vi .
  kg:District a owl:Class ; rdfs:subClassOf kg:AdminUnitVersion ; rdfs:label "District"@en, "Huyện"@vi .
  kg:DvhcCode a owl:Class ; rdfs:label "Administrative unit code"@en, "Mã đơn vị hành chính"@vi .
  kg:code a owl:ObjectProperty ; rdfs:label "code"@en, "mã"@vi .
  kg:level-commune a skos:Concept ; skos:prefLabel "commune level"@en, "cấp xã"@vi .
  kg:dvhcCode a rdfs:Datatype ; rdfs:label "GSO administrative unit code"@en .
}}
<{g}ref/dvhc-legacy> {{
  id:au/38/2004-08-31 a kg:AdminUnitVersion, kg:Province ; rdfs:label "Tỉnh Thanh Hóa"@vi, "Thanh Hoa Province"@en ;
    schema:validFrom "2004-08-31"^^xsd:date ; schema:validThrough "2025-06-30"^^xsd:date ; kg:firstRecorded true .
  id:au/393/2004-08-31 a kg:AdminUnitVersion, kg:District ; rdfs:label "Huyện Vĩnh Lộc"@vi, "Vinh Loc District"@en ;
    schema:isPartOf id:au/38/2004-08-31 ; schema:validFrom "2004-08-31"^^xsd:date ;
    schema:validThrough "2025-06-30"^^xsd:date ; kg:firstRecorded true .
  id:au/15382/2019-12-01 a kg:AdminUnitVersion, kg:Commune ;
    rdfs:label "Xã Minh Tân"@vi, "Minh Tân Commune"@en ; schema:name "Xã Minh Tân"@vi ;
    skos:altLabel "Minh Tân"@vi ; kg:asciiName "Xa Minh Tan" ;
    skos:notation "15382"^^kg:dvhcCode ; kg:code id:code/dvhc/15382 ; kg:level kg:level-commune ;
    schema:isPartOf id:au/393/2004-08-31 ; schema:validFrom "2019-12-01"^^xsd:date ;
    schema:validThrough "2025-06-30"^^xsd:date ;
    vl:successor id:au/15382/2025-07-01 ; vl:endEvent id:event/2025-07-01/au/15382 ;
    geo:lat 20.063973 ; geo:long 105.652983 ; kg:attestedIn id:doc/gso-dvhc-register .
  id:au/15379/2004-08-31 a kg:AdminUnitVersion, kg:Commune ; rdfs:label "Xã Vĩnh Hùng"@vi, "Vinh Hung Commune"@en ;
    kg:code id:code/dvhc/15379 ; schema:isPartOf id:au/393/2004-08-31 ; schema:validFrom "2004-08-31"^^xsd:date ;
    schema:validThrough "2025-06-30"^^xsd:date ; kg:firstRecorded true ; vl:successor id:au/15382/2025-07-01 .
  id:code/dvhc/15382 a kg:DvhcCode ; skos:notation "15382"^^kg:dvhcCode ; kg:denotedVersion id:au/15382/2019-12-01 .
{_FILLER}
  id:code/dvhc/15379 a kg:DvhcCode ; skos:notation "15379"^^kg:dvhcCode ; kg:denotedVersion id:au/15379/2004-08-31 .
}}
<{g}ref/dvhc-2025> {{
  id:au/38/2025-07-01 a kg:AdminUnitVersion, kg:Province ;
    rdfs:label "Tỉnh Thanh Hóa"@vi, "Thanh Hoa Province"@en ;
    schema:validFrom "2025-07-01"^^xsd:date ; vl:predecessor id:au/38/2004-08-31 .
  id:au/15382/2025-07-01 a kg:AdminUnitVersion, kg:Commune ;
    rdfs:label "Xã Biện Thượng"@vi, "Bien Thuong Commune"@en ; kg:code id:code/dvhc/15382 ;
    schema:isPartOf id:au/38/2025-07-01 ; schema:validFrom "2025-07-01"^^xsd:date ;
    vl:predecessor id:au/15379/2004-08-31, id:au/15382/2019-12-01 ; vl:startEvent id:event/2025-07-01/au/15382 ;
    kg:areaKm2 65.4 ; kg:attestedIn id:doc/cv-1027-ctk-cscl .
  id:code/dvhc/15382 a kg:DvhcCode ; kg:denotedVersion id:au/15382/2025-07-01 .
  id:event/2025-07-01/au/15382 a vl:ChangeEvent, vl:Combination ; dcterms:date "2025-07-01"^^xsd:date ;
    dcterms:isPartOf id:event/2025-07-01/reform ; kg:legalBasis id:doc/act/1686-nq-ubtvqh15 ;
    kg:legalClause id:doc/act/1686-nq-ubtvqh15/clause/63 .
}}
<{g}src/{ARTICLE}> {{
  id:src/{ARTICLE} a schema:NewsArticle, prov:Entity ;
    schema:headline "Huyện Vĩnh Lộc có 21/26 chỉ tiêu chủ yếu hoàn thành"@vi ;
    schema:datePublished "2021-12"^^xsd:gYearMonth ; schema:inLanguage "vi" ;
    schema:text {_lit(ARTICLE_TEXT)} .
  {SR} a oa:SpecificResource ; oa:hasSource id:src/{ARTICLE} ;
    oa:hasSelector {SR}/quote, {SR}/position .
  {SR}/quote a oa:TextQuoteSelector ; oa:exact {_lit(QUOTE)}@vi .
  {SR}/position a oa:TextPositionSelector ; oa:start {Q_START} ; oa:end {Q_END} .
  id:obs/target/income-per-capita/393-2004-08-31/2022 a qb:Observation, kg:Target ;
    kg:valueType kg:Planned ; kg:indicator id:indicator/income-per-capita ;
    sdmx-dimension:refArea id:au/393/2004-08-31 ; kg:year "2022"^^xsd:gYear ;
    sdmx-measure:obsValue 55.9 ; kg:comparator odrl:gteq ; prov:wasDerivedFrom {SR} .
  id:au/15382/2019-12-01 rdfs:label "Xã Minh Tân"@vi .
}}
<{g}meta> {{
  id:dataset/vlkg a void:Dataset, dcat:Dataset ; dcterms:title "Vĩnh Lộc knowledge graph"@en ;
    void:sparqlEndpoint <https://vinhloc-kg.example/sparql> ; void:subset <{g}ref/dvhc-legacy> ;
    void:dataDump <https://vinhloc-kg.example/dumps/all.nq.gz> .
  <{g}ref/dvhc-legacy> a void:Dataset ;
    dcterms:title "Administrative units of Viet Nam, 2003 to 30 June 2025: every version"@en ;
    void:dataDump <https://vinhloc-kg.example/dumps/ref-dvhc-legacy.nt.gz> .
}}
"""


# graph -> (title_en, title_vi, source), as the real build's GraphBuild records say them
TITLES = {
    f"{GRAPH}ontology": ("vlkg ontology, SKOS schemes and SHACL shapes",
                         "Ontology vlkg, các bộ khái niệm SKOS và ràng buộc SHACL", "ontology/*.ttl"),
    f"{GRAPH}ref/dvhc-legacy": ("Administrative units of Viet Nam, 2003 to 30 June 2025: every version",
                                "Đơn vị hành chính Việt Nam từ 2003 đến 30/6/2025: mọi phiên bản",
                                "GSO register (danhmuchanhchinh.gso.gov.vn) via daohoangson/dvhcvn-historical-data "
                                "and daohoangson/dvhcvn; derived by ingest/derive_history.py into data/registry/"),
    f"{GRAPH}ref/dvhc-2025": ("Administrative units of Viet Nam from 1 July 2025, and the reform",
                              "Đơn vị hành chính Việt Nam từ ngày 1/7/2025 và cuộc sắp xếp",
                              "Công văn 1027/CTK-CSCL and 915/CTK-CSCL (code lists), resolutions "
                              "NQ 1654–1687/NQ-UBTVQH15 (clauses quoted); derived by ingest/derive_reform.py into "
                              "data/registry/"),
    f"{GRAPH}src/{ARTICLE}": ("Huyện Vĩnh Lộc có 21/26 chỉ tiêu chủ yếu hoàn thành",
                              "Huyện Vĩnh Lộc có 21/26 chỉ tiêu chủ yếu hoàn thành", f"data/sources/{ARTICLE}.txt"),
    f"{GRAPH}meta": ("Dataset description", "Mô tả bộ dữ liệu", "data/dataset.yaml"),
}


def _dump(path: Path, fmt: RdfFormat, scope: str, graph: str | None, items: list) -> DumpFile:
    size, digest = _write_gz(path, serialize(items, format=fmt))
    return DumpFile(file=path.name, format=fmt.name, media_type=fmt.media_type, scope=scope, graph=graph,
                    triples=len(items), bytes=size, sha256=digest)


def make_build(root: Path, units: Path | None = None) -> Path:
    """Write the fixture build under `root` and return it (the directory to pass as --store); with `units` (a
    units.json.gz, normally the real build's: build_fixture.unit_index), /search and /reconcile answer from it."""
    release = root / "releases" / BUILD_ID
    (release / "dumps").mkdir(parents=True)
    (release / "queries").mkdir()
    store = Store(str(release / "store"))
    store.load(trig(), format=RdfFormat.TRIG)
    store.flush()
    legacy = f"{GRAPH}ref/dvhc-legacy"
    quads = sorted(store.quads_for_pattern(None, None, None, None), key=str)
    del store  # release the RocksDB lock before the server opens the store read-only
    dumps = [
        _dump(release / "dumps" / "all.nq.gz", RdfFormat.N_QUADS, "dataset", None, quads),
        _dump(release / "dumps" / "ref-dvhc-legacy.nt.gz", RdfFormat.N_TRIPLES, "graph", legacy,
              [q.triple for q in quads if q.graph_name.value == legacy]),
    ]
    sums = "".join(f"{d.sha256}  {d.file}\n" for d in dumps)
    (release / "dumps" / "SHA256SUMS").write_text(sums, encoding="utf-8")
    graphs = [GraphBuild(NamedNode(iri), *TITLES[iri],
                         triples=[Triple(q.subject, q.predicate, q.object) for q in quads if q.graph_name.value == iri])
              for iri in sorted({q.graph_name.value for q in quads})]
    manifest = _manifest({"version": "0.1", "issued": "2026-01-02"}, graphs, dumps, elapsed=0.5)
    manifest |= {"build_id": BUILD_ID, "built_at": CREATED}  # fixed, so that tests can name them
    (release / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    if units is not None:
        shutil.copyfile(units, release / UNIT_INDEX)
    (root / "current").symlink_to(Path("releases") / BUILD_ID)
    (root / "store").symlink_to(Path("current") / "store")
    (root / "dumps").symlink_to(Path("current") / "dumps")
    return root

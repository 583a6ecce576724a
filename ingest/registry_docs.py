"""The documents and the reform event the registry graphs cite, described once here."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import NamedNode

from vlkg.ingest.model import GraphBuild, date_lit, lit
from vlkg.namespaces import DCTERMS, IDNS, KG, RDF, RDFS, SCHEMA, VL

REFORM_DATE = "2025-07-01"
REFORM_EVENT = IDNS[f"event/{REFORM_DATE}/reform"]
MIT = NamedNode("https://opensource.org/licenses/MIT")


@dataclass(frozen=True)
class Document:
    """A legal document or code-list edition; only dates that were checked are given."""

    slug: str
    kind: NamedNode
    label_vi: str
    label_en: str
    identifier: str | None = None  # the official number, e.g. "202/2025/QH15"
    date: str | None = None  # adoption / signature date
    valid: str | None = None  # entry into force
    comment_en: str | None = None

    @property
    def iri(self) -> NamedNode:
        return IDNS[f"doc/{self.slug}"]

    def describe(self, g: GraphBuild) -> None:
        """Add this document's triples to `g`."""
        g.add_all(self.iri, [
            (RDF.type, self.kind),
            (RDFS.label, lit(self.label_vi, "vi")),
            (RDFS.label, lit(self.label_en, "en")),
            (DCTERMS.identifier, lit(self.identifier) if self.identifier else None),
            (DCTERMS.date, date_lit(self.date) if self.date else None),
            (DCTERMS.valid, date_lit(self.valid) if self.valid else None),
            (RDFS.comment, lit(self.comment_en, "en") if self.comment_en else None),
        ])


NQ_202 = Document(
    "nq-202-2025-qh15", SCHEMA.Legislation,
    "Nghị quyết số 202/2025/QH15 của Quốc hội về việc sắp xếp đơn vị hành chính cấp tỉnh",
    "Resolution No. 202/2025/QH15 of the National Assembly on the arrangement of provincial-level "
    "administrative units",
    identifier="202/2025/QH15", date="2025-06-12",
    comment_en="Merged the 63 provinces and centrally-run cities into 34.")
NQ_76 = Document(
    "nq-76-2025-ubtvqh15", SCHEMA.Legislation,
    "Nghị quyết số 76/2025/UBTVQH15 của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị hành chính năm 2025",
    "Resolution No. 76/2025/UBTVQH15 of the Standing Committee of the National Assembly on the "
    "arrangement of administrative units in 2025",
    identifier="76/2025/UBTVQH15", date="2025-04-14")
LUAT_72 = Document(
    "luat-72-2025-qh15", SCHEMA.Legislation,
    "Luật Tổ chức chính quyền địa phương số 72/2025/QH15",
    "Law No. 72/2025/QH15 on the Organisation of Local Government",
    identifier="72/2025/QH15", valid=REFORM_DATE,
    comment_en="Local government in two levels (province, commune): the district level ended on "
               "1 July 2025.")


GSO_REGISTER = Document(
    "gso-dvhc-register", SCHEMA.Dataset,
    "Danh mục hành chính Việt Nam (Tổng cục Thống kê), các lần cập nhật 2003–2025",
    "Register of the administrative units of Viet Nam (General Statistics Office), its updates 2003–2025",
    comment_en="The GSO register (danhmuchanhchinh.gso.gov.vn) after every legal change 2004–2021 and in its "
               "published editions 2019–2025, as collected by daohoangson/dvhcvn-historical-data and "
               "daohoangson/dvhcvn; the unit versions of graph/ref/dvhc-legacy are derived from it "
               "(data/registry/README.md).")
CV_1027 = Document(
    "cv-1027-ctk-cscl", SCHEMA.Legislation,
    "Công văn số 1027/CTK-CSCL của Cục Thống kê: danh mục và mã số các đơn vị hành chính cấp xã từ 01/7/2025",
    "Official letter No. 1027/CTK-CSCL of the National Statistics Office: list and codes of the commune-level "
    "units from 1 July 2025",
    identifier="1027/CTK-CSCL", date="2025-06-25", valid=REFORM_DATE,
    comment_en="The official list of the 3,321 commune-level units and their codes; stored as "
               "data/sources/reform-2025/1027_CTK-CSCL.md.")


def describe_reform(g: GraphBuild) -> None:
    """The whole 2025 reform: every per-unit event is dcterms:isPartOf it."""
    g.add_all(REFORM_EVENT, [
        (RDF.type, VL.ChangeEvent),
        (RDFS.label, lit("Sắp xếp đơn vị hành chính năm 2025", "vi")),
        (RDFS.label, lit("2025 reorganisation of administrative units", "en")),
        (DCTERMS.date, date_lit(REFORM_DATE)),
        (KG.legalBasis, NQ_202.iri),
        (KG.legalBasis, NQ_76.iri),
        (KG.legalBasis, LUAT_72.iri),
        (RDFS.comment, lit("63 provinces merged into 34, the district level abolished, 10,035 communes "
                           "arranged into 3,321 communes, wards and special zones.", "en")),
    ])

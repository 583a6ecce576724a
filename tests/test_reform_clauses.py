"""The 2025 reform as derived from its resolutions (data/registry/reform-2025*.csv): read from the committed
files only, plus one check that needs ../shared and re-derives them byte for byte."""

from __future__ import annotations

import csv
import json
import os
import shutil
from functools import cache
from pathlib import Path

from conftest import shared_missing

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
REGISTRY = DATA / "registry"
SOURCES = DATA / "sources" / "reform-2025"
SHARED = Path(os.environ.get("VLKG_SHARED") or REPO.parent / "shared")
OUTPUTS = ["reform-2025.csv", "reform-2025-disagreements.csv", "reform-2025-report.json", "communes-2025.csv",
           "provinces-2025.csv"]


@cache
def rows() -> list[dict[str, str]]:
    with (REGISTRY / "reform-2025.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def source(resolution: str) -> str:
    number = resolution.split("/")[0]
    return (SOURCES / f"{number}_NQ-UBTVQH15.md").read_bytes().decode("utf-8")


def row(new_code: str) -> dict[str, str]:
    return next(r for r in rows() if r["new_code"] == new_code)


def test_every_quote_is_the_text_at_its_offsets():
    for r in rows():
        text = source(r["resolution"])
        start, end = int(r["quote_start"]), int(r["quote_end"])
        assert text[start:end] == r["quote"], r["new_code"]
        assert r["quote"].startswith(r["clause"])
        assert r["quote"].endswith(".")


def test_every_2025_commune_has_exactly_one_clause():
    with (REGISTRY / "communes-2025.csv").open(encoding="utf-8", newline="") as f:
        communes = {c["code"]: c for c in csv.DictReader(f)}
    assert len(communes) == 3321
    codes = [r["new_code"] for r in rows()]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert set(codes) == set(communes)
    for r in rows():
        assert r["new_name"] == communes[r["new_code"]]["name"]
        assert r["new_type"] in ("xa", "phuong", "dac-khu")
        assert r["old_codes"], r["new_code"]
        assert set(r["partial_codes"].split()) <= set(r["old_codes"].split())
    with (REGISTRY / "provinces-2025.csv").open(encoding="utf-8", newline="") as f:
        assert len(list(csv.DictReader(f))) == 34


def test_bien_thuong_is_clause_63_of_the_thanh_hoa_resolution():
    r = row("15382")
    assert (r["new_name"], r["new_type"], r["province_code"]) == ("Xã Biện Thượng", "xa", "38")
    assert (r["resolution"], r["clause"]) == ("1686/NQ-UBTVQH15", "63")
    # Vĩnh Hùng, Minh Tân, Vĩnh Thịnh and Vĩnh An of Huyện Vĩnh Lộc (not Vĩnh Hưng, 15367, a letter apart)
    assert r["old_codes"] == "15379 15382 15388 15391"
    assert r["partial_codes"] == ""
    assert " ".join(r["quote"].split()).endswith("thành xã mới có tên gọi là **xã Biện Thượng**.")


def test_a_namesake_is_told_apart_by_its_district():
    # "các xã Minh Sơn (huyện Triệu Sơn), …": 15691, not Minh Sơn of huyện Ngọc Lặc (15124)
    r = row("15664")
    assert "Minh Sơn (huyện Triệu Sơn)" in " ".join(r["quote"].split())
    assert "15691" in r["old_codes"].split() and "15124" not in r["old_codes"].split()
    assert any("15124" in x["old_codes"].split() for x in rows())


def test_a_split_commune_is_partial_in_both_clauses():
    # Clause 3: part of thị trấn Hà Trung and xã Hà Bình -> xã Hà Trung; clause 6: their remaining part -> Hoạt Giang
    ha_trung, hoat_giang = row("15271"), row("15286")
    assert (ha_trung["clause"], hoat_giang["clause"]) == ("3", "6")
    assert ha_trung["partial_codes"] == hoat_giang["partial_codes"] == "15271 15328"
    assert ha_trung["old_codes"] == "15271 15304 15307 15319 15328"


def test_every_split_unit_is_partial_wherever_it_goes():
    uses: dict[str, list[bool]] = {}
    for r in rows():
        for code in r["old_codes"].split():
            uses.setdefault(code, []).append(code in r["partial_codes"].split())
    assert all(len(v) > 1 for v in uses.values() if any(v))
    assert all(all(v) for v in uses.values() if len(v) > 1)


def test_disagreements_and_report_parse():
    with (REGISTRY / "reform-2025-disagreements.csv").open(encoding="utf-8", newline="") as f:
        dis = list(csv.DictReader(f))
    assert list(dis[0]) == ["old_code", "old_name", "clauses", "converter", "mapping", "winner", "why"]
    assert {d["winner"] for d in dis} <= {"clauses", "none"}
    assert all(d["why"] for d in dis)
    report = json.loads((REGISTRY / "reform-2025-report.json").read_text(encoding="utf-8"))
    counts = report["counts"]
    assert counts["new_communes_covered"] == counts["new_communes"] == 3321
    assert counts["unresolved_names"] == 0
    assert counts["old_units_linked"] == counts["old_units_in_register"]
    assert counts["disagreements"] == len(dis)


def test_rederiving_gives_the_committed_files(tmp_path):
    if not (SHARED / "reference" / "reform-2025").is_dir():
        shared_missing(f"{SHARED}/reference/reform-2025 not found: the reform sources (../shared) are not beside "
                       "the clone (set VLKG_SHARED)")
    from vlkg.ingest.derive_reform import COPIED, OVERRIDES, derive_reform

    (tmp_path / "registry").mkdir()
    shutil.copyfile(REGISTRY / OVERRIDES, tmp_path / "registry" / OVERRIDES)  # the reviewed input
    derive_reform(SHARED, tmp_path)
    for name in OUTPUTS:
        assert (tmp_path / "registry" / name).read_bytes() == (REGISTRY / name).read_bytes(), name
    for name in COPIED:
        assert (tmp_path / "sources" / "reform-2025" / name).read_bytes() == (SOURCES / name).read_bytes(), name

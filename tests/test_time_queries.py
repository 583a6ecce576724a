"""The time-aware examples (issue 9, item 6) give the agreed answers on the real build, and stay fast.

What a commune became (commune-became.rq), which units a district had on a date (units-on-date.rq, tested in
test_queries.py), every target set for the communes that now form Xã Biện Thượng (bien-thuong-targets.rq), the
units of a 2019 list that no longer exist and what replaced them (units-2019-gone.rq), and the census recipe of
docs/linking.md (census-2019-to-2025.rq).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest
from pyoxigraph import QuerySolutions

QUERIES = Path(str(resources.files("vlkg.queries")))
ID = "https://vinhloc-kg.example/id/"
NEW = ["commune-became.rq", "bien-thuong-targets.rq", "census-2019-to-2025.rq", "units-2019-gone.rq"]


def run_text(store, text: str) -> list[dict[str, str | None]]:
    result = store.query(text, use_default_graph_as_union=True)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: (s[n].value.removeprefix(ID) if s[n] is not None else None) for n in names} for s in result]


def run(store, name: str, values: str | None = None) -> list[dict[str, str | None]]:
    """Run an example, with its one VALUES line replaced when `values` is given (as a user would edit it)."""
    text = (QUERIES / name).read_text(encoding="utf-8")
    if values is not None:
        lines = [line for line in text.splitlines() if line.strip().startswith("VALUES")]
        assert len(lines) == 1, f"{name}: the VALUES must be one line for users to edit"
        text = text.replace(lines[0], "  " + values)
    return run_text(store, text)


def test_commune_became(built_store):
    rows = run(built_store, "commune-became.rq")
    assert [(r["label"], r["successor"], r["successorLabel"], r["validFrom"], r["validThrough"]) for r in rows] == [
        ("Xã Vĩnh Minh", "au/15382/2019-12-01", "Xã Minh Tân", "2019-12-01", "2025-06-30"),
        ("Xã Vĩnh Minh", "au/15382/2025-07-01", "Xã Biện Thượng", "2025-07-01", None),
    ]


def test_commune_became_for_another_code_and_date(built_store):
    """The same code on another day is another unit: 15382 on 2021-12-22 is Minh Tân, which became Biện Thượng."""
    rows = run(built_store, "commune-became.rq", 'VALUES (?code0 ?date) { ("15382" "2021-12-22"^^xsd:date) }')
    assert [(r["unit"], r["successorLabel"]) for r in rows] == [("au/15382/2019-12-01", "Xã Biện Thượng")]
    # A unit that has not changed since has no successor yet: no rows, not an error.
    assert run(built_store, "commune-became.rq", 'VALUES (?code0 ?date) { ("15382" "2025-08-01"^^xsd:date) }') == []


def test_units_of_a_district_on_a_date_is_the_existing_example():
    """Item 6's "which units a district had on a date" is units-on-date.rq (asserted in test_queries.py); the new
    examples point to it instead of repeating it."""
    assert (QUERIES / "units-on-date.rq").exists()
    assert "units-on-date.rq" in (QUERIES / "units-2019-gone.rq").read_text(encoding="utf-8")


def test_targets_of_the_communes_that_now_form_bien_thuong(built_store):
    rows = run(built_store, "bien-thuong-targets.rq")
    assert {(r["commune"], r["communeLabel"], r["target"], r["year"], r["levelLabel"]) for r in rows} == {
        ("au/15382/2019-12-01", "Xã Minh Tân", "obs/target/ntm-model-communes/393-2004-08-31/2022", "2022",
         "nông thôn mới kiểu mẫu"),
        ("au/15379/2004-08-31", "Xã Vĩnh Hùng", "obs/target/ntm-advanced-communes/393-2004-08-31/2022", "2022",
         "nông thôn mới nâng cao"),
    }


def test_targets_of_a_commune_with_no_predecessor_targets(built_store):
    """Another 2025 commune of the old district (Xã Tây Đô, 15361) inherits none of the seed's commune targets."""
    rows = run(built_store, "bien-thuong-targets.rq", f"VALUES ?today {{ <{ID}au/15361/2025-07-01> }}")
    assert rows == []


def test_units_of_2019_that_no_longer_exist(built_store):
    rows = run(built_store, "units-2019-gone.rq")
    gone = {r["code"] for r in rows}
    assert len(gone) == 16  # every unit of Vĩnh Lộc on 2019-06-01 (units-on-date.rq: 16 on that day)
    by_code = {r["code"]: r for r in rows}
    assert by_code["15370"]["label"] == "Xã Vĩnh Minh" and by_code["15370"]["validThrough"] == "2019-11-30"
    assert by_code["15370"]["labelToday"] == "Xã Biện Thượng"
    assert by_code["15346"]["label"] == "Thị trấn Vĩnh Lộc" and by_code["15346"]["labelToday"] == "Xã Vĩnh Lộc"
    assert {r["code"] for r in rows if r["codeToday"] == "15382"} == {"15370", "15379", "15382", "15388", "15391"}
    assert {r["labelToday"] for r in rows} == {"Xã Biện Thượng", "Xã Vĩnh Lộc", "Xã Tây Đô"}


def test_units_of_2019_that_no_longer_exist_on_2021(built_store):
    """On 2021-12-22 the district had 13 units (units-on-date.rq): all ended on 2025-06-30."""
    rows = run(built_store, "units-2019-gone.rq", 'VALUES (?parentCode ?date) { ("393" "2021-12-22"^^xsd:date) }')
    assert len({r["code"] for r in rows}) == 13
    assert {r["validThrough"] for r in rows} == {"2025-06-30"}


def test_census_2019_codes_to_today(built_store):
    rows = run(built_store, "census-2019-to-2025.rq")
    assert [(r["code2019"], r["label2019"], r["today"], r["labelToday"]) for r in rows] == [
        ("00004", "Phường Trúc Bạch", "au/00004/2025-07-01", "Phường Ba Đình"),
        ("15370", "Xã Vĩnh Minh", "au/15382/2025-07-01", "Xã Biện Thượng"),
        ("15379", "Xã Vĩnh Hùng", "au/15382/2025-07-01", "Xã Biện Thượng"),
        ("15382", "Xã Vĩnh Tân", "au/15382/2025-07-01", "Xã Biện Thượng"),
        ("15388", "Xã Vĩnh Thịnh", "au/15382/2025-07-01", "Xã Biện Thượng"),
        ("15391", "Xã Vĩnh An", "au/15382/2025-07-01", "Xã Biện Thượng"),
    ]


def test_census_recipe_reaches_only_current_units(built_store):
    """Every unit the recipe returns is valid today (no schema:validThrough), and 15382 of 2019 is Vĩnh Tân, not
    the Minh Tân that bore the code from 2019-12-01."""
    rows = run(built_store, "census-2019-to-2025.rq", 'VALUES ?code2019 { "15382" "15346" }')
    assert {(r["unit2019"], r["labelToday"]) for r in rows} == {
        ("au/15382/2004-08-31", "Xã Biện Thượng"), ("au/15346/2004-08-31", "Xã Vĩnh Lộc")}
    for r in rows:
        ask = f"ASK {{ <{ID}{r['today']}> <http://schema.org/validThrough> ?t }}"
        assert not built_store.query(ask, use_default_graph_as_union=True)


@pytest.mark.parametrize("name", NEW)
def test_values_line_is_one_line(name):
    text = (QUERIES / name).read_text(encoding="utf-8")
    values = [line for line in text.splitlines() if line.strip().startswith("VALUES")]
    assert len(values) == 1 and re.search(r"VALUES .*\{.*\}", values[0]), name

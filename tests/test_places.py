"""Place reconciliation and search (vlkg.places) on the real registry: issue 9's "Done when" evaluation, every
input form, dates and successors, the no-date rules, ambiguity, and search."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from vlkg.places import Match, Places
from vlkg.text import fold, fold_key
from vlkg.units import Registry, UnitRecord

SEED = 20211222
CASES = 240

# Abbreviations of level words as people write them (the evaluation picks one at random).
_ABBREV = {"xa": ["X.", "x."], "phuong": ["P.", "p.", "P"], "thi-tran": ["TT.", "tt"], "dac-khu": ["đặc khu"],
           "huyen": ["H.", "h."], "quan": ["Q.", "q."], "thi-xa": ["TX.", "Tx"], "thanh-pho": ["TP.", "Tp"],
           "tinh": ["T.", "tỉnh"], "thanh-pho-tw": ["TP.", "Tp"]}
_WORDS = {"xa": 1, "phuong": 1, "thi-tran": 2, "dac-khu": 2, "huyen": 1, "quan": 1, "thi-xa": 2, "thanh-pho": 2,
          "tinh": 1, "thanh-pho-tw": 2}


@pytest.fixture(scope="module")
def places(registry) -> Places:
    return Places(registry)


def _code_on(registry: Registry, code: str, on: date) -> UnitRecord:
    return registry.at(code, on)


def _top(places: Places, text: str, **kw) -> Match:
    found = places.reconcile(text, **kw)
    assert found, f"nothing for {text!r} {kw}"
    return found[0]


# -- the "Done when" evaluation ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    text: str
    on: date
    expected: UnitRecord
    province: UnitRecord


def _written(rng: random.Random, r: UnitRecord, *, drop: float) -> str:
    """A unit's name as a person might write it: full, with an abbreviated level word, or without one."""
    words = r.name.split()
    n = _WORDS[r.unit_type]
    bare = " ".join(words[n:])
    numbered = bare.isdigit() or bare.split()[-1].isdigit()
    roll = rng.random()
    if roll < drop and not bare.isdigit():
        return bare
    if roll < drop + 0.3:
        return f"{rng.choice(_ABBREV[r.unit_type])} {bare}" if not numbered or rng.random() < 0.5 else r.name
    return r.name


def evaluation_cases(registry: Registry, n: int = CASES, seed: int = SEED) -> list[Case]:
    """`n` addresses generated from the registry: communes and districts of both eras (before and after the
    2025 reform), many provinces, each with its parent and province as they stood on a random day of its
    life; diacritics removed, NFD text, abbreviated or dropped level words, with or without commas."""
    rng = random.Random(seed)
    units = sorted((r for r in registry if r.level in ("commune", "district")), key=lambda r: r.iri.value)
    old = [r for r in units if r.valid_through is not None and r.level == "commune"]
    new = [r for r in units if r.valid_through is None]
    districts = [r for r in units if r.level == "district"]
    picks = rng.sample(old, n * 5 // 10) + rng.sample(new, n * 3 // 10) + rng.sample(districts, n - n * 8 // 10)
    cases = []
    for r in picks:
        start = r.valid_from or date(2004, 8, 31)
        end = r.valid_through or date(2026, 12, 31)
        on = start + timedelta(days=rng.randrange((end - start).days + 1))
        chain = registry.ancestors(r.iri, on)
        province = chain[-1]
        parts = [_written(rng, r, drop=0.35)]
        parent = chain[0] if len(chain) > 1 else None
        if parent is not None and rng.random() < 0.8:
            parts.append(_written(rng, parent, drop=0.5))
        parts.append(_written(rng, province, drop=0.6))
        sep = ", " if rng.random() < 0.7 else " "
        text = sep.join(parts)
        form = rng.random()
        if form < 0.4:
            text = fold(text)
        elif form < 0.65:
            text = unicodedata.normalize("NFD", text)
        if rng.random() < 0.3:
            text = text.lower()
        cases.append(Case(text, on, r, province))
    return cases


def _province_of(registry: Registry, r: UnitRecord) -> set[str]:
    """Folded names of every province the unit was in over its life (the unit itself if a province)."""
    if r.level == "province":
        return {fold_key(r.short)}
    out = set()
    stack = list(r.parents)
    while stack:
        p = registry.get(stack.pop())
        if p.level == "province":
            out.add(fold_key(p.short))
        stack.extend(p.parents)
    return out


def test_evaluation_top1_and_province(registry: Registry, places: Places) -> None:
    cases = evaluation_cases(registry)
    assert len(cases) >= 200
    assert len({c.province.code for c in cases}) >= 20
    assert sum(c.on >= date(2025, 7, 1) for c in cases) >= 40 and sum(c.on < date(2025, 7, 1) for c in cases) >= 100
    right, wrong_province, misses = 0, [], []
    for c in cases:
        found = places.reconcile(c.text, on=c.on)
        top = found[0] if found else None
        if top is not None and top.unit == c.expected:
            right += 1
        else:
            misses.append(f"{c.text!r} on {c.on}: expected {c.expected.name} ({c.expected.code}), got "
                          + (f"{top.unit.name} ({top.unit.code}, {top.score})" if top else "nothing"))
        if top is not None and fold_key(c.province.short) not in _province_of(registry, top.unit):
            wrong_province.append(f"{c.text!r} on {c.on}: {top.unit.name} ({top.unit.code}) is not in "
                                  f"{c.province.name}")
    share = right / len(cases)
    figures = (f"place reconciliation: {right}/{len(cases)} top-1 correct ({share:.1%}); "
               f"wrong-province first: {len(wrong_province)}")
    print("\n" + figures)
    for line in misses[:40]:
        print("  miss:", line)
    assert share >= 0.95 and not wrong_province, (
        figures + "\n" + "\n".join(wrong_province[:20] + misses[:20]))


# -- input forms --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa",
    "Xã Vĩnh Hùng, Huyện Vĩnh Lộc, Tỉnh Thanh Hóa",
    "X. Vĩnh Hùng, H. Vĩnh Lộc, T. Thanh Hóa",
    "xa Vinh Hùng, huyen Vinh Loc, Thanh Hoa",
    "Vĩnh Hùng Vĩnh Lộc Thanh Hóa",
    unicodedata.normalize("NFD", "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa"),
    "  XÃ VĨNH HÙNG ,HUYỆN VĨNH LỘC,  THANH HÓA ",
])
def test_forms_of_one_address(places: Places, registry: Registry, text: str) -> None:
    top = _top(places, text, on=date(2021, 12, 22))
    assert top.unit == _code_on(registry, "15379", date(2021, 12, 22))
    assert top.match, top
    assert "valid on 2021-12-22" in top.reasons


def test_reasons_name_the_context(places: Places) -> None:
    top = _top(places, "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa", on=date(2021, 12, 22))
    assert top.score == 100
    assert {"name", "level word", "parent Huyện Vĩnh Lộc", "province Tỉnh Thanh Hóa"} <= set(top.reasons)


def test_no_diacritics_no_level_words_is_ambiguous(places: Places) -> None:
    """'vinh hung vinh loc': Vĩnh Hùng and Vĩnh Hưng are both communes of Vĩnh Lộc: both, no match."""
    found = places.reconcile("vinh hung vinh loc", on=date(2021, 12, 22))
    assert {m.unit.code for m in found[:2]} == {"15379", "15367"}
    assert not found[0].match
    assert found[0].score == found[1].score


def test_diacritics_choose_between_folded_twins(places: Places) -> None:
    hung = _top(places, "Vĩnh Hưng, Vĩnh Lộc", on=date(2021, 12, 22))
    assert hung.unit.code == "15367" and hung.match


@pytest.mark.parametrize("text", ["TP. Thanh Hóa", "Tp Thanh Hoa", "thành phố Thanh Hóa"])
def test_city_abbreviation(places: Places, text: str) -> None:
    top = _top(places, text, on=date(2021, 12, 22))
    assert top.unit.name == "Thành phố Thanh Hóa" and top.unit.level == "district" and top.match


@pytest.mark.parametrize("text", ["Tp Hồ Chí Minh", "TP. HCM", "thanh pho ho chi minh", "TP.HCM"])
def test_ho_chi_minh_city(places: Places, text: str) -> None:
    top = _top(places, text)
    assert top.unit.code == "79" and top.unit.valid_through is None and top.match, top


@pytest.mark.parametrize("text", ["P. 5, Q. 3", "Phường 5, Quận 3", "Phường V, Quận 3", "P5, Q3", "p.5 q.3",
                                  "Phường 05, Quận 3, TP. Hồ Chí Minh", "phuong V quan III"])
def test_numbered_wards(places: Places, registry: Registry, text: str) -> None:
    top = _top(places, text, on=date(2021, 12, 22))
    assert top.unit == _code_on(registry, "27151", date(2021, 12, 22)) and top.match, top


def test_roman_numerals_in_names(places: Places) -> None:
    top = _top(places, "Phường Hải Châu 2, Hải Châu, Đà Nẵng", on=date(2021, 12, 22))
    assert top.unit.name == "Phường Hải Châu II", top


def test_old_name_on_a_later_date(places: Places) -> None:
    """Xã Vĩnh Tân became Xã Minh Tân (same code) on 2019-12-01: asked for 2021, the answer is Minh Tân."""
    top = _top(places, "xã Vĩnh Tân, huyện Vĩnh Lộc", on=date(2021, 12, 22))
    assert top.unit.name == "Xã Minh Tân" and top.successor_of is not None
    assert top.successor_of.name == "Xã Vĩnh Tân"
    assert "successor of Xã Vĩnh Tân (15382) on 2021-12-22" in top.reasons


def test_old_name_on_its_own_date(places: Places) -> None:
    top = _top(places, "xã Vĩnh Tân, huyện Vĩnh Lộc", on=date(2010, 1, 1))
    assert top.unit.name == "Xã Vĩnh Tân" and top.successor_of is None and top.match


def test_successor_after_the_reform(places: Places, registry: Registry) -> None:
    top = _top(places, "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa", on=date(2026, 1, 1))
    assert top.unit.name == "Xã Biện Thượng" and top.unit.valid_through is None
    assert top.successor_of == registry.by_code("15379")[-1]
    assert "successor of Xã Vĩnh Hùng (15379) on 2026-01-01" in top.reasons
    assert top.match


def test_name_before_it_existed_lists_its_predecessors(places: Places) -> None:
    """Xã Biện Thượng (2025) asked for 2021: the communes it was formed from, none a match."""
    found = places.reconcile("xã Biện Thượng, Thanh Hóa", on=date(2021, 12, 22))
    formed_from = [m for m in found if "predecessor of Xã Biện Thượng (15382) on 2021-12-22" in m.reasons]
    assert {m.unit.name for m in formed_from} >= {"Xã Minh Tân", "Xã Vĩnh Hùng"}
    assert found[0] in formed_from and not any(m.match for m in found)


@pytest.mark.parametrize(("code", "on", "name"), [
    ("15382", date(2010, 1, 1), "Xã Vĩnh Tân"), ("15382", date(2021, 12, 22), "Xã Minh Tân"),
    ("15382", date(2026, 1, 1), "Xã Biện Thượng")])
def test_bare_code_with_a_date(places: Places, code: str, on: date, name: str) -> None:
    top = _top(places, code, on=on)
    assert top.unit.name == name and top.unit.code == code and top.match
    assert f"code {code}" in top.reasons


def test_ended_code_with_a_later_date(places: Places) -> None:
    top = _top(places, "15379", on=date(2026, 1, 1))
    assert top.unit.name == "Xã Biện Thượng" and top.successor_of.code == "15379"


def test_bare_code_without_a_date_lists_every_version(places: Places) -> None:
    found = places.reconcile("15382")
    assert [m.unit.name for m in found] == ["Xã Biện Thượng", "Xã Minh Tân", "Xã Vĩnh Tân"]


def test_a_datetime_counts_as_its_day(places: Places) -> None:
    from datetime import datetime

    assert _top(places, "15382", on=datetime(2021, 12, 22, 8, 30)).unit.name == "Xã Minh Tân"
    assert places.search("minh tan", on=datetime(2021, 12, 22, 8, 30))


def test_unknown_inputs(places: Places) -> None:
    assert places.reconcile("") == []
    assert places.reconcile("99999", on=date(2021, 1, 1)) == []
    assert all(not m.match for m in places.reconcile("zzzz qqqq"))


@pytest.mark.parametrize(("text", "note"), [
    ("Thôn Đông, xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa", "ignored 'thôn đông'"),
    ("Thanh Hóa, Vĩnh Lộc, Vĩnh Hùng", "read largest unit first"),
    ("Tỉnh Thanh Hóa, huyện Vĩnh Lộc, xã Vĩnh Hùng", "read largest unit first"),
])
def test_address_with_more_or_in_reverse(places: Places, text: str, note: str) -> None:
    top = _top(places, text, on=date(2021, 12, 22))
    assert top.unit.code == "15379" and top.match and note in top.reasons


def test_street_address(places: Places, registry: Registry) -> None:
    top = _top(places, "12 Lê Lợi, P. 5, Q. 3, TP.HCM", on=date(2021, 12, 22))
    assert top.unit == _code_on(registry, "27151", date(2021, 12, 22)) and top.match


def test_misspelt_name_is_close_not_a_match(places: Places) -> None:
    found = places.reconcile("Vinh Hungg, Vinh Loc", on=date(2021, 12, 22))
    assert {m.unit.code for m in found[:2]} == {"15379", "15367"} and not found[0].match
    assert found[0].reasons[0].startswith("name close to")


# -- without a date ---------------------------------------------------------------------------------------------
def test_no_date_district_means_pre_reform(places: Places) -> None:
    top = _top(places, "xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa")
    assert top.unit.code == "15379" and top.unit.valid_through == date(2025, 6, 30) and top.match
    assert any("pre-reform" in r for r in top.reasons)


def test_no_date_district_latest_pre_reform_version(places: Places) -> None:
    top = _top(places, "P. 5, Q. 3")
    assert top.unit.code == "27151" and top.unit.valid_through == date(2025, 6, 30) and top.match


def test_no_date_commune_and_province_prefers_current(places: Places) -> None:
    """Xã Minh Tân of Hà Giang (00919) is a unit today; a 2025 name with its province gives today's version."""
    found = places.reconcile("Xã Biện Thượng, Thanh Hóa")
    assert found[0].unit.valid_through is None and found[0].match
    current = places.reconcile("Minh Tân, Tuyên Quang")
    assert current[0].unit.valid_through is None and current[0].unit.code == "00919", current[0]


def test_no_date_province_prefers_current(places: Places) -> None:
    top = _top(places, "Tỉnh Thanh Hóa")
    assert top.unit.code == "38" and top.unit.valid_through is None and top.match


# -- ambiguity and provinces ---------------------------------------------------------------------------------------
def test_ambiguous_name_lists_candidates_without_match(places: Places) -> None:
    found = places.reconcile("Minh Tân", on=date(2021, 12, 22), limit=10)
    assert len(found) == 10 and not any(m.match for m in found)
    assert len({m.unit.code for m in found}) == 10


def test_province_keyword_puts_right_province_first(places: Places) -> None:
    found = places.reconcile("Minh Tân", on=date(2021, 12, 22), province="Thanh Hóa", limit=10)
    assert found[0].unit.code == "15382" and found[0].match
    assert "province Tỉnh Thanh Hóa" in found[0].reasons


def test_match_looks_past_the_limit(places: Places) -> None:
    """limit=1 shows one candidate, but match still says whether a close runner-up exists."""
    assert not places.reconcile("vinh hung vinh loc", on=date(2021, 12, 22), limit=1)[0].match
    assert not places.search("minh tan", limit=1)[0].match
    assert places.reconcile("xã Vĩnh Hùng, huyện Vĩnh Lộc", on=date(2021, 12, 22), limit=1)[0].match


def test_wrong_province_never_first(places: Places) -> None:
    """Xã Vĩnh Hùng exists only in Thanh Hóa: asked in Long An, a Long An unit comes first, without a match."""
    found = places.reconcile("xã Vĩnh Hùng, Long An", on=date(2021, 12, 22))
    assert found and not found[0].match
    assert "province Tỉnh Long An" in found[0].reasons, found[0]


def test_parent_and_level_keywords(places: Places) -> None:
    top = _top(places, "Vĩnh Hùng", on=date(2021, 12, 22), parent="Vĩnh Lộc", level="commune")
    assert top.unit.code == "15379" and top.match
    assert places.reconcile("Vĩnh Lộc", on=date(2021, 12, 22), level="district")[0].unit.code == "393"
    with pytest.raises(ValueError, match="level"):
        places.reconcile("Vĩnh Lộc", level="ward")


def test_lookup_stays_strict(registry: Registry) -> None:
    from vlkg.units import ResolutionError

    with pytest.raises(ResolutionError, match="ambiguous"):
        registry.lookup("Xã Minh Tân", on=date(2021, 12, 22))


# -- search -----------------------------------------------------------------------------------------------------
def test_search_prefix_finds_both_spellings(places: Places) -> None:
    names = {m.unit.short for m in places.search("vinh hu", limit=200)}
    assert {"Vĩnh Hùng", "Vĩnh Hưng"} <= names


@pytest.mark.parametrize("q", ["Đông Hưng", "dong hung", "DONG HUNG", unicodedata.normalize("NFD", "Đông Hưng"),
                               "đông hư"])
def test_search_is_diacritic_and_normalisation_insensitive(places: Places, q: str) -> None:
    found = places.search(q, limit=50)
    assert fold_key(found[0].unit.short) == "dong hung"
    for m in found:
        words = fold_key(m.unit.short).split()
        assert "dong" in words and any(w.startswith("hu") for w in words), m.unit.name


def test_search_ranks_current_first(places: Places) -> None:
    found = places.search("Thanh Hóa", limit=5)
    assert found[0].unit.code == "38" and found[0].unit.valid_through is None


def test_search_on_a_date(places: Places) -> None:
    found = places.search("minh tan", on=date(2021, 12, 22), limit=50)
    assert found and found[0].unit.valid_on(date(2021, 12, 22))
    assert any(m.unit.code == "15382" for m in found)


def test_search_exact_name_beats_longer_names(places: Places) -> None:
    found = places.search("ha noi", limit=3)
    assert found[0].unit.short == "Hà Nội" and found[0].unit.valid_through is None


def test_search_empty(places: Places) -> None:
    assert places.search("") == [] and places.search("   ") == []

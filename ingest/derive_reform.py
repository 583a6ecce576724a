"""Derive the 2025 commune reform from its primary documents: which old communes formed each new one.

Reads the 34 resolutions of the National Assembly Standing Committee (one per new province, Markdown
conversions kept by dvhcvn/20250701), the official 2025 code list (Công văn 1027/CTK-CSCL) and the 34
province codes (915/CTK-CSCL); resolves every clause's old unit names against the pre-reform register of
`vietnamadminunits` (`admin_units_legacy`) and writes a small reviewed dataset under data/:

  sources/reform-2025/   the documents, byte for byte (quotes are offsets into these copies)
  registry/reform-2025.csv            one row per 2025 commune: its clause, quoted at code-point offsets
  registry/communes-2025.csv          the 1027 list; registry/provinces-2025.csv the 915 list
  registry/reform-2025-disagreements.csv  old communes whose successors differ in the package or mapping
  registry/reform-2025-report.json    counts and examples

A few names cannot be read from the text alone (a namesake with no qualifier); those are settled in the
reviewed table registry/reform-2025-overrides.csv, never in code.

    python -m vlkg.ingest.derive_reform --shared ../shared --out data
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vlkg.ingest.registry_source import _data_file  # the installed package's data/ folder
from vlkg.text import fold_key

REFORM_DIR = "reference/reform-2025"
RESOLUTIONS = [f"{n}_NQ-UBTVQH15.md" for n in range(1654, 1688)]
CODE_LIST = "1027_CTK-CSCL.md"
PROVINCE_LIST = "915_CTK-CSCL.csv"
COPIED = [*RESOLUTIONS, CODE_LIST, PROVINCE_LIST, "LICENSE"]
OVERRIDES = "reform-2025-overrides.csv"
NEW_TYPES = {"xã": "xa", "phường": "phuong", "đặc khu": "dac-khu"}
EXAMPLES = 5  # examples per kind in the report


# --------------------------------------------------------------------------------------------- text


def clean(text: str) -> str:
    """Clause text for parsing (never for quoting): NFC, Markdown marks gone, glued words split."""
    t = unicodedata.normalize("NFC", text)
    t = re.sub(r"<br\s*/?>", " ", t)
    t = t.replace("\\", "").replace("*", "").replace("\u00a0", " ")
    t = " ".join(t.split())
    # The conversion lost spaces around some words ("Yên Thổthành xã mới", "gọilàxã", "củathị trấn",
    # "vàcác xã", "cácxã"): put them back around the clause's few function words.
    t = re.sub(r"\s*thành\s*(xã|phường|đặc khu)\s*(mới\s*)?có\s*tên\s*gọi\s*là\s*", r" thành \1 \2có tên gọi là ", t)
    t = re.sub(r"\b(các)(?=xã|phường|thị trấn)", r"\1 ", t)
    t = re.sub(r"(?<=[^\s(])(của|và|sau khi sắp xếp|tại)", r" \1", t)
    t = re.sub(r"\b(của|và|tại)(?=các|xã|phường|thị|khoản|một|phần|toàn|huyện|[A-ZĐÂĂÊÔƠƯÀÁẠẢÃ])", r"\1 ", t)
    t = re.sub(r"(?<=[a-zà-ỹđ])(xã|phường)(?=\s+[A-ZĐÀ-Ỹ])", r" \1", t)
    t = re.sub(r"\b(xã|phường|trấn|khu)(?=[A-ZĐÂĂÊÔƠƯ])", r"\1 ", t)
    t = re.sub(r"(?<=\w)\(", " (", t)
    t = re.sub(r"\)(?=\w)", ") ", t)
    return " ".join(t.split())


def name_key(name: str) -> str:
    """Exact comparison key: NFC, lower case, spacing and dashes collapsed."""
    t = unicodedata.normalize("NFC", name).lower().replace("\u2013", "-").replace("\u2014", "-")
    return " ".join(t.replace(" - ", "-").split())


def loose_key(name: str) -> str:
    """Diacritic-, space- and punctuation-insensitive key ('Chơ GLong' ~ 'Chơ Long' do not match; 'Đăk' ~ 'Đắk' do)."""
    return re.sub(r"[^a-z0-9]", "", fold_key(name)).replace("y", "i")  # Quí/Quý


# ----------------------------------------------------------------------------------------- registers


@dataclass(frozen=True)
class OldUnit:
    """A pre-reform commune (5-digit code) or a commune-less island district (3-digit code)."""

    code: str
    name: str  # full name: "Xã Minh Tân"
    short: str  # "Minh Tân"; "Phường 1" keeps its word
    type_word: str  # "xã" | "phường" | "thị trấn" | "huyện"
    province: str
    district: str
    district_name: str


@dataclass(frozen=True)
class NewUnit:
    """A 2025 commune of the 1027 list."""

    code: str
    name: str  # "Xã Biện Thượng"
    type: str  # xa | phuong | dac-khu
    province: str


def read_legacy() -> tuple[list[OldUnit], dict[str, list[str]], dict[str, str]]:
    """Old units, new province code -> old province codes (the package's province table), and
    old district code -> full district name."""
    con = sqlite3.connect(f"{_data_file('dataset.db').as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        rows = con.execute("SELECT provinceCode, provinceKey, districtCode, district, wardCode, ward, wardType "
                           "FROM admin_units_legacy ORDER BY wardCode, districtCode").fetchall()
        new_rows = con.execute("SELECT DISTINCT provinceCode, provinceKey FROM admin_units").fetchall()
    finally:
        con.close()
    converter = json.loads(_data_file("converter_2025.json").read_text(encoding="utf-8"))
    old_by_key = {r[1]: r[0] for r in rows}
    new_by_key = dict((k, c) for c, k in new_rows)
    merged = {new_by_key[k]: sorted(old_by_key[o] for o in olds) for k, olds in converter["DICT_PROVINCE"].items()}
    units, districts = [], {}
    for pcode, _pkey, dcode, dname, wcode, wname, wtype in rows:
        districts[dcode] = unicodedata.normalize("NFC", dname)
        if wcode is None:  # an island district without communes (it becomes a special zone)
            full = unicodedata.normalize("NFC", dname)
            units.append(OldUnit(dcode, full, full.split(" ", 1)[1], "huyện", pcode, dcode, full))
            continue
        full = " ".join(unicodedata.normalize("NFC", wname).split())
        # The level word of the name, not the wardType column: that column calls Thị trấn Ngọc Lặc a "Xã".
        word = next((w for w in ("thị trấn", "phường", "xã") if full.lower().startswith(w + " ")),
                    unicodedata.normalize("NFC", wtype or "").lower())
        rest = full[len(word) + 1:] if full.lower().startswith(word + " ") else full
        short = full if rest.isdigit() else rest
        units.append(OldUnit(wcode, full, short, word, pcode, dcode, districts[dcode]))
    return units, merged, districts


def read_code_list(path: Path, provinces: list[tuple[str, str]]) -> list[NewUnit]:
    """The 3,321 communes of Công văn 1027 (table rows across page breaks; `<br>` inside names). The
    province is the section heading row above ("TỈNH THANH HÓA"): the last column is spelt many ways."""
    by_name = {fold_key(_province_short(n)): c for c, n in provinces}
    out, province = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [" ".join(re.sub(r"<br\s*/?>", " ", c).split()) for c in line.strip().strip("|").split("|")]
        if len(cells) < 4:
            continue
        if not cells[1] and cells[2].isupper():
            province = by_name[fold_key(_province_short(cells[2]))]
        if not re.fullmatch(r"\d{5}", cells[1]) or province is None:
            continue
        name = unicodedata.normalize("NFC", cells[2])
        word = next(w for w in ("Đặc khu", "Phường", "Xã") if name.startswith(w + " "))
        out.append(NewUnit(cells[1], name, NEW_TYPES[word.lower()], province))
    return sorted(out, key=lambda u: u.code)


def read_provinces(path: Path) -> list[tuple[str, str]]:
    """(code, name) of the 34 provinces of Công văn 915."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return [(r[1].strip(), unicodedata.normalize("NFC", r[2].strip())) for r in rows[1:] if r]


def _province_short(name: str) -> str:
    return re.sub(r"^(Tỉnh|Thành phố|Tp)\.?\s+", "", unicodedata.normalize("NFC", name).strip(), flags=re.IGNORECASE)


# ------------------------------------------------------------------------------------------- clauses


@dataclass
class Item:
    """One old unit named in a clause."""

    text: str  # as read: "xã Minh Sơn (huyện Triệu Sơn)"
    name: str
    type_word: str
    qualifier: str | None
    partial: bool
    candidates: list[str] = field(default_factory=list)
    code: str | None = None
    how: str = ""  # which rule settled the name
    no_unit: bool = False  # reviewed: names land that was no commune (a firing range, alluvial land)


@dataclass
class Clause:
    """One numbered clause of Điều 1 of a resolution."""

    resolution: str  # "1686/NQ-UBTVQH15"
    file: str
    number: int
    start: int
    end: int
    quote: str
    kind: str  # merge | rename | summary | other
    province: str  # new province code
    new_name: str = ""  # "Xã Biện Thượng"
    new_type: str = ""
    new_code: str | None = None
    items: list[Item] = field(default_factory=list)


_SECTION = re.compile(r"(?m)^\W*Điều\s+1\.")
_SECTION_END = re.compile(r"(?m)^\W*Điều\s+2\.")
_CLAUSE = re.compile(r"(?m)^[ \t\u00a0]*\**(\d+)\\?\.\**[ \t\u00a0]*(?=[A-ZĐ*])")
_FORMS = re.compile(r"\s*thành\s+(xã|phường|đặc khu)\s+(?:mới\s+)?(?:có tên gọi\s+là\s+)?(.+?)\.?$")
_RENAME = re.compile(r"^Đổi tên\s+(xã|phường|thị trấn)\s+(.+?)\s+thành\s+(xã|phường)\s+(.+?)\.?$")
_KEPT = re.compile(r"không thực hiện sắp xếp\s+là\s+(.+?)\.?$")
# "toàn bộ diện tích tự nhiên, quy mô dân số của", "một phần diện tích tự nhiên của", "phần còn lại của",
# and the variants the texts really use ("… quy mô dân của", "bộ diện tích …", "toàn bộ xã Thuận An").
_MARKER = re.compile(r"(?:(?:toàn bộ|một phần|bộ)(?:\s+(?:diện tích|quy mô)(?:(?!của)[^.;])*?dân(?: số)?"
                     r"|\s+diện tích(?: tự nhiên)?)?|phần(?: quy mô dân số| diện tích)? còn lại)\s+(?:(?:của)\s+)*")
# "sau khi sắp xếp theo quy định tại (các) khoản 30, 33, 34 (và khoản 35) (Điều này)": "Điều này" is
# sometimes left out, so the phrase ends at its last number, never at a later clause's "Điều này".
_AFTER = re.compile(r"\s*sau khi (?:thực hiện )?sắp xếp(?:\s+theo)?\s+quy định tại\s+(?:các\s+)?khoản\s*\d+"
                    r"(?:\s*(?:,|và)\s*(?:khoản\s*)?\d+)*(?:\s+(?:của\s+)?Điều này)?")
_TYPED = re.compile(r"^(?:các\s+)?(xã|phường|thị trấn|huyện)\s+(.*)$", re.IGNORECASE)
_QUALIFIED = re.compile(r"^(.*?)\s*\(([^()]*)\)$")


def nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """`text` in NFC and, for every NFC offset (and the end), the offset in `text` it comes from.

    The conversions mix NFC with decomposed letters ("Điều" spelt with a combining grave), so searching
    must run on NFC while quotes keep the file's own code points."""
    out: list[str] = []
    where: list[int] = []
    for m in re.finditer(r".[\u0300-\u036f]*", text, re.S):
        piece = unicodedata.normalize("NFC", m.group(0))
        out.append(piece)
        where.extend([m.start()] * len(piece))
    where.append(len(text))
    return "".join(out), where


def read_resolution(path: Path, province: str) -> list[Clause]:
    """Every numbered clause of Điều 1, with its exact span in the file's text."""
    raw = path.read_text(encoding="utf-8")
    text, where = nfc_with_offsets(raw)
    a = _SECTION.search(text)
    b = _SECTION_END.search(text, a.end()) if a else None
    if not a or not b:
        raise ValueError(f"{path.name}: no Điều 1 … Điều 2 section")
    number = path.name.split("_")[0]
    starts = list(_CLAUSE.finditer(text, a.end(), b.start()))
    clauses = []
    for i, m in enumerate(starts):
        block = text[m.start():starts[i + 1].start() if i + 1 < len(starts) else b.start()]
        end = m.start() + block.rfind(".") + 1  # through the clause's final period
        start_raw, end_raw = where[m.start(1)], where[end]  # from the clause number, not its indent
        clauses.append(_parse(Clause(f"{number}/NQ-UBTVQH15", path.name, int(m.group(1)), start_raw, end_raw,
                                     raw[start_raw:end_raw], "other", province), clean(text[m.end():end])))
    return clauses


def _parse(c: Clause, body: str) -> Clause:
    if m := _RENAME.match(body):
        c.kind, c.new_type = "rename", NEW_TYPES[m.group(3)]
        c.new_name = f"{m.group(3).capitalize()} {m.group(4)}"
        c.items = [Item(f"{m.group(1)} {m.group(2)}", m.group(2), m.group(1), None, False)]
        return c
    if body.startswith("Sau khi sắp xếp"):  # the province's totals, and the units kept as they were
        c.kind = "summary"
        c.items = _items(m.group(1), partial=False) if (m := _KEPT.search(body)) else []
        return c
    if (m := _FORMS.search(body)) and body.startswith(("Sắp xếp", "Nhập")):
        c.kind, c.new_type = "merge", NEW_TYPES[m.group(1)]
        new = re.sub(r"^(là\s+)?", "", m.group(2)).strip()
        new = re.sub(r"^(xã|phường|đặc khu|đặc khu)\s*", "", new, flags=re.IGNORECASE)
        c.new_name = f"{m.group(1).capitalize()} {new}"
        # "phần còn lại của X … sau khi sắp xếp theo quy định tại khoản N Điều này" closes the remainder:
        # names after it ("… Điều này và xã Phong Quang") are taken like those before the remainder.
        src = _AFTER.sub(" \x02 ", body[:m.start()])
        marks = list(_MARKER.finditer(src))
        base = False
        for i, mk in enumerate(marks):
            seg = src[mk.end():marks[i + 1].start() if i + 1 < len(marks) else len(src)]
            words = mk.group(0)
            # Partial: "một phần", "phần còn lại", or only one of area and population ("toàn bộ diện tích
            # tự nhiên của xã Kỳ Lợi": its people go to another unit).
            partial = "một phần" in words or "còn lại" in words or (("diện tích" in words) != ("quy mô" in words))
            remainder, _, after = seg.partition("\x02")
            c.items += _items(remainder, partial)
            if "còn lại" not in words:
                base = partial
            for rest in after.split("\x02"):
                c.items += _items(rest, base)
    return c


def _items(seg: str, partial: bool) -> list[Item]:
    """'các xã Hà Đông, Hà Ngọc, Yến Sơn và thị trấn Hà Trung (huyện Hà Trung),' -> items; a level word
    carries on to the names after it until another one is given."""
    protected = re.sub(r"\(([^()]*)\)", lambda m: "(" + m.group(1).replace(",", "\x00").replace(" ", "\x01") + ")", seg)
    out: list[Item] = []
    word = "xã"
    # A lower-case level word always opens a new name, even where a comma was lost.
    for piece in re.split(r",|\s+và\s+|;|(?<!các)\s+(?=(?:các\s+)?(?:xã|phường|thị trấn)\s)", protected):
        raw = piece.replace("\x00", ",").replace("\x01", " ")
        part = raw.strip().strip(",").strip()
        if not part:
            continue
        if part.lower() in ("xã", "phường", "thị trấn", "các xã", "các phường"):  # "của xã xã Đông Hưng"
            word = part.lower().removeprefix("các ")
            continue
        if m := _TYPED.match(part):
            word, part = m.group(1).lower(), m.group(2).strip()
        qualifier = None
        if m := _QUALIFIED.match(part):
            part, qualifier = m.group(1).strip(), m.group(2).strip()
        if part:
            out.append(Item(raw.strip(), part, word, qualifier, partial))
    return out


# ----------------------------------------------------------------------------------------- resolving


@dataclass(frozen=True)
class Override:
    """A reviewed decision for one name of one clause (registry/reform-2025-overrides.csv)."""

    resolution: str
    clause: int
    name: str
    code: str
    reason: str


def read_overrides(path: Path) -> dict[tuple[str, int, str], Override]:
    """The reviewed table, keyed by (resolution, clause, folded name)."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = [Override(r["resolution"], int(r["clause"]), r["name"], r["code"], r["reason"])
                for r in csv.DictReader(f)]
    return {(o.resolution, o.clause, fold_key(o.name)): o for o in rows}


class OldIndex:
    """Old units of a set of old provinces, by name."""

    def __init__(self, units: list[OldUnit]) -> None:
        self.exact: dict[str, list[OldUnit]] = defaultdict(list)
        self.loose: dict[str, list[OldUnit]] = defaultdict(list)
        for u in units:
            keys = {u.short, u.name[len(u.type_word) + 1:]} if u.type_word != "huyện" else {u.short}
            if u.short.lower().startswith(u.type_word + " "):  # "Phường Phường Đúc" is called "Phường Đúc"
                keys.add(u.short[len(u.type_word) + 1:])
            for key in keys:
                self.exact[name_key(key)].append(u)
                self.loose[loose_key(key)].append(u)

    def find(self, name: str, type_word: str) -> tuple[list[OldUnit], str]:
        """Units called `name`: spelt alike first, then ignoring diacritics and spacing; the level word
        narrows the list only when it leaves someone (a few units changed type before the register)."""
        names = [name]
        if re.fullmatch(r"[IVX]+", name):  # Vị Thanh keeps "Phường IV"; Tây Ninh's is "Phường 4" in the register
            names.append(str(_roman(name)))
        names = [f"{type_word} {n}" if n.isdigit() else n for n in names]
        for how, hits in [(how, self.exact.get(name_key(n), []) if how == "exact" else self.loose.get(loose_key(n), []))
                          for n in names for how in ("exact", "folded")]:
            hits = list(dict.fromkeys(hits))
            if hits:
                typed = [u for u in hits if u.type_word == type_word]
                return (typed, how) if typed else (hits, how + ", other level word")
        return [], "not found"


def _roman(numeral: str) -> int:
    values = [{"I": 1, "V": 5, "X": 10}[ch] for ch in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _qualify(cands: list[OldUnit], qualifier: str, districts: dict[str, str]) -> list[OldUnit]:
    """Narrow namesakes with '(huyện Triệu Sơn)', '(thành phố Thanh Hóa)', '(Quận 8)', '(tỉnh …)'."""
    q = fold_key(qualifier)
    by_district = [u for u in cands if fold_key(u.district_name) == q]
    if by_district:
        return by_district
    loose = loose_key(re.sub(r"^(huyện|quận|thị xã|thành phố|tỉnh)\s+", "", qualifier, flags=re.IGNORECASE))
    return [u for u in cands if loose_key(re.sub(r"^(Huyện|Quận|Thị xã|Thành phố)\s+", "", u.district_name)) == loose]


def resolve_items(clauses: list[Clause], units_by_province: dict[str, list[OldUnit]], merged: dict[str, list[str]],
                  districts: dict[str, str], overrides: dict[tuple[str, int, str], Override],
                  units: dict[str, OldUnit]) -> None:
    """Give every item its old code: by name and qualifier, then by the clause's own districts, then by
    elimination (a namesake already formed wholly into another unit), then by a reviewed override."""
    indexes: dict[str, OldIndex] = {}
    for c in clauses:
        if c.province not in indexes:
            indexes[c.province] = OldIndex([u for p in merged[c.province] for u in units_by_province[p]])
        index = indexes[c.province]
        items: list[Item] = []
        for it in c.items:
            found, how = index.find(it.name, it.type_word)
            if it.qualifier and len(found) > 1:
                narrowed = _qualify(found, it.qualifier, districts)
                if narrowed:
                    found, how = narrowed, how + ", qualifier"
            it.candidates = [u.code for u in found]
            if len(found) == 1:
                it.code, it.how = found[0].code, how
            if o := overrides.get((c.resolution, c.number, fold_key(it.name))):
                it.code, it.how, it.no_unit = o.code or None, "reviewed override", not o.code
            if it.type_word == "huyện" and it.code is None:
                # An island district with communes (huyện Kiên Hải) stands for all of them.
                members = _district_members(it.name, merged[c.province], units_by_province)
                items += [Item(it.text, u.short, u.type_word, it.qualifier, it.partial, [u.code], u.code,
                               "all communes of the district") for u in members]
                if members:
                    continue
            items.append(it)
        c.items = items
    # A clause's namesakes share its districts: "các phường Đông Sơn, Lam Sơn và Ba Đình (thị xã Bỉm Sơn)".
    for c in clauses:
        named = {fold_key(it.qualifier) for it in c.items if it.qualifier}
        own = {units[it.code].district for it in c.items if it.code}
        for it in c.items:
            if it.code or len(it.candidates) < 2:
                continue
            near = [k for k in it.candidates if fold_key(units[k].district_name) in named] or \
                   [k for k in it.candidates if units[k].district in own]
            if len(near) == 1:
                it.code, it.how = near[0], "namesake: district of the clause's other units"
    # Elimination: a unit formed wholly into one new unit is not the namesake another clause means.
    changed = True
    while changed:
        changed = False
        whole = Counter(it.code for c in clauses for it in c.items if it.code and not it.partial)
        for c in clauses:
            for it in c.items:
                if it.code or len(it.candidates) < 2:
                    continue
                left = [k for k in it.candidates if not whole[k]]
                if len(left) == 1:
                    it.code, it.how, changed = left[0], "namesake: the others are formed elsewhere", True


def _district_members(name: str, provinces: list[str], units_by_province: dict[str, list[OldUnit]]) -> list[OldUnit]:
    key = loose_key(name)
    return [u for p in provinces for u in units_by_province[p]
            if u.type_word != "huyện" and loose_key(re.sub(r"^Huyện\s+", "", u.district_name)) == key]


def resolve_new(clauses: list[Clause], new_units: list[NewUnit]) -> None:
    """The 1027 code of each clause's new unit: same province and name, spelt alike first, then folded
    (folding alone would merge Sơn Hà and Sơn Hạ, two communes of one province)."""
    exact: dict[tuple[str, str], list[NewUnit]] = defaultdict(list)
    loose: dict[tuple[str, str], list[NewUnit]] = defaultdict(list)
    for u in new_units:
        exact[(u.province, name_key(u.name))].append(u)
        loose[(u.province, loose_key(u.name))].append(u)
    for c in clauses:
        if c.kind in ("merge", "rename"):
            hits = exact.get((c.province, name_key(c.new_name))) or loose.get((c.province, loose_key(c.new_name)), [])
            if len(hits) == 1:
                c.new_code = hits[0].code


# ------------------------------------------------------------------------------------------ assembly


@dataclass
class Row:
    """One 2025 commune and the clause that formed it (or kept it)."""

    new: NewUnit
    clause: Clause
    old: list[str]
    partial: list[str]


def _code_order(code: str) -> tuple[int, str]:
    return (len(code), code)


def _province_of_resolution(text: str, provinces: list[tuple[str, str]]) -> str:
    """The new province a resolution arranges, from its title ("… CẤP XÃ CỦA TỈNH THANH HÓA NĂM 2025")."""
    title = " ".join(unicodedata.normalize("NFC", text).split())
    m = re.search(r"CẤP XÃ CỦA\s+(?:TỈNH|THÀNH PHỐ)\s+(.+?)\s+NĂM 2025", title)
    by_name = {fold_key(_province_short(n)): c for c, n in provinces}
    if not m or fold_key(m.group(1)) not in by_name:
        raise ValueError("no province in the resolution's title")
    return by_name[fold_key(m.group(1))]


def build_rows(clauses: list[Clause], new_units: list[NewUnit], units: dict[str, OldUnit],
               report: dict[str, Any]) -> list[Row]:
    """One row per 2025 commune; units kept as they were take the province's summary clause."""
    by_code = {u.code: u for u in new_units}
    exact: dict[tuple[str, str], list[NewUnit]] = defaultdict(list)
    loose: dict[tuple[str, str], list[NewUnit]] = defaultdict(list)
    for u in new_units:
        exact[(u.province, name_key(u.name))].append(u)
        loose[(u.province, loose_key(u.name))].append(u)
    rows: dict[str, list[Row]] = defaultdict(list)
    problems: dict[str, list[str]] = defaultdict(list)
    for c in clauses:
        where = f"{c.resolution} khoản {c.number}"
        if c.kind in ("merge", "rename"):
            if c.new_code is None:
                problems["clauses whose new unit is not in the 1027 list"].append(f"{where}: {c.new_name}")
                continue
            old = sorted({it.code for it in c.items if it.code}, key=_code_order)
            part = sorted({it.code for it in c.items if it.code and it.partial}, key=_code_order)
            rows[c.new_code].append(Row(by_code[c.new_code], c, old, part))
        elif c.kind == "summary":
            for it in c.items:
                if not it.code:
                    continue
                u = units[it.code]
                # Kept as it was: the 1027 unit of the name the clause gives (or the register's), else of
                # the same code (a kept unit keeps its code).
                hits = []
                for name in (f"{it.type_word} {it.name}", u.name):
                    hits = hits or exact.get((c.province, name_key(name)), []) or loose.get(
                        (c.province, loose_key(name)), [])
                if len(hits) != 1 and it.code in by_code:
                    hits = [by_code[it.code]]
                if len(hits) != 1:
                    problems["units kept unchanged with no single 1027 namesake"].append(f"{where}: {u.name}")
                    continue
                rows[hits[0].code].append(Row(hits[0], c, [it.code], []))
        elif c.kind == "other":
            problems["clauses of an unknown form"].append(f"{where}: {clean(c.quote)[:120]}")
    for c in clauses:
        for it in c.items:
            if it.code is None and not it.no_unit:
                problems["old unit names not resolved"].append(
                    f"{c.resolution} khoản {c.number}: {it.text!r} (candidates: {' '.join(it.candidates) or 'none'})")
    out = []
    for code, rs in sorted(rows.items()):
        if len(rs) > 1:
            problems["2025 communes formed by several clauses (first kept)"].append(
                f"{code} {rs[0].new.name}: " + ", ".join(f"{r.clause.resolution} khoản {r.clause.number}" for r in rs))
        out.append(rs[0])
    covered = set(rows)
    for u in new_units:
        if u.code not in covered:
            problems["2025 communes with no clause"].append(f"{u.code} {u.name}")
    report["problems"] = {k: {"count": len(v), "examples": v} for k, v in sorted(problems.items())}
    return out


# -------------------------------------------------------------------------------------- cross-checks


def converter_successors() -> dict[str, set[str]]:
    """Old code -> 2025 codes, as the package's converter gives them (read through registry_source)."""
    from vlkg.ingest.registry_source import read_source

    out: dict[str, set[str]] = defaultdict(set)
    for s in read_source().successions:
        if s.level == "commune":
            for p in s.preds:
                out[p.split("/")[0]].add(s.new.split("/")[0])
    return out


def mapping_successors(path: Path) -> dict[str, set[str]]:
    """Old code -> 2025 codes from dvhcvn's mapping/splits.json."""
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, set[str]] = defaultdict(set)
    for province in data["data"]:
        for unit in province["level3s"]:
            out[unit["level3_id"]].update(s["new_id"] for s in unit["splits"])
    return out


def disagreements(rows: list[Row], units: dict[str, OldUnit], converter: dict[str, set[str]],
                  mapping: dict[str, set[str]], report: dict[str, Any]) -> list[list[str]]:
    """Per old commune, the clauses' successors against the converter's and the mapping's."""
    clauses: dict[str, set[str]] = defaultdict(set)
    cited: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        for code in r.old:
            clauses[code].add(r.new.code)
            cited[code].append(f"{r.clause.resolution.split('/')[0]}:{r.clause.number}")
    successors_of: dict[str, set[str]] = defaultdict(set)  # new code -> old codes, by the clauses
    for r in rows:
        successors_of[r.new.code].update(r.old)
    kinds: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    out = []
    for code in sorted(set(clauses) | set(converter) | set(mapping), key=_code_order):
        ours, conv, mapp = clauses.get(code, set()), converter.get(code, set()), mapping.get(code, set())
        if ours == conv == mapp:
            continue
        sides = [name for name, theirs in (("converter", conv), ("mapping", mapp)) if theirs != ours]
        if not ours:
            kind, winner = "not in any clause", "none"
            why = "no clause names this unit" + ("" if code in units else "; not in admin_units_legacy either")
        else:
            kind, winner = " and ".join(sides) + " differ", "clauses"
            why = "; ".join(_diff(side, ours, theirs) for side, theirs in (("converter", conv), ("mapping", mapp))
                            if theirs != ours)
            # The usual cause: a namesake's successor given to this unit too (two units read as one).
            conflated = sorted({o for n in (conv | mapp) - ours for o in successors_of.get(n, ())
                                if o != code and o in units and code in units
                                and loose_key(units[o].name) == loose_key(units[code].name)})
            if conflated:
                why += f" (where its namesake {' '.join(conflated)} goes: the two are conflated there)"
        kinds[kind] += 1
        name = units[code].name if code in units else ""
        line = [code, name, " ".join(sorted(ours)), " ".join(sorted(conv)), " ".join(sorted(mapp)), winner, why]
        if len(examples[kind]) < EXAMPLES:
            examples[kind].append(" | ".join(line))
        out.append(line)
    report["disagreements"] = {k: {"count": n, "examples": examples[k]} for k, n in sorted(kinds.items())}
    return out


def _diff(side: str, ours: set[str], theirs: set[str]) -> str:
    parts = []
    if theirs - ours:
        parts.append("also " + " ".join(sorted(theirs - ours)))
    if ours - theirs:
        parts.append("lacks " + " ".join(sorted(ours - theirs)))
    return f"{side} {', '.join(parts)}" if theirs else f"{side} has no successor"


def compare_code_list(new_units: list[NewUnit], report: dict[str, Any]) -> None:
    """1027 against the package's `admin_units` and against `vietnam_provinces`."""
    con = sqlite3.connect(f"{_data_file('dataset.db').as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        package = {r[0]: (unicodedata.normalize("NFC", r[1]), r[2]) for r in
                   con.execute("SELECT wardCode, ward, provinceCode FROM admin_units")}
    finally:
        con.close()
    from vlkg.ingest.registry_crosscheck import vietnam_provinces_units

    other = {c: (e.name, e.province) for c, e in vietnam_provinces_units()[1].items()}
    ours = {u.code: (u.name, u.province) for u in new_units}
    result = {}
    for label, theirs in (("vietnamadminunits", package), ("vietnam_provinces", other)):
        diffs: dict[str, list[str]] = defaultdict(list)
        for code in sorted(set(ours) | set(theirs)):
            if code not in theirs:
                diffs["missing there"].append(f"{code} {ours[code][0]}")
            elif code not in ours:
                diffs["missing in 1027"].append(f"{code} {theirs[code][0]}")
            else:
                (a, pa), (b, pb) = ours[code], theirs[code]
                if name_key(a) != name_key(b):
                    kind = "spelt differently" if loose_key(a) == loose_key(b) else "named differently"
                    diffs[kind].append(f"{code} {a!r} in 1027, {b!r} there")
                if pa != pb:
                    diffs["in another province"].append(f"{code} {a}: {pa} in 1027, {pb} there")
        result[label] = {k: {"count": len(v), "examples": v[:EXAMPLES]} for k, v in sorted(diffs.items())}
    report["code_list_vs_packages"] = result


# ------------------------------------------------------------------------------------------- writing


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


def _totals(clauses: list[Clause], new_units: list[NewUnit], report: dict[str, Any]) -> None:
    """Each resolution ends with the province's number of communes: check it against the 1027 list."""
    have = Counter(u.province for u in new_units)
    wrong = []
    for c in clauses:
        m = re.search(r"có\s*(\d+)\s*đơn vị hành chính cấp xã", clean(c.quote)) if c.kind == "summary" else None
        if m and int(m.group(1)) != have[c.province]:
            wrong.append(f"{c.resolution}: {m.group(1)} in the text, {have[c.province]} in 1027")
    provinces = {c.province for c in clauses if c.kind == "summary"}
    report["province_totals"] = {"checked": len(provinces), "differing": wrong}


def derive_reform(shared: Path, out: Path) -> dict[str, Any]:
    """Copy the documents to `out`/sources/reform-2025, parse every clause, write the registry files and
    return the report (also written as `out`/registry/reform-2025-report.json)."""
    src, stored, registry = shared / REFORM_DIR, out / "sources" / "reform-2025", out / "registry"
    stored.mkdir(parents=True, exist_ok=True)
    registry.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(src / name, stored / name)
    # Everything below reads the stored copies, so the quotes' offsets are offsets into them.
    provinces = read_provinces(stored / PROVINCE_LIST)
    new_units = read_code_list(stored / CODE_LIST, provinces)
    legacy, merged, districts = read_legacy()
    units = {u.code: u for u in legacy}
    by_province: dict[str, list[OldUnit]] = defaultdict(list)
    for u in legacy:
        by_province[u.province].append(u)
    clauses: list[Clause] = []
    for name in RESOLUTIONS:
        province = _province_of_resolution((stored / name).read_text(encoding="utf-8")[:3000], provinces)
        clauses += read_resolution(stored / name, province)
    resolve_items(clauses, by_province, merged, districts, read_overrides(registry / OVERRIDES), units)
    resolve_new(clauses, new_units)

    report: dict[str, Any] = {}
    rows = build_rows(clauses, new_units, units, report)
    _write_csv(registry / "reform-2025.csv",
               ["new_code", "new_name", "new_type", "province_code", "resolution", "clause", "quote_start",
                "quote_end", "quote", "old_codes", "partial_codes"],
               [[r.new.code, r.new.name, r.new.type, r.new.province, r.clause.resolution, str(r.clause.number),
                 str(r.clause.start), str(r.clause.end), r.clause.quote, " ".join(r.old), " ".join(r.partial)]
                for r in rows])
    _write_csv(registry / "communes-2025.csv", ["code", "name", "type", "province_code"],
               [[u.code, u.name, u.type, u.province] for u in new_units])
    _write_csv(registry / "provinces-2025.csv", ["code", "name", "type"],
               [[c, n, "thanh-pho-tw" if n.startswith("Thành phố") else "tinh"] for c, n in sorted(provinces)])

    linked = {code for r in rows for code in r.old}
    unlinked = [f"{u.code} {u.name} ({u.district_name})" for u in legacy
                if u.code not in linked and (u.type_word != "huyện" or u.code in units)]
    report["problems"]["old units in no clause"] = {"count": len(unlinked), "examples": unlinked}
    # A split unit is partial in every clause that names it, and is named by more than one.
    uses: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        for code in r.old:
            uses[code].append(code in r.partial)
    odd = {"old units in several clauses, not partial in all": [c for c, v in uses.items() if len(v) > 1
                                                                and not all(v)],
           "old units partial in a single clause": [c for c, v in uses.items() if len(v) == 1 and v[0]]}
    for kind, codes in odd.items():
        report["problems"][kind] = {"count": len(codes), "examples": sorted(codes, key=_code_order)}
    dis = disagreements(rows, units, converter_successors(), mapping_successors(src / "mapping" / "splits.json"),
                        report)
    _write_csv(registry / "reform-2025-disagreements.csv",
               ["old_code", "old_name", "clauses", "converter", "mapping", "winner", "why"], dis)
    compare_code_list(new_units, report)
    _totals(clauses, new_units, report)

    hows = Counter(("qualifier" if "qualifier" in it.how else it.how.split(",")[0])
                   if not it.how.startswith("namesake") else it.how for c in clauses for it in c.items)
    kinds = Counter(r.clause.kind for r in rows)
    report["counts"] = {
        "resolutions": len(RESOLUTIONS),
        "clauses": len(clauses),
        "clauses_by_form": dict(sorted(Counter(c.kind for c in clauses).items())),
        "new_communes": len(new_units),
        "new_communes_covered": len(rows),
        "new_communes_by_clause_form": {"merge": kinds["merge"], "rename": kinds["rename"],
                                        "kept unchanged (summary clause)": kinds["summary"]},
        "old_units_linked": len(linked),
        "old_units_in_register": len(legacy),
        "old_district_codes_linked": sum(len(c) == 3 for c in linked),
        "links": sum(len(r.old) for r in rows),
        "partial_links": sum(len(r.partial) for r in rows),
        "old_units_split": len({c for r in rows for c in r.partial}),
        "names_resolved_by": dict(sorted(hows.items())),
        "unresolved_names": report["problems"].get("old unit names not resolved", {}).get("count", 0),
        "disagreements": sum(v["count"] for v in report["disagreements"].values()),
    }
    report["examples"] = {
        "namesakes by qualifier": [f"{c.resolution} khoản {c.number}: {it.text} -> {it.code}" for c in clauses
                                   for it in c.items if it.how.endswith("qualifier")][:EXAMPLES],
        "namesakes by context": [f"{c.resolution} khoản {c.number}: {it.text} -> {it.code} ({it.how})"
                                 for c in clauses for it in c.items if it.how.startswith("namesake")][:EXAMPLES],
        "spelling folded": [f"{c.resolution} khoản {c.number}: {it.text} -> {it.code} {units[it.code].name}"
                            for c in clauses for it in c.items if it.how.startswith("folded")],
        "other level word": [f"{c.resolution} khoản {c.number}: {it.text} -> {it.code} {units[it.code].name}"
                             for c in clauses for it in c.items if "other level word" in it.how],
    }
    (registry / "reform-2025-report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> None:
    """Command line: --shared ../shared --out data."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--out", type=Path, default=Path("data"))
    args = ap.parse_args(argv)
    report = derive_reform(args.shared, args.out)
    print(json.dumps(report["counts"], ensure_ascii=False, indent=2))
    for kind, v in report["problems"].items():
        print(f"{kind}: {v['count']}")


if __name__ == "__main__":
    main()

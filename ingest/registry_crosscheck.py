"""Cross-check the 2025 register against the independent `vietnam_provinces` package.

Disagreements become build warnings (count + examples), never triples: neither package is the
official code list, so the graph keeps `vietnamadminunits` and the build says where the two differ.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

from vlkg.ingest.registry_findings import Findings
from vlkg.ingest.registry_names import parse_full_name
from vlkg.ingest.registry_source import SourceUnit
from vlkg.text import fold_key

OTHER = "vietnam-provinces"
_THEIR_TYPES = {"tỉnh": "tinh", "thành phố trung ương": "thanh-pho-tw", "xã": "xa", "phường": "phuong",
                "đặc khu": "dac-khu"}


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str  # full name, level word included
    province: str  # province code ("" for a province)
    unit_type: str  # our slug: tinh, thanh-pho-tw, xa, phuong, dac-khu


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _same_key(name: str) -> str:
    """Names that differ only in case, tone-mark placement (Hòa/Hoà), spacing or dash are the same name."""
    return fold_key(name.replace("\u2013", "-").replace("\u2014", "-"))


def _theirs() -> tuple[dict[str, _Entry], dict[str, _Entry]]:
    import vietnam_provinces as vp

    def slug(division_type: object) -> str:
        value = str(getattr(division_type, "value", division_type))
        return _THEIR_TYPES.get(value, value)

    def short(name: str) -> str:  # "Thành phố Hà Nội" -> "Hà Nội", as ours; "Thanh Hóa" stays
        parsed = parse_full_name(name, "province")
        return parsed.short if parsed else _nfc(name)

    provinces = {f"{int(p.code):02d}": _Entry(f"{int(p.code):02d}", short(p.name), "", slug(p.division_type))
                 for p in vp.Province.iter_all()}
    wards = {f"{int(w.code):05d}": _Entry(f"{int(w.code):05d}", _nfc(w.name), f"{int(w.province_code):02d}",
                                           slug(w.division_type))
             for w in vp.Ward.iter_all()}
    return provinces, wards


def _ours(units: Iterable[SourceUnit], level: str) -> dict[str, _Entry]:
    # vietnam_provinces names provinces without their level word ("Thanh Hóa"), wards with it.
    return {u.code: _Entry(u.code, u.name.short if level == "province" else u.name.full,
                           (u.parent or "").split("/")[0], u.name.unit_type.slug)
            for u in units if u.level == level}


def crosscheck(units: list[SourceUnit]) -> tuple[Findings, dict[str, int]]:
    """Compare codes, names, provinces and types of the 2025 units with vietnam_provinces."""
    found = Findings()
    theirs_p, theirs_w = _theirs()
    version = metadata.version(OTHER)
    stats: dict[str, int] = {}
    for label, level, theirs in (("provinces", "province", theirs_p), ("communes", "commune", theirs_w)):
        stats.update(_compare(label, _ours(units, level), theirs, found, version))
    return found, stats


def _compare(label: str, ours: dict[str, _Entry], theirs: dict[str, _Entry], found: Findings,
             version: str) -> dict[str, int]:
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    # A unit listed under different codes shows up on both sides with the same province and name.
    theirs_by_name: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in only_theirs:
        theirs_by_name[(theirs[c].province, _same_key(theirs[c].name))].append(c)
    recoded = 0
    paired: set[str] = set()
    for c in only_ours:
        match = theirs_by_name.get((ours[c].province, _same_key(ours[c].name)), [])
        if len(match) == 1 and match[0] not in paired:
            paired.add(match[0])
            recoded += 1
            found.add(f"2025 {label} coded differently by {OTHER} {version}",
                      f"{ours[c].name}: {c} here, {match[0]} there")
        else:
            found.add(f"2025 {label} missing from {OTHER} {version}", f"{c} {ours[c].name}")
    for c in only_theirs:
        if c not in paired:
            found.add(f"2025 {label} of {OTHER} {version} missing here", f"{c} {theirs[c].name}")
    renamed = spelling = moved = retyped = 0
    for c in sorted(set(ours) & set(theirs)):
        a, b = ours[c], theirs[c]
        if a.name != b.name:
            if _same_key(a.name) != _same_key(b.name):
                renamed += 1
                found.add(f"2025 {label} named differently by {OTHER} {version}",
                          f"{c} {a.name!r} here, {b.name!r} there")
            else:
                spelling += 1  # tone-mark placement (Hòa/Hoà), case or spacing only
        if a.province != b.province:
            moved += 1
            found.add(f"2025 {label} in another province in {OTHER} {version}",
                      f"{c} {a.name}: province {a.province} here, {b.province} there")
        if a.unit_type != b.unit_type:
            retyped += 1
            found.add(f"2025 {label} of another type in {OTHER} {version}",
                      f"{c} {a.name}: {a.unit_type} here, {b.unit_type} there")
    prefix = f"crosscheck_{label}"
    return {f"{prefix}_recoded": recoded,
            f"{prefix}_missing_there": len(only_ours) - recoded,
            f"{prefix}_missing_here": len(only_theirs) - len(paired),
            f"{prefix}_renamed": renamed,
            f"{prefix}_spelling_variants": spelling,
            f"{prefix}_other_province": moved,
            f"{prefix}_other_type": retyped}

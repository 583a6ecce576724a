"""Read the `vietnamadminunits` package data (both registers and the 2025 converter) into plain records.

Everything here is about the source's quirks: package keys with stray diacritics, level words spelt
several ways, type columns that disagree with names, geocoder fall-backs shared by several units.
Each quirk is repaired in the open and reported through `Findings`; nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

from vlkg.ingest.model import BuildError
from vlkg.ingest.registry_findings import Findings
from vlkg.ingest.registry_names import ParsedName, parse_full_name, type_by_word
from vlkg.text import fold

PACKAGE = "vietnamadminunits"
LEGACY = "base"  # the `{since}` of a legacy version: start date unknown
REFORM = "2025-07-01"


@dataclass(frozen=True)
class SourceUnit:
    """One unit version as the package gives it, with its name already split and normalised."""

    code: str
    since: str  # LEGACY | REFORM
    level: str  # province | district | commune
    name: ParsedName
    parent: str | None  # uid of the contemporaneous parent version
    lat: Decimal | None
    lon: Decimal | None
    area_km2: Decimal | None = None
    geocoded: str | None = None  # the place the package's geocoder matched: "Vĩnh Lộc District, Thanh Hoa, …"

    @property
    def uid(self) -> str:
        """'15382/base': the IRI path after id/au/."""
        return f"{self.code}/{self.since}"


@dataclass(frozen=True)
class Succession:
    """One 2025 unit and the legacy versions it was formed from."""

    new: str  # uid of the 2025 version
    level: str  # province | commune
    preds: tuple[str, ...]  # legacy uids, in code order
    split: frozenset[str]  # predecessors divided between several 2025 units


@dataclass
class SourceData:
    """The package's data, read and checked."""

    version: str
    legacy: list[SourceUnit]  # provinces, then districts, then communes, each in code order
    new: list[SourceUnit]  # provinces, then communes
    successions: list[Succession]  # provinces, then communes, in new-code order
    legacy_findings: Findings = field(default_factory=Findings)
    new_findings: Findings = field(default_factory=Findings)
    stats: dict[str, int] = field(default_factory=dict)


def uid_order(uid: str) -> tuple[int, str]:
    """Sort key for uids: codes are zero-padded per level, so shorter codes (higher levels) go first."""
    code = uid.split("/", 1)[0]
    return (len(code), uid)


class KeyIndex:
    """Package keys -> unit uid.

    The exact key (NFC, lower case) wins. A key whose diacritics differ from the register's falls back
    to its folded form, but only when that is unambiguous: folding alone would merge pairs such as
    'xãvĩnhhùng' / 'xãvĩnhhưng' (two communes of one district), which is why the package kept them.
    """

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._exact = {_norm_key(k): v for k, v in keys.items()}
        self._folded: dict[str, set[str]] = defaultdict(set)
        for k, v in self._exact.items():
            self._folded[fold(k)].add(v)
        self.normalised = 0  # keys matched only after folding

    def find(self, key: str) -> str | None:
        """The uid a key names, or None when it names nothing or several units."""
        k = _norm_key(key)
        if k in self._exact:
            return self._exact[k]
        hits = self._folded.get(fold(k), set())
        if len(hits) == 1:
            self.normalised += 1
            return next(iter(hits))
        return None

    def candidates(self, key: str) -> list[str]:
        """Every uid whose key folds like `key` (for messages about ambiguous keys)."""
        return sorted(self._folded.get(fold(_norm_key(key)), set()), key=uid_order)


def _norm_key(key: str) -> str:
    return unicodedata.normalize("NFC", key).strip().lower()


def _decimal(value: float | None) -> Decimal | None:
    # repr() keeps the digits the package stored (20.063973), not binary noise.
    return None if value is None else Decimal(repr(value))


def _data_file(name: str) -> Path:
    """A file of the installed package's data/ folder, found through its distribution record.

    (Importing `vietnamadminunits` to find it would load its whole parser: a second for nothing.)
    """
    try:
        dist = metadata.distribution(PACKAGE)
    except metadata.PackageNotFoundError:
        raise BuildError(f"{PACKAGE} is not installed: pip install {PACKAGE}==1.0.4") from None
    path = Path(str(dist.locate_file(f"{PACKAGE}/data/{name}")))
    if not path.is_file():
        raise BuildError(f"{PACKAGE} {dist.version} has no data/{name} at {path}: "
                         f"reinstall {PACKAGE}==1.0.4")
    return path


def read_source() -> SourceData:
    """Read and check the installed package's `data/dataset.db` and `data/converter_2025.json`."""
    db_path, converter_path = _data_file("dataset.db"), _data_file("converter_2025.json")
    con = sqlite3.connect(f"{db_path.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        con.row_factory = sqlite3.Row
        legacy_rows = con.execute(
            "SELECT * FROM admin_units_legacy ORDER BY provinceCode, districtCode, wardCode").fetchall()
        new_rows = con.execute("SELECT * FROM admin_units ORDER BY provinceCode, wardCode").fetchall()
    finally:
        con.close()
    converter = json.loads(converter_path.read_text(encoding="utf-8"))
    for table in ("DICT_PROVINCE", "DICT_PROVINCE_WARD_NO_DIVIDED", "DICT_PROVINCE_WARD_DIVIDED"):
        if not isinstance(converter.get(table), dict):
            raise BuildError(f"{PACKAGE} converter_2025.json has no {table} table: "
                             f"reinstall {PACKAGE}==1.0.4")

    out = SourceData(version=metadata.version(PACKAGE), legacy=[], new=[], successions=[])
    legacy_keys, legacy_province_keys = _read_legacy(legacy_rows, out)
    new_keys, new_province_keys = _read_new(new_rows, out)
    _read_successions(converter, out, legacy_keys, legacy_province_keys, new_keys, new_province_keys)
    return out


class _UnitReader:
    """Turns rows into SourceUnits once per code, noting name repairs and rows that disagree."""

    def __init__(self, since: str, findings: Findings) -> None:
        self.since = since
        self.findings = findings
        self.units: dict[str, SourceUnit] = {}
        self._raw: dict[str, str] = {}  # uid -> the name as first given
        self.renamed = 0

    def unit(self, level: str, code: str, raw_name: str, type_word: str | None, parent: str | None,
             lat: float | None, lon: float | None, area: float | None = None,
             geocoded: str | None = None) -> str:
        uid = f"{code}/{self.since}"
        if uid in self.units:
            if self._raw[uid] != raw_name:
                self.findings.add(f"{level} codes given with two names (first kept)",
                                  f"{code} {self._raw[uid]!r} / {raw_name!r}")
            return uid
        self._raw[uid] = raw_name
        name = self._name(level, code, raw_name, type_word)
        self.units[uid] = SourceUnit(code, self.since, level, name, parent, _decimal(lat), _decimal(lon),
                                     _decimal(area), geocoded)
        return uid

    def _name(self, level: str, code: str, raw: str, type_word: str | None) -> ParsedName:
        parsed = parse_full_name(raw, level)
        typed = type_by_word(type_word, level) if type_word else None
        if parsed is None:
            if typed is None:
                raise BuildError(f"{PACKAGE}: {level} {code} is named {raw!r}, which opens with no "
                                 f"known level word, and its type column {type_word!r} is not a {level} "
                                 "type either: fix the package data or add the word to UNIT_TYPES")
            parsed = ParsedName(typed, f"{typed.word} {raw.strip()}", raw.strip())
        if typed is not None and typed != parsed.unit_type:
            self.findings.add("units whose type column disagrees with the level word of their name "
                              "(the name is kept)", f"{code} {raw!r} typed {type_word!r}")
        if parsed.full != raw:
            self.renamed += 1
            self.findings.add("names with a non-standard level word or spacing, normalised",
                              f"{code} {raw!r} -> {parsed.full!r}")
        return parsed


def _read_legacy(rows: Iterable[sqlite3.Row], out: SourceData) -> tuple[dict[str, str], dict[str, str]]:
    """Legacy provinces, districts, communes; returns converter key -> uid maps."""
    reader = _UnitReader(LEGACY, out.legacy_findings)
    keys: dict[str, str] = {}
    province_keys: dict[str, str] = {}
    for r in rows:
        p = reader.unit("province", r["provinceCode"], r["province"], None, None,
                        r["provinceLat"], r["provinceLon"], geocoded=r["provinceGeoAddress"])
        d = reader.unit("district", r["districtCode"], r["district"], r["districtType"], p,
                        r["districtLat"], r["districtLon"], geocoded=r["districtGeoAddress"])
        province_keys[r["provinceKey"]] = p
        if r["wardCode"] is None:  # a district without communes (5 island districts)
            keys[f"{r['provinceKey']}_{r['districtKey']}_"] = d
            continue
        keys[f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}"] = reader.unit(
            "commune", r["wardCode"], r["ward"], r["wardType"], d, r["wardLat"], r["wardLon"],
            geocoded=r["wardGeoAddress"])
    units = _drop_shared_points(list(reader.units.values()), out)
    out.legacy = sorted(units, key=lambda u: (("province", "district", "commune").index(u.level), u.code))
    out.stats["legacy_names_normalised"] = reader.renamed
    return keys, province_keys


def _read_new(rows: Iterable[sqlite3.Row], out: SourceData) -> tuple[dict[str, str], dict[str, str]]:
    """2025 provinces and communes; returns converter key -> uid maps."""
    reader = _UnitReader(REFORM, out.new_findings)
    keys: dict[str, str] = {}
    province_keys: dict[str, str] = {}
    for r in rows:
        p = reader.unit("province", r["provinceCode"], r["province"], None, None,
                        r["provinceLat"], r["provinceLon"])
        province_keys[r["provinceKey"]] = p
        keys[f"{r['provinceKey']}_{r['wardKey']}"] = reader.unit(
            "commune", r["wardCode"], r["ward"], r["wardType"], p, r["wardLat"], r["wardLon"],
            r["wardAreaKm2"])
    out.new = sorted(reader.units.values(), key=lambda u: (u.level != "province", u.code))
    out.stats["new_names_normalised"] = reader.renamed
    return keys, province_keys


def _drop_shared_points(units: list[SourceUnit], out: SourceData) -> list[SourceUnit]:
    """Keep a point shared by several units only where it belongs.

    A geocoder that cannot place a small unit falls back to a larger place (Xã Minh Tân was placed at
    "Vĩnh Lộc District"), or to a namesake elsewhere. So a shared point stays on the units whose
    geocoded place is the unit itself (several only if they bear one name at different levels, like a
    province and its city); when none is, on the one coarsest unit of the group (the place the others
    fell back to); otherwise on none.
    """
    rank = {"province": 0, "district": 1, "commune": 2}
    groups: dict[tuple[Decimal, Decimal], list[SourceUnit]] = defaultdict(list)
    for u in units:
        if u.lat is not None and u.lon is not None:
            groups[(u.lat, u.lon)].append(u)
    dropped: set[str] = set()
    shared = 0
    for (lat, lon), group in groups.items():
        if len(group) < 2:
            continue
        shared += len(group)
        group.sort(key=lambda u: (rank[u.level], u.code))
        # Spelt with diacritics first: Xã Vĩnh Hùng and Xã Vĩnh Hưng were both geocoded to "Vĩnh Hưng".
        keep = ([u for u in group if _geocoded_as_itself(u, exact=True)]
                or [u for u in group if _geocoded_as_itself(u, exact=False)])
        # Two places cannot share one point, but a province and its city of the same name can.
        if len({u.name.short for u in keep}) > 1 or len({u.level for u in keep}) < len(keep):
            keep = []
        elif not keep and rank[group[0].level] < rank[group[1].level]:
            keep = [group[0]]
        dropped.update(u.uid for u in group if u not in keep)
        kept = f"kept on {', '.join(u.code for u in keep)}" if keep else "dropped on all"
        out.legacy_findings.add("points shared by several legacy units (kept only where the geocoded "
                                "place is the unit itself, else on the coarsest unit)",
                                f"({lat}, {lon}) {', '.join(u.code for u in group)} {kept}")
    out.stats["shared_coordinates"] = shared
    out.stats["coordinates_dropped"] = len(dropped)
    return [replace(u, lat=None, lon=None) if u.uid in dropped else u for u in units]


_PLACE_PREFIX = re.compile(r"^(tt|tx|tp|x|p|q|h)\.\s*|^(đảo|district|ward|commune)\s+", re.IGNORECASE)
_PLACE_SUFFIX = re.compile(r"\s+(district|city|province|town|township|ward|commune)$", re.IGNORECASE)


def _geocoded_as_itself(u: SourceUnit, exact: bool) -> bool:
    """True when the first part of the geocoded address is the unit's own name ('tt. Sóc Sơn, …'),
    spelt alike with diacritics (`exact`) or once folded (addresses are often ASCII: 'Phuc Xa')."""
    if not u.geocoded:
        return False
    place = _PLACE_SUFFIX.sub("", _PLACE_PREFIX.sub("", u.geocoded.split(",")[0].strip()))
    return _squash(place, exact) == _squash(u.name.short, exact)


def _squash(text: str, exact: bool) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return re.sub(r"[\s\W_]", "", text if exact else fold(text))


def _read_successions(converter: dict[str, Any], out: SourceData, legacy_keys: dict[str, str],
                      legacy_province_keys: dict[str, str], new_keys: dict[str, str],
                      new_province_keys: dict[str, str]) -> None:
    """Predecessors of every 2025 unit from the converter, checked both ways."""
    found = out.new_findings
    legacy_index, new_index = KeyIndex(legacy_keys), KeyIndex(new_keys)
    new_province_index, legacy_province_index = KeyIndex(new_province_keys), KeyIndex(legacy_province_keys)
    preds: dict[str, list[str]] = defaultdict(list)
    split: dict[str, set[str]] = defaultdict(set)
    diacritic_keys = 0

    def legacy(key: str, where: str) -> str | None:
        nonlocal diacritic_keys
        diacritic_keys += not key.isascii()
        uid = legacy_index.find(key)
        if uid is None:
            cands = legacy_index.candidates(key)
            kind = "ambiguous" if cands else "unknown"
            found.add(f"converter keys naming an {kind} legacy unit (link skipped)",
                      f"{key!r} in {where}" + (f" (could be {', '.join(cands)})" if cands else ""))
        return uid

    def new(province_key: str, ward_key: str) -> str | None:
        uid = new_index.find(f"{province_key}_{ward_key}")
        if uid is None:
            found.add("converter keys naming an unknown 2025 unit (links skipped)",
                      f"{province_key}_{ward_key}")
        return uid

    for province_key, wards in sorted(converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items()):
        for ward_key, old_keys in sorted(wards.items()):
            target = new(province_key, ward_key)
            for old_key in old_keys:
                old = legacy(old_key, f"{province_key}/{ward_key}")
                if target and old:
                    preds[target].append(old)
    for province_key, divided in sorted(converter["DICT_PROVINCE_WARD_DIVIDED"].items()):
        for old_key, parts in sorted(divided.items()):
            old = legacy(old_key, f"{province_key} (divided)")
            for part in parts:
                target = new(province_key, part["newWardKey"])
                if target and old:
                    preds[target].append(old)
                    split[target].add(old)

    province_preds: dict[str, list[str]] = defaultdict(list)
    for province_key, old_keys in sorted(converter["DICT_PROVINCE"].items()):
        target = new_province_index.find(province_key)
        if target is None:
            found.add("converter province keys naming no 2025 province (links skipped)", province_key)
            continue
        for old_key in old_keys:
            old = legacy_province_index.find(old_key)
            if old is None:
                found.add("converter province keys naming no legacy province (link skipped)", old_key)
            else:
                province_preds[target].append(old)

    successions = [Succession(n, "province", tuple(sorted(set(p), key=uid_order)), frozenset())
                   for n, p in sorted(province_preds.items(), key=lambda kv: uid_order(kv[0]))]
    successions += [Succession(n, "commune", tuple(sorted(set(p), key=uid_order)), frozenset(split[n]))
                    for n, p in sorted(preds.items(), key=lambda kv: uid_order(kv[0]))]
    out.successions = successions
    out.stats["keys_with_diacritics"] = diacritic_keys
    out.stats["keys_normalised"] = sum(i.normalised for i in (legacy_index, new_index, new_province_index,
                                                                legacy_province_index))
    _check_successions(out)


def _check_successions(out: SourceData) -> None:
    """Every legacy commune and province needs a successor, every 2025 unit a predecessor, and links
    must stay inside the province merger they belong to."""
    found = out.new_findings
    successors: dict[str, set[str]] = defaultdict(set)
    for s in out.successions:
        for p in s.preds:
            successors[p].add(s.new)
    legacy = {u.uid: u for u in out.legacy}
    new = {u.uid: u for u in out.new}
    for u in out.legacy:
        if u.level == "district":
            continue
        n = len(successors.get(u.uid, ()))
        if n == 0:
            found.add(f"legacy {u.level}s with no 2025 successor", f"{u.code} {u.name.full}")
        elif u.level == "province" and n > 1:
            found.add("legacy provinces with several 2025 successors", f"{u.code} {u.name.full}")
    with_preds = {s.new for s in out.successions if s.preds}
    for u in out.new:
        if u.uid not in with_preds:
            found.add(f"2025 {u.level}s with no predecessor", f"{u.code} {u.name.full}")
    for s in out.successions:
        for p in s.preds:
            if s.level == "commune" and legacy[p].level not in ("commune", "district"):
                found.add("commune links from a legacy province (kept)", f"{p} -> {s.new}")
            old_province = _province_of(p, legacy)
            new_province = new[s.new].parent if s.level == "commune" else s.new
            if s.level == "commune" and new_province not in successors.get(old_province, ()):
                found.add("commune links that cross the province merger (kept)",
                          f"{legacy[p].name.full} ({p}) -> {new[s.new].name.full} ({s.new})")
    out.stats["unmapped_legacy"] = sum(found.count(f"legacy {lv}s with no 2025 successor")
                                       for lv in ("province", "commune"))


def _province_of(uid: str, units: Mapping[str, SourceUnit]) -> str:
    while units[uid].parent is not None:
        uid = units[uid].parent  # type: ignore[assignment]
    return uid

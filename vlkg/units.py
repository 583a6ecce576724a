"""In-memory index of administrative-unit versions: which version a code or a name denotes on a given day.

`Registry.lookup` is the one resolver of units by date: article ingest uses it (names in text -> unit
versions), and reconciliation and search build on it. Shared by ingest (built from data/registry) and the
server (loaded from the build's `units.json.gz`, written by `Registry.to_json`), so it imports neither.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pyoxigraph import NamedNode

from vlkg.text import fold_key
from vlkg.unit_types import LEVELS

# Abbreviated level words seen in news text, spelt out before comparing ("TP. Thanh Hóa").
_ABBREVIATIONS = {"tp": "thanh pho", "tx": "thi xa", "tt": "thi tran"}
_ABBREVIATION = re.compile(r"^(tp|tx|tt)(?:\.\s*|\s+)")
_MAX_LISTED = 12


@dataclass(frozen=True)
class UnitRecord:
    """One version of one administrative unit."""

    iri: NamedNode
    code: str
    name: str  # full, with the level word: "Xã Minh Tân"
    short: str  # without it: "Minh Tân" (numbered units keep it: "Phường 1")
    level: str  # province | district | commune
    unit_type: str  # slug of kg:type-…: tinh, thanh-pho-tw, huyen, quan, thi-xa, thanh-pho, xa, phuong, …
    parent: NamedNode | None  # the latest parent version (see `parents`)
    valid_from: date | None  # the first record's date for versions older than the register
    valid_through: date | None  # None: still valid
    parents: tuple[NamedNode, ...] = ()  # every parent version over its life, oldest first

    def valid_on(self, day: date) -> bool:
        """True when this version was in force on `day`."""
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_through is None or day <= self.valid_through))

    @property
    def validity(self) -> str:
        """'until 2025-06-30', 'from 2025-07-01', …"""
        start = f"from {self.valid_from}" if self.valid_from else ""
        end = f"until {self.valid_through}" if self.valid_through else ""
        return " ".join(p for p in (start, end) if p) or "always"


class ResolutionError(ValueError):
    """A name resolves to no unit version, or to several; the message lists the candidates."""


def name_key(text: str) -> str:
    """How names are compared: folded, lower case, spaces collapsed, 'TP.' spelt out, dashes unified."""
    key = fold_key(text.replace("\u2013", "-").replace("\u2014", "-"))
    return _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)] + " ", key)


def _spelling_key(text: str) -> str:
    """Diacritics kept (NFC, lower case): tells 'Vĩnh Hùng' from 'Vĩnh Hưng' when folding cannot."""
    return " ".join(unicodedata.normalize("NFC", text).lower().replace("\u2013", "-").split())


class Registry:
    """Every unit version, indexed by IRI, code and name; successor links of the 2025 reform."""

    def __init__(self, records: Iterable[UnitRecord], successors: Mapping[str, Iterable[str]]) -> None:
        self._by_iri: dict[str, UnitRecord] = {}
        self._by_name: dict[str, list[UnitRecord]] = defaultdict(list)
        self._by_code: dict[str, list[UnitRecord]] = defaultdict(list)
        for r in records:
            if r.iri.value in self._by_iri:
                raise ResolutionError(f"registry: {r.iri.value} is given twice")
            self._by_iri[r.iri.value] = r
            self._by_code[r.code].append(r)
            for key in self._keys(r):
                self._by_name[key].append(r)
        for versions in self._by_code.values():
            versions.sort(key=lambda r: r.valid_from or date.min)
        self._successors = {k: tuple(v) for k, v in successors.items()}
        preds: dict[str, list[str]] = defaultdict(list)
        for old, news in self._successors.items():
            for n in news:
                preds[n].append(old)
        self._predecessors = {k: tuple(v) for k, v in preds.items()}

    # -- the build-time index (units.json.gz in each release) ----------------------------------------------
    def to_json(self, id_base: str) -> dict:
        """Every version and successor link, IRIs relative to `id_base` (the index is the same under any base)."""
        def rel(iri: NamedNode) -> str:
            return iri.value.removeprefix(id_base)

        return {
            "format": 1,
            "units": [[rel(r.iri), r.code, r.name, r.short, r.level, r.unit_type, [rel(p) for p in r.parents],
                       r.valid_from.isoformat() if r.valid_from else None,
                       r.valid_through.isoformat() if r.valid_through else None] for r in self],
            "successors": {k.removeprefix(id_base): [v.removeprefix(id_base) for v in vs]
                           for k, vs in sorted(self._successors.items())},
        }

    @classmethod
    def from_json(cls, data: dict, id_base: str) -> Registry:
        """The registry `to_json` wrote, its IRIs under `id_base` (the base the server publishes)."""
        if data.get("format") != 1:
            raise ResolutionError(f"unit index format {data.get('format')!r} is not 1: rebuild with `vlkg build`")
        records = []
        for iri, code, name, short, level, unit_type, parents, start, end in data["units"]:
            node_parents = tuple(NamedNode(id_base + p) for p in parents)
            records.append(UnitRecord(
                NamedNode(id_base + iri), code, name, short, level, unit_type,
                node_parents[-1] if node_parents else None,
                date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None,
                node_parents))
        return cls(records, {id_base + k: [id_base + v for v in vs] for k, vs in data["successors"].items()})

    def write(self, path: Path, id_base: str) -> None:
        """`to_json` as gzipped JSON (units.json.gz in each release), deterministic: no gzip mtime, sorted keys."""
        data = json.dumps(self.to_json(id_base), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data.encode("utf-8"))

    @classmethod
    def read(cls, path: Path, id_base: str) -> Registry:
        """The registry `write` stored at `path`, its IRIs under `id_base`."""
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return cls.from_json(json.load(f), id_base)

    @classmethod
    def of_build(cls, build_dir: Path) -> Registry | None:
        """The unit index of the build in `build_dir` (current release), under the base IRI it was built for; None
        when there is no build with an index there."""
        from vlkg.layout import UNIT_INDEX, Layout
        from vlkg.namespaces import BASE

        layout = Layout(build_dir)
        index = layout.root / "current" / UNIT_INDEX
        if not index.is_file():
            return None
        return cls.read(index, (layout.manifest().get("base_iri") or BASE) + "id/")

    @staticmethod
    def _keys(r: UnitRecord) -> set[str]:
        return {name_key(r.name), name_key(r.short)}

    def __len__(self) -> int:
        return len(self._by_iri)

    def __iter__(self) -> Iterator[UnitRecord]:
        return iter(self._by_iri.values())

    def get(self, iri: NamedNode | str) -> UnitRecord:
        """The version with this IRI; ResolutionError when there is none."""
        value = iri.value if isinstance(iri, NamedNode) else iri
        try:
            return self._by_iri[value]
        except KeyError:
            raise ResolutionError(f"{value} is not an administrative-unit version in the registry "
                                  "(expected …/id/au/{code}/{YYYY-MM-DD})") from None

    def by_code(self, code: str) -> list[UnitRecord]:
        """Every version that used this code, oldest first; codes are zero-padded: '01', '001', '00001'."""
        return list(self._by_code.get(code, []))

    def at(self, code: str, on: date) -> UnitRecord:
        """The version that bore `code` on `on`; ResolutionError, listing the code's versions, if none did."""
        for r in self._by_code.get(code, []):
            if r.valid_on(on):
                return r
        versions = self._by_code.get(code, [])
        raise ResolutionError(f"no unit bore code {code!r} on {on.isoformat()}"
                              + (f"; its versions: {self._listing(versions)}" if versions else
                                 " (codes are zero-padded: '01', '001', '00001')"))

    def lookup(self, text: str, *, on: date, level: str | None = None, parent: str | None = None) -> UnitRecord:
        """The unit version that `text` (a code, or a name with its level and parent) denotes on `on`.

        The one resolver of units by date: the build uses it for article facts; reconciliation and extraction
        build on it.
        """
        code = text.strip()
        if code.isdigit():
            return self.at(code, on)
        return self.resolve(text, on=on, level=level, parent=parent)

    def successors(self, iri: NamedNode | str) -> list[UnitRecord]:
        """The versions that took over this one (the next version of its code, the unit that absorbed it, or
        the 2025 units it went into: several for a divided commune)."""
        return [self._by_iri[s] for s in self._successors.get(self.get(iri).iri.value, ())]

    def predecessors(self, iri: NamedNode | str) -> list[UnitRecord]:
        """The versions this one was formed from or continues."""
        return [self._by_iri[p] for p in self._predecessors.get(self.get(iri).iri.value, ())]

    def parent_on(self, record: UnitRecord, on: date | None = None) -> UnitRecord | None:
        """The parent version valid on `on` (by default the latest one of the record's life)."""
        if not record.parents:
            return self.get(record.parent) if record.parent is not None else None
        if on is not None:
            for p in record.parents:
                if self.get(p).valid_on(on):
                    return self.get(p)
        return self.get(record.parents[-1])

    def ancestors(self, iri: NamedNode | str, on: date | None = None) -> list[UnitRecord]:
        """Parent, grandparent, …: the chain up to the province, as it stood on `on` (default: latest)."""
        chain = []
        record: UnitRecord | None = self.get(iri)
        while record is not None:
            record = self.parent_on(record, on)
            if record is not None:
                chain.append(record)
        return chain

    def describe(self, record: UnitRecord) -> str:
        """'Xã Vĩnh Hùng (Huyện Vĩnh Lộc, Tỉnh Thanh Hóa; code 15379; until 2025-06-30)'."""
        within = ", ".join(a.name for a in self.ancestors(record.iri))
        return f"{record.name} ({within + '; ' if within else ''}code {record.code}; {record.validity})"

    def resolve(self, name: str, *, on: date, level: str | None = None,
                parent: str | None = None) -> UnitRecord:
        """The one version named `name` (with or without its level word) that was valid on `on`.

        Names compare folded ('xa vinh hung' works); when folding leaves several siblings, a name written
        with diacritics picks the one spelt exactly so ('Vĩnh Hùng', not 'Vĩnh Hưng'). `level` narrows
        to province/district/commune; `parent` names any ancestor, with or without its level word.
        Raises ResolutionError, listing the candidates, unless exactly one matches.
        """
        if isinstance(on, datetime):
            on = on.date()
        if not isinstance(on, date):
            raise ResolutionError(f"resolve({name!r}): `on` must be a date, got {on!r}")
        if level is not None and level not in LEVELS:
            raise ResolutionError(f"resolve({name!r}): level {level!r} is not one of {', '.join(LEVELS)}")
        named = self._by_name.get(name_key(name), [])
        if not named:
            raise ResolutionError(
                f"no administrative unit is named {name!r} (compared as {name_key(name)!r}) in the registry; "
                "check the spelling and the level word (xã, phường, thị trấn, đặc khu, huyện, quận, thị xã, "
                "thành phố, tỉnh)")
        matches = [r for r in named if r.valid_on(on) and (level is None or r.level == level)]
        if parent is not None:
            parent_key = name_key(parent)
            matches = [r for r in matches
                       if any(parent_key in self._keys(a) for a in self.ancestors(r.iri, on))]
        if len(matches) > 1 and not name.isascii() and len({r.parent for r in matches}) == 1:
            # Folding merges sibling names that differ only in diacritics (the package keeps such pairs
            # apart too); among siblings the spelling as written decides. Across parents it does not:
            # tone marks in news text are too often mistyped to pick a unit nationwide.
            spelt = _spelling_key(name)
            exact = [r for r in matches if spelt in (_spelling_key(r.name), _spelling_key(r.short))]
            matches = exact or matches
        if len(matches) == 1:
            return matches[0]
        wanted = " ".join(filter(None, [
            f"valid on {on.isoformat()}", f"at {level} level" if level else "",
            f"within {parent!r}" if parent else ""]))
        if matches:
            raise ResolutionError(
                f"{name!r} is ambiguous: {len(matches)} units {wanted} match; pass level= or parent= "
                f"(a district or province) to choose: {self._listing(matches)}")
        raise ResolutionError(
            f"{name!r} names no unit {wanted}; units with that name: {self._listing(named)}")

    def _listing(self, records: list[UnitRecord]) -> str:
        shown = "; ".join(self.describe(r) for r in records[:_MAX_LISTED])
        more = f"; … and {len(records) - _MAX_LISTED} more" if len(records) > _MAX_LISTED else ""
        return shown + more

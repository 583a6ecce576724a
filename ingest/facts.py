"""Reviewed fact files (data/facts/{id}.yaml): load, check every quote against the text, return typed facts.

The format is documented in data/README.md and in the header of each fact file. This module knows
nothing of RDF; `articles.py` turns a `FactFile` into triples.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from vlkg.ingest.model import BuildError
from vlkg.text import parse_vi_number
from vlkg.unit_types import LEVELS

KINDS = ("target", "result", "estimate")
COMPARATORS = ("=", ">", ">=", "<", "<=", "range")
CHANGES = ("increase", "decrease", "exceed")


@dataclass(frozen=True)
class Quote:
    """A span of the article text: `text[start:end] == exact`, offsets in code points."""

    start: int
    end: int
    exact: str


@dataclass(frozen=True)
class UnitRef:
    """An administrative unit as the article names it; ingest resolves it on the meeting date."""

    name: str
    level: str | None
    parent: str | None


@dataclass(frozen=True)
class Meeting:
    where: str
    name: str
    type: str
    date: dt.date
    date_text: str
    organiser: str
    body: str  # org kind of the organiser, e.g. "huyen-uy"
    ordinal: int
    party_term: str
    quotes: tuple[Quote, ...]
    note: str | None


@dataclass(frozen=True)
class Resolution:
    where: str
    name: str
    name_en: str
    unit: str  # the unit whose Party organisation held the congress (a name in `admin_units`)
    body: str  # the org kind of that Party organisation's committee, e.g. "huyen-uy"
    congress_term: str
    term_start: int
    term_end: int
    quotes: tuple[Quote, ...]
    note: str | None


@dataclass(frozen=True)
class Official:
    where: str
    name: str
    title: str
    org: str  # the unit the post belongs to (a name in `admin_units`)
    scope: str
    body: str  # "huyen-uy", "ubnd", ...
    role: str  # "secretary", "chairperson", ...
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Institution:
    where: str
    name: str
    name_en: str
    type: str
    surface: str
    location: UnitRef
    location_basis: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True)
class Figure:
    """One socio-economic figure (target, result or estimate), values as written and parsed."""

    where: str
    indicator: str  # the phrase as written
    indicator_id: str  # slug of the SKOS concept id/indicator/{slug}
    value_text: str
    value: Decimal
    value_max_text: str | None
    value_max: Decimal | None
    unit: str  # as written: "triệu đồng", "%", ...
    unit_id: str | None  # slug of the kg:units concept when it is not the slug of `unit` ("%" of a rate change)
    comparator: str
    year: int
    kind: str
    quotes: tuple[Quote, ...]
    total: int | None
    change: str | None
    relative_to: str | None
    subjects: tuple[str, ...]
    target_level: str | None
    note: str | None


@dataclass(frozen=True)
class FactFile:
    path: Path
    article: str
    area: UnitRef
    province: str | None
    meeting: Meeting | None
    resolution: Resolution | None
    officials: tuple[Official, ...]
    units: dict[str, UnitRef]
    institutions: tuple[Institution, ...]
    figures: tuple[Figure, ...]

    @property
    def on(self) -> dt.date:
        """The date names are resolved on: the meeting date (articles without one are not supported yet)."""
        if self.meeting is None:
            raise BuildError(f"{self.path}: no 'event': the meeting date is needed to resolve unit names")
        return self.meeting.date

    def unit(self, name: str, where: str) -> UnitRef:
        """The declared unit called `name`; every name used elsewhere must be listed in `admin_units`."""
        if name == self.area.name:
            return self.area
        if name not in self.units:
            raise BuildError(f"{self.path}: {where}: unit {name!r} is not listed in admin_units "
                             f"(listed: {sorted(self.units)}); add it with its level and parent")
        return self.units[name]


class _Fields:
    """Typed access to one YAML mapping, with messages naming the file and the fact; rejects unknown keys."""

    def __init__(self, path: Path, where: str, data: Any, text: str) -> None:
        if not isinstance(data, dict):
            raise BuildError(f"{path}: {where}: expected a mapping, found {type(data).__name__}")
        self.path, self.where, self.data, self.text = path, where, data, text
        self.seen: set[str] = set()

    def fail(self, problem: str) -> BuildError:
        return BuildError(f"{self.path}: {self.where}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
        self.seen.add(key)
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.fail(f"'{key}' is required")
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"'{key}' must be {_kind_name(kind)}, found {value!r}")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], *, required: bool = True) -> str | None:
        value = self.get(key, str, required=required)
        if value is not None and value not in allowed:
            raise self.fail(f"'{key}' is {value!r}; use one of {', '.join(allowed)}")
        return value

    def number(self, key: str, *, required: bool = True) -> tuple[str | None, Decimal | None]:
        """A value written as in the text ("55,9", "70.000"), kept as text and parsed."""
        self.seen.add(key)
        value = self.data.get(key)
        if value is None and not required:
            return None, None
        if not isinstance(value, str):
            raise self.fail(f"'{key}' must be the number as written in the text, quoted (e.g. \"55,9\"), "
                            f"found {value!r}")
        try:
            return value, parse_vi_number(value)
        except ValueError as exc:
            raise self.fail(f"'{key}': {exc}") from exc

    def quotes(self) -> tuple[Quote, ...]:
        """The fact's own quote (`quote`, `start`, `end`) plus any supporting ones listed under `also`."""
        first = self._quote(self)
        extra = self.get("also", list, required=False) or []
        more = [self._quote(_Fields(self.path, f"{self.where}.also[{i}]", q, self.text))
                for i, q in enumerate(extra)]
        return (first, *more)

    def _quote(self, f: _Fields) -> Quote:
        exact, start, end = f.get("quote", str), f.get("start", int), f.get("end", int)
        actual = self.text[start:end]
        if not 0 <= start < end <= len(self.text) or actual != exact:
            found = self.text.find(exact)
            hint = (f"the quote occurs at {found}-{found + len(exact)}" if found >= 0
                    else "the quote does not occur in the text at all")
            raise f.fail(f"quote at {start}-{end} does not match the text: expected {exact!r}, "
                         f"actual text[{start}:{end}] is {actual!r} ({hint}; offsets count code points "
                         "of the whole file, line 1 included)")
        if f is not self:
            f.done()
        return Quote(start, end, exact)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise self.fail(f"unknown field(s) {', '.join(unknown)}; see data/README.md for the format")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "text", int: "an integer", list: "a list", dict: "a mapping", dt.date: "a date"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def load_facts(path: Path, text: str) -> FactFile:
    """Load and check one fact file against its article text (quotes, numbers, required fields)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BuildError(f"{path}: not valid YAML: {exc}") from exc
    top = _Fields(path, "top level", data, text)
    article = top.get("article", str)
    for key in ("source", "date", "title", "review"):
        top.seen.add(key)  # documentation for reviewers; the source's own metadata is authoritative

    area_f = _Fields(path, "area", top.get("area", dict), text)
    area = UnitRef(area_f.get("name", str), area_f.choice("level", LEVELS),
                   area_f.get("parent", str, required=False))
    province = area_f.get("province", str, required=False)
    area_f.get("province_in_text", bool, required=False)
    area_f.done()

    units = {u.name: u for u in (_unit(_Fields(path, f"admin_units[{i}]", d, text))
                                 for i, d in enumerate(top.get("admin_units", list)))}
    raw_event = top.get("event", dict, required=False)
    meeting = _meeting(_Fields(path, "event", raw_event, text)) if raw_event is not None else None
    raw_res = top.get("resolution", dict, required=False)
    resolution = _resolution(_Fields(path, "resolution", raw_res, text)) if raw_res is not None else None
    officials = tuple(_official(_Fields(path, f"officials[{i}]", d, text))
                      for i, d in enumerate(top.get("officials", list, required=False) or []))
    institutions = tuple(_institution(_Fields(path, f"institutions[{i}]", d, text))
                         for i, d in enumerate(top.get("institutions", list, required=False) or []))
    figures = tuple(_figure(path, i, d, text)
                    for i, d in enumerate(top.get("targets", list, required=False) or []))
    top.done()
    facts = FactFile(path, article, area, province, meeting, resolution, officials, units, institutions,
                     figures)
    _check_references(facts)
    return facts


def _unit(f: _Fields) -> UnitRef:
    unit = UnitRef(f.get("name", str), f.choice("level", LEVELS), f.get("parent", str, required=False))
    f.done()
    return unit


def _date(f: _Fields, key: str) -> dt.date:
    value = f.get(key, (str, dt.date))
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise f.fail(f"'{key}' must be an ISO date YYYY-MM-DD, found {value!r}") from exc


def _meeting(f: _Fields) -> Meeting:
    m = Meeting(f.where, f.get("name", str), f.get("type", str), _date(f, "date"), f.get("date_text", str),
                f.get("organiser", str), f.get("body", str), f.get("ordinal", int), f.get("party_term", str),
                f.quotes(), f.get("note", str, required=False))
    f.done()
    return m


def _resolution(f: _Fields) -> Resolution:
    r = Resolution(f.where, f.get("name", str), f.get("name_en", str), f.get("unit", str), f.get("body", str),
                   f.get("congress_term", str), f.get("term_start", int), f.get("term_end", int), f.quotes(),
                   f.get("note", str, required=False))
    f.done()
    return r


def _official(f: _Fields) -> Official:
    o = Official(f"{f.where} ({f.data.get('name')})", f.get("name", str), f.get("title", str),
                 f.get("org", str), f.choice("scope", LEVELS), f.get("body", str), f.get("role", str),
                 f.quotes())
    f.done()
    return o


def _institution(f: _Fields) -> Institution:
    loc = _Fields(f.path, f"{f.where}.location", f.get("location", dict), f.text)
    location = _unit(loc)
    i = Institution(f"{f.where} ({f.data.get('name')})", f.get("name", str), f.get("name_en", str),
                    f.get("type", str), f.get("surface", str), location, f.get("location_basis", str),
                    f.quotes())
    f.done()
    return i


def _figure(path: Path, i: int, data: Any, text: str) -> Figure:
    label = data.get("indicator") if isinstance(data, dict) else None
    f = _Fields(path, f"targets[{i}] ({label})", data, text)
    value_text, value = f.number("value")
    max_text, value_max = f.number("value_max", required=False)
    comparator = f.choice("comparator", COMPARATORS)
    if (comparator == "range") != (value_max is not None):
        raise f.fail("'value_max' is given exactly when the comparator is 'range' "
                     "(\"X - Y\", \"từ X đến Y\")")
    figure = Figure(
        where=f.where, indicator=f.get("indicator", str), indicator_id=f.get("indicator_id", str),
        value_text=value_text, value=value, value_max_text=max_text, value_max=value_max,
        unit=f.get("unit", str), unit_id=f.get("unit_id", str, required=False), comparator=comparator,
        year=f.get("year", int), kind=f.choice("kind", KINDS),
        quotes=f.quotes(), total=f.get("total", int, required=False),
        change=f.choice("change", CHANGES, required=False),
        relative_to=f.get("relative_to", str, required=False),
        subjects=tuple(f.get("subjects", list, required=False) or ()),
        target_level=f.get("target_level", str, required=False), note=f.get("note", str, required=False))
    f.done()
    return figure


def _check_references(facts: FactFile) -> None:
    """Every unit or institution a fact names must be declared, so ingest can resolve it."""
    school_names = {i.name for i in facts.institutions}
    for o in facts.officials:
        facts.unit(o.org, o.where)
    if facts.resolution is not None:
        facts.unit(facts.resolution.unit, facts.resolution.where)
    for fig in facts.figures:
        for name in fig.subjects:
            if not isinstance(name, str):
                raise BuildError(f"{facts.path}: {fig.where}: subjects must be names (text), found {name!r}")
            if name not in school_names:
                facts.unit(name, fig.where)

"""Derive every version of every administrative unit, 2003 → 2025-06-30, from the GSO register's history.

Run by maintainers when the sources change (`python -m vlkg.ingest.derive_history --shared ../shared`); the
build reads only what this writes under `data/registry/` (see its README.md for the rules stated here):

- Snapshots, in date order: the change log (`gso-changes-2004-2021.bundle`, one whole register per legal
  change, dated by the collection, acts in the message) up to 2021-07-01; the published editions
  (`gso-editions-2019-2025.bundle`) after that; the `vietnamadminunits` legacy table as the state of
  2025-06-30 (codes only: names stay as GSO spells them, the package's other spellings are reported).
- A unit version is one code with one (level, type, name, parent); a new version starts when any of them
  changes, when the unit absorbs a vanished unit, or when units move in or out of it (boundary change).
  Names that differ only in tone-mark placement (Hoà/Hòa) are one name.
- A change seen between two editions carries that window; its date is the window's end (the first date the
  register shows it). The first register (15 January 2003) lists only provinces, under the code list that
  QĐ 124/2004/QĐ-TTg replaced; districts and communes are first recorded on 2004-08-31. A version first
  seen in the first record of its level starts then (`first_record`): its real start is earlier.
- Which unit took over a vanished one is not in the register. It is inferred, and every inferred link says
  how: `children` (its communes went there), `same-name` (a unit of the same name and level appeared in
  the same province), `name-overlap` (of the units of the same parent that changed on that date, the one
  sharing the rarest words of the name: words common in the district weigh little), `only-candidate` (the
  one unit of the same parent that changed on that date). Otherwise the unit ends in an abolition event
  with no successor, counted in the report.
- The act behind a change is linked when the commit message names an act whose title names the unit (or
  a unit it merged, or, failing that, its district or province), or when the message names one act only.
"""

from __future__ import annotations

import argparse
import csv
import functools
import itertools
import json
import re
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from vlkg.ingest.registry_names import parse_full_name, type_by_word
from vlkg.text import TONE_MARKS, fold_key
from vlkg.unit_types import LEVELS

if TYPE_CHECKING:  # the package is read by derive_history() only
    from vlkg.ingest.registry_source import SourceData

FIRST_FULL_RECORD = "2004-08-31"
LAST_LEGACY_DAY = "2025-06-30"
URBAN = {"thanh-pho-tw", "quan", "thi-xa", "thanh-pho", "phuong", "thi-tran"}
_ACT = re.compile(r"^(\d+[A-Za-z]?/[^\s:;]+)(?:\s+ngày\s+[\d/.\-]+)?\s*:\s*(.*)$", re.S)


@dataclass(frozen=True)
class State:
    """One unit as one snapshot lists it."""

    level: str
    type: str  # kg:type-{slug}
    name: str  # full name, level word canonical
    parent: str | None  # parent code

    def key(self) -> tuple[str, str, str, str | None]:
        return (self.level, self.type, spelling_key(self.name), self.parent)


@dataclass
class Snapshot:
    date: str
    units: dict[str, State]
    source: str  # change-log | edition | package
    acts: list[tuple[str, str]]  # (identifier, title) named by the commit message
    window_start: str | None = None  # a change first seen here happened on or after this day
    levels: tuple[str, ...] = LEVELS  # levels this snapshot lists


@dataclass
class Version:
    code: str
    valid_from: str
    state: State
    first_record: bool = False
    valid_through: str | None = None
    start_event: str | None = None
    end_event: str | None = None


@dataclass
class Event:
    id: str  # '{date}/au/{code}' or '{date}/abolish/{code}'
    date: str
    window_start: str | None
    kinds: set[str] = field(default_factory=set)
    acts: list[str] = field(default_factory=list)


@functools.cache
def spelling_key(name: str) -> str:
    """Lower case, tone marks moved to the end of each syllable: 'Hoà' and 'Hòa' compare equal, 'Hùng' and
    'Hưng' do not."""
    out = []
    for syllable in unicodedata.normalize("NFD", name.lower()).split():
        tones = "".join(c for c in syllable if c in TONE_MARKS)
        out.append(unicodedata.normalize("NFC", "".join(c for c in syllable if c not in TONE_MARKS)) + tones)
    return " ".join(out)


def _day_before(iso: str) -> str:
    return (date.fromisoformat(iso) - timedelta(days=1)).isoformat()


def _day_after(iso: str) -> str:
    return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()


# -- reading the sources ----------------------------------------------------------------------------------

def _git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout


@functools.cache
def _state(level: str, name: str, type_word: str, parent: str | None) -> State:
    parsed = parse_full_name(name, level)
    typed = type_by_word(type_word, level)
    if parsed is None:
        if typed is None:
            raise ValueError(f"{level} {name!r} of type {type_word!r}: no known level word")
        parsed = parse_full_name(f"{typed.word} {name}", level)
        assert parsed is not None
    unit_type = typed or parsed.unit_type
    full = parsed.full if parsed.unit_type == unit_type else f"{unit_type.word} {parsed.short}"
    return State(level, unit_type.slug, full, parent)


def _units(provinces: list[dict]) -> dict[str, State]:
    out: dict[str, State] = {}
    for p in provinces:
        out[p["level1_id"]] = _state("province", p["name"], p["type"], None)
        for d in p.get("level2s", []):
            out[d["level2_id"]] = _state("district", d["name"], d["type"], p["level1_id"])
            for c in d.get("level3s", []):
                out[c["level3_id"]] = _state("commune", c["name"], c["type"], d["level2_id"])
    return out


def parse_acts(message: str) -> list[tuple[str, str]]:
    """'786/NQ-UBTVQH14: Về việc …; 1260/NQ-UBTVQH14: …;' -> [(identifier, title)], first title kept."""
    acts: dict[str, str] = {}
    last = None
    for part in message.split(";"):
        part = " ".join(part.split())
        if not part:
            continue
        m = _ACT.match(part)
        if m:
            last = m.group(1)
            acts.setdefault(last, m.group(2))
        elif last is not None:
            acts[last] += "; " + part  # a title with ';' in it
    return list(acts.items())


def _blobs(repo: Path, specs: list[str]) -> list[bytes]:
    """The contents of `commit:path` specs, read through one `git cat-file --batch` (200 `git show`s take 10 s)."""
    out = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"], input="\n".join(specs).encode() + b"\n",
                         capture_output=True, check=True).stdout
    blobs, pos = [], 0
    for spec in specs:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        if len(header) != 3:
            raise ValueError(f"{repo}: {spec} is missing ({out[pos:header_end]!r})")
        size = int(header[2])
        blobs.append(out[header_end + 1:header_end + 1 + size])
        pos = header_end + 1 + size + 1
    return blobs


def read_change_log(bundle: Path, work: Path) -> list[Snapshot]:
    """One snapshot per commit that changed data.json, oldest first."""
    repo = work / "changes"
    subprocess.run(["git", "clone", "-q", str(bundle), str(repo)], check=True)
    out: list[Snapshot] = []
    previous = None
    log = _git(repo, "log", "--reverse", "--topo-order", "--format=%H %ad %s", "--date=short").decode()
    commits = [line.split(" ", 2) for line in log.splitlines()]
    for (_commit, day, message), blob in zip(commits, _blobs(repo, [f"{c}:data.json" for c, _, _ in commits]),
                                             strict=True):
        if blob == previous:
            continue  # README or tooling commits
        previous = blob
        if not out:  # the first record: message "15/01/2003", author date meaningless
            d, m, y = message.strip().split("/")
            out.append(Snapshot(f"{y}-{m}-{d}", _units(json.loads(blob)), "change-log", [],
                                levels=("province",)))
            continue
        snap = Snapshot(day, _units(json.loads(blob)), "change-log", parse_acts(message))
        if day == FIRST_FULL_RECORD:  # acts of 2003-2004 gathered in one commit: dates unknown in between
            snap.window_start = _day_after(out[-1].date)
        if out[-1].date == day:  # two commits of one date (2020-06-01): the state at the end of the day counts
            snap.acts = list(dict(out[-1].acts + snap.acts).items())
            out.pop()
        out.append(snap)
    return out


def read_editions(bundle: Path, work: Path) -> dict[str, dict[str, State]]:
    """Edition date -> register; of two editions of one date the later commit (a correction) wins."""
    repo = work / "editions"
    subprocess.run(["git", "clone", "-q", str(bundle), str(repo)], check=True)
    out: dict[str, dict[str, State]] = {}
    commits = _git(repo, "log", "--reverse", "--topo-order", "--format=%H").decode().split()
    days = _blobs(repo, [f"{c}:edition.txt" for c in commits])
    data = _blobs(repo, [f"{c}:dvhcvn.json" for c in commits])
    for day, blob in zip(days, data, strict=True):
        out[day.decode().strip()] = _units(json.loads(blob)["data"])
    return out


def read_bundles(shared: Path) -> tuple[list[Snapshot], dict[str, dict[str, State]]]:
    """The change log's snapshots and the editions, from the two bundles under `shared/reference/history`."""
    history = shared / "reference" / "history"
    with tempfile.TemporaryDirectory() as tmp:
        return (read_change_log(history / "gso-changes-2004-2021.bundle", Path(tmp)),
                read_editions(history / "gso-editions-2019-2025.bundle", Path(tmp)))


def read_package_codes(src: SourceData) -> tuple[set[str], dict[str, tuple[str, str]], str]:
    """Codes of the `vietnamadminunits` legacy table (the state of 2025-06-30), code -> (name, parent), and
    the package version."""
    names = {u.code: (u.name.full, (u.parent or "").split("/")[0]) for u in src.legacy}
    return set(names), names, src.version


def read_points(src: SourceData) -> list[list[str]]:
    """Points (and 2025 areas) from the package: on the version valid on 2025-06-30 or from 2025-07-01.

    A legacy point whose geocoded place is the unit itself locates it; any other (a fall-back to a larger
    place or a namesake) is kept only as the package's shared-point rule allows and marked approximate. The
    package states no method for its 2025 points: they are marked approximate too.
    """
    from vlkg.ingest.registry_source import _geocoded_as_itself

    rows = []
    for u in src.legacy:
        if u.lat is not None and u.lon is not None:
            rows.append([u.code, LAST_LEGACY_DAY, str(u.lat), str(u.lon), "",
                         "" if _geocoded_as_itself(u, exact=False) else "1"])
    for u in src.new:
        if u.lat is not None or u.area_km2 is not None:
            rows.append([u.code, "2025-07-01", str(u.lat or ""), str(u.lon or ""), str(u.area_km2 or ""), "1"])
    return sorted(rows, key=lambda r: (r[1], len(r[0]), r[0]))


# -- versions -----------------------------------------------------------------------------------------------

@dataclass
class History:
    versions: list[Version] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)
    links: list[tuple[str, str, str, str]] = field(default_factory=list)  # pred uid, succ uid, event, basis
    acts: dict[str, tuple[str, str]] = field(default_factory=dict)  # identifier -> (title, first date)
    stats: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def note(self, kind: str, example: str) -> None:
        self.stats[kind] += 1
        if len(self.examples[kind]) < 5:
            self.examples[kind].append(example)


def uid(v: Version) -> str:
    return f"{v.code}/{v.valid_from}"


def derive_versions(snaps: list[Snapshot]) -> History:
    """Walk the snapshots in order; see the module docstring for the rules."""
    h = History()
    open_: dict[str, Version] = {}
    first = snaps[0]
    for code, st in sorted(first.units.items()):
        open_[code] = _open(h, code, first.date, st, first_record=True)
    covered = set(first.levels)
    for prev, snap in itertools.pairwise(snaps):
        _transition(h, open_, prev, snap, covered)
        covered |= set(snap.levels)
    h.versions.sort(key=lambda v: (len(v.code), v.code, v.valid_from))
    return h


def _open(h: History, code: str, day: str, st: State, first_record: bool = False) -> Version:
    v = Version(code, day, st, first_record)
    h.versions.append(v)
    return v


def _province(code: str, units: dict[str, State]) -> str:
    while units[code].parent is not None:
        code = units[code].parent  # type: ignore[assignment]
    return code


def _words(name: str) -> set[str]:
    parsed = parse_full_name(name, "commune") or parse_full_name(name, "district") or parse_full_name(name, "province")
    return set(fold_key(parsed.short if parsed else name).split())


def _transition(h: History, open_: dict[str, Version], prev: Snapshot, snap: Snapshot, covered: set[str]) -> None:
    a, b, day = prev.units, snap.units, snap.date
    first_link = len(h.links)
    # A code listed at another level is another unit (the 2003 province codes were reused for districts).
    relevelled = {c for c in set(a) & set(b) if a[c].level != b[c].level}
    vanished = sorted(set(a) - set(b) | relevelled)
    appeared = sorted(set(b) - set(a) | relevelled)
    first_seen = {c for c in appeared if b[c].level not in covered}
    appeared = [c for c in appeared if c not in first_seen]
    kept = set(a) & set(b) - relevelled
    changed = {c for c in kept if a[c].key() != b[c].key()}
    for c in kept:
        if c not in changed and a[c].name != b[c].name:
            open_[c].state = b[c]  # tone-mark placement only: keep the latest spelling
            h.stats["spelling_only_updates"] += 1
    moved = {c for c in changed if a[c].parent != b[c].parent}
    boundary = set()
    for c in moved:
        boundary |= {p for p in (a[c].parent, b[c].parent) if p in a and p in b}
    starting = set(appeared) | changed | boundary

    # Inferred successors of vanished units.
    succ: dict[str, list[tuple[str, str]]] = {}
    for v in vanished:
        succ[v] = _infer(v, a, b, starting, appeared)
    absorbers = {s for links in succ.values() for s, _ in links if s in kept}
    starting |= absorbers
    # Predecessors of appeared units formed from parts of others (their communes came from there).
    parts: dict[str, set[str]] = defaultdict(set)
    for c in moved:
        if b[c].parent in appeared and a[c].parent is not None:
            parts[b[c].parent].add(a[c].parent)

    ended = {v: open_.pop(v) for v in vanished}
    new_versions: dict[str, Version] = {}
    for c in sorted(starting):
        if c in kept:
            open_[c].valid_through = _day_before(day)
        new_versions[c] = _open(h, c, day, b[c])
    for c in first_seen:
        open_[c] = _open(h, c, day, b[c], first_record=True)

    for c, nv in sorted(new_versions.items()):
        ev = _event(h, f"{day}/au/{c}", snap)
        nv.start_event = ev.id
        if c in kept:
            old = open_[c]
            old.end_event = ev.id
            h.links.append((uid(old), uid(nv), ev.id, "same-code"))
            if a[c].type != b[c].type:
                ev.kinds.add("upgrade" if b[c].type in URBAN and a[c].type not in URBAN else "reclassification")
            if spelling_key(_short(a[c].name)) != spelling_key(_short(b[c].name)):  # Xã X -> Thị trấn X: no rename
                ev.kinds.add("rename")
            if a[c].parent != b[c].parent:
                ev.kinds.add("transfer")
            if c in boundary:
                ev.kinds.add("boundary")
        else:
            ev.kinds.add("establishment")
        for p in sorted(parts.get(c, ())):
            source = open_.get(p) or ended.get(p)  # the district it was split from (its old version)
            if source is not None:
                h.links.append((uid(source), uid(nv), ev.id, "children"))
                ev.kinds.discard("establishment")
                ev.kinds.add("split")
    for v in vanished:
        old = ended[v]
        old.valid_through = _day_before(day)
        if succ[v]:
            old.end_event = new_versions[succ[v][0][0]].start_event
            for s, basis in succ[v]:
                ev = h.events[new_versions[s].start_event]  # type: ignore[index]
                ev.kinds.discard("establishment")
                ev.kinds.add("merger")
                h.links.append((uid(old), uid(new_versions[s]), ev.id, basis))
                h.note(f"inferred_links_{basis}", f"{old.state.name} ({v}) -> {b[s].name} ({s}) on {day}")
        else:
            ev = _event(h, f"{day}/abolish/{v}", snap)
            ev.kinds.add("abolition")
            old.end_event = ev.id
            h.note("vanished_without_successor", f"{a[v].name} ({v}) on {day}")
    for c, nv in new_versions.items():
        open_[c] = nv
    for ev_id in {nv.start_event for nv in new_versions.values()} | {f"{day}/abolish/{v}" for v in vanished}:
        if ev_id in h.events:
            _link_acts(h, h.events[ev_id], snap, a, b, h.links[first_link:])


def _infer(v: str, a: dict[str, State], b: dict[str, State], starting: set[str], appeared: list[str]
           ) -> list[tuple[str, str]]:
    """Who took over vanished unit `v` (see the module docstring), with the basis of each link."""
    kids = [c for c, s in a.items() if s.parent == v and c in b]
    if kids:
        return [(p, "children") for p in sorted({b[c].parent for c in kids})]  # type: ignore[misc]
    st = a[v]
    province = _province(v, a)
    same_level = [c for c in starting if b[c].level == st.level and c in b]
    if st.level == "province":
        named = [c for c in appeared if b[c].level == "province" and _words(b[c].name) == _words(st.name)]
        return [(c, "same-name") for c in named[:1]]
    in_province = [c for c in same_level if _province(c, b) == province]
    short = spelling_key(_short(st.name))
    named = [c for c in in_province if c in appeared and spelling_key(_short(b[c].name)) == short]
    if len(named) == 1:
        return [(named[0], "same-name")]
    siblings = sorted(c for c in in_province if b[c].parent == st.parent)
    # A word shared by many names of the district ("Vĩnh" in Vĩnh Lộc) says little: weigh each by rarity.
    common = Counter(w for s in a.values() if s.parent == st.parent for w in _words(s.name))
    words = _words(st.name)
    scored = sorted(((sum(1 / common[w] for w in words & _words(b[c].name)), c) for c in siblings), reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return [(scored[0][1], "name-overlap")]
    if len(siblings) == 1:
        return [(siblings[0], "only-candidate")]
    return []


def _short(name: str) -> str:
    for level in LEVELS:
        parsed = parse_full_name(name, level)
        if parsed:
            return parsed.short
    return name


def _event(h: History, ev_id: str, snap: Snapshot) -> Event:
    if ev_id not in h.events:
        h.events[ev_id] = Event(ev_id, snap.date, snap.window_start)
    return h.events[ev_id]


def _link_acts(h: History, ev: Event, snap: Snapshot, a: dict[str, State], b: dict[str, State],
               links: list[tuple[str, str, str, str]]) -> None:
    """The acts of the commit whose titles name the unit (or what it merged), else its district, else its
    province; a commit naming one act gives that act."""
    if not snap.acts:
        return
    code = ev.id.rsplit("/", 1)[1]
    units = b if code in b else a
    names = {_short(units[code].name)}
    if code in a:
        names.add(_short(a[code].name))
    names |= {_short(a[p.split("/")[0]].name) for p, _s, e, _ in links if e == ev.id and p.split("/")[0] in a}
    chain = []
    parent = units[code].parent
    while parent is not None and parent in units:
        chain.append({_short(units[parent].name)})
        parent = units[parent].parent
    titles = [(ident, fold_key(title)) for ident, title in snap.acts]
    chosen: list[str] = []
    for group in [names, *chain]:
        keys = [fold_key(n) for n in group if len(fold_key(n)) > 2]
        chosen = [ident for ident, t in titles if any(re.search(rf"\b{re.escape(k)}\b", t) for k in keys)]
        if chosen:
            break
    if not chosen and len(snap.acts) == 1:
        chosen = [snap.acts[0][0]]
    ev.acts = chosen
    for ident, title in snap.acts:
        if ident not in h.acts:
            h.acts[ident] = (title, snap.date)


# -- overlap of the two sources -------------------------------------------------------------------------

def compare_overlap(snaps: list[Snapshot], editions: dict[str, dict[str, State]]) -> list[dict[str, str]]:
    """Each edition up to the change log's end against the change log's state on the edition's date."""
    rows = []
    last = snaps[-1].date
    for day, ed in sorted(editions.items()):
        if day > last:
            break
        log = [s for s in snaps if s.date <= day][-1].units
        for code in sorted(set(log) | set(ed), key=lambda c: (len(c), c)):
            x, y = log.get(code), ed.get(code)
            if x is None or y is None:
                kind = "only in the edition" if x is None else "only in the change log"
                rows.append(_row(day, code, kind, x, y))
                continue
            if spelling_key(x.name) != spelling_key(y.name):
                rows.append(_row(day, code, "name", x, y))
            if x.type != y.type:
                rows.append(_row(day, code, "type", x, y))
            if x.parent != y.parent:
                rows.append(_row(day, code, "parent", x, y))
    return rows


def _row(day: str, code: str, kind: str, x: State | None, y: State | None) -> dict[str, str]:
    def show(s: State | None) -> str:
        return f"{s.name} ({s.type}, in {s.parent})" if s else ""
    return {"edition": day, "code": code, "difference": kind, "change_log": show(x), "edition_value": show(y)}


# -- assembling the timeline and writing ------------------------------------------------------------------

def timeline(changes: list[Snapshot], editions: dict[str, dict[str, State]], package_codes: set[str]) -> list[Snapshot]:
    """Change log up to its end, later editions after it, and the package's codes on 2025-06-30."""
    snaps = list(changes)
    for day, units in sorted(editions.items()):
        if day > snaps[-1].date:
            snaps.append(Snapshot(day, units, "edition", [], window_start=_day_after(snaps[-1].date)))
    final = {c: s for c, s in snaps[-1].units.items() if c in package_codes}
    snaps.append(Snapshot(LAST_LEGACY_DAY, final, "package", [], window_start=_day_after(snaps[-1].date)))
    return snaps


def derive_history(shared: Path, out: Path) -> dict:
    """Read the sources under `shared`, write `out/registry/*.csv` and the report; return the report."""
    changes, editions = read_bundles(shared)
    from vlkg.ingest.registry_source import read_source

    package = read_source()  # the package's tables, read once (a few seconds)
    codes, package_names, package_version = read_package_codes(package)
    snaps = timeline(changes, editions, codes)
    h = derive_versions(snaps)
    disagreements = compare_overlap(changes, editions)
    for v in h.versions:
        if v.valid_through is None:
            v.valid_through = LAST_LEGACY_DAY  # every legacy unit ended with the 2025 reform
    reg = out / "registry"
    reg.mkdir(parents=True, exist_ok=True)
    _write(reg / "versions.csv", ["code", "valid_from", "valid_through", "level", "type", "name", "parent_code",
                                  "first_record", "start_event", "end_event"],
           ([v.code, v.valid_from, v.valid_through, v.state.level, v.state.type, v.state.name, v.state.parent or "",
             "1" if v.first_record else "", v.start_event or "", v.end_event or ""] for v in h.versions))
    events = sorted(h.events.values(), key=lambda e: (e.date, e.id))
    _write(reg / "events.csv", ["event", "date", "window_start", "kinds", "acts"],
           ([e.id, e.date, e.window_start or "", " ".join(sorted(e.kinds)), " ".join(e.acts)] for e in events))
    _write(reg / "links.csv", ["predecessor", "successor", "event", "basis"], sorted(set(h.links)))
    _write(reg / "acts.csv", ["identifier", "first_seen", "title"],
           ([i, d, t] for i, (t, d) in sorted(h.acts.items(), key=lambda kv: (kv[1][1], kv[0]))))
    _write(reg / "history-disagreements.csv", ["edition", "code", "difference", "change_log", "edition_value"],
           ([r["edition"], r["code"], r["difference"], r["change_log"], r["edition_value"]] for r in disagreements))
    _write(reg / "points.csv", ["code", "valid_on", "lat", "lon", "area_km2", "approximate"], read_points(package))
    spelled = [(c, n, snaps[-1].units[c].name) for c, (n, _) in sorted(package_names.items())
               if c in snaps[-1].units and spelling_key(n) != spelling_key(snaps[-1].units[c].name)]
    _write(reg / "package-spellings.csv", ["code", "package_name", "gso_name"], spelled)
    report = _report(h, snaps, events, disagreements, spelled, package_version)
    (reg / "history-report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                                             encoding="utf-8")
    return report


def _write(path: Path, header: list[str], rows: Iterable[Iterable[str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    tmp.replace(path)


def _report(h: History, snaps: list[Snapshot], events: list[Event], disagreements: list[dict[str, str]],
            spelled: list, package_version: str) -> dict:
    kinds = Counter(k for e in events for k in e.kinds)
    periods: Counter = Counter()
    for v in h.versions:
        periods[f"{v.valid_from[:4]}"] += 1
    return {
        "sources": {"change_log_snapshots": sum(s.source == "change-log" for s in snaps),
                    "editions_after_change_log": sum(s.source == "edition" for s in snaps),
                    "package": f"vietnamadminunits {package_version}"},
        "versions": len(h.versions),
        "versions_by_level": dict(Counter(v.state.level for v in h.versions)),
        "versions_first_recorded": sum(v.first_record for v in h.versions),
        "versions_starting_by_year": dict(sorted(periods.items())),
        "events": len(events),
        "events_by_kind": dict(sorted(kinds.items())),
        "events_dated_by_window": sum(e.window_start is not None for e in events),
        "events_with_act": sum(bool(e.acts) for e in events),
        "events_without_act": sum(not e.acts for e in events),
        "acts": len(h.acts),
        "links_by_basis": dict(sorted(Counter(b for *_, b in set(h.links)).items())),
        "inference": dict(sorted(h.stats.items())),
        "inference_examples": {k: v for k, v in sorted(h.examples.items())},
        "overlap_disagreements": dict(sorted(Counter(f"{r['edition']} {r['difference']}"
                                                     for r in disagreements).items())),
        "package_spelling_differences": len(spelled),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared"))
    parser.add_argument("--out", type=Path, default=Path("data"))
    args = parser.parse_args(argv)
    report = derive_history(args.shared, args.out)
    json.dump({k: v for k, v in report.items() if k != "inference_examples"}, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The graph is true for every date of the sources: the units valid on each snapshot date of both GSO bundles
equal that snapshot, except the disagreements data/registry/history-disagreements.csv lists (each one).

Needs the bundles in ../shared/reference/history (a failure under CI=true when they are missing, a skip with the
reason otherwise); re-deriving data/registry from them is a maintainer's step (`python -m
vlkg.ingest.derive_history`), checked here by comparing states, not bytes (that run takes 40 s).
"""

from __future__ import annotations

import csv
import os
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from conftest import shared_missing

from vlkg.ingest.derive_history import read_bundles, spelling_key

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("VLKG_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="module")
def bundles():
    if not (SHARED / "reference" / "history" / "gso-changes-2004-2021.bundle").is_file():
        shared_missing(f"the GSO history bundles are not in {SHARED}/reference/history")
    return read_bundles(SHARED)


class _Timeline:
    """The registry swept in date order: each version enters the state on its first day and leaves after its last
    (a version's parent code never changes, so its tuple is fixed), so 221 dates compare in a second."""

    def __init__(self, registry) -> None:
        self.changes: list[tuple[int, int, str, tuple | None]] = []  # (ordinal, 0 leave | 1 enter, code, state)
        for r in registry:
            parent = registry.parent_on(r)
            state = (r.level, r.unit_type, spelling_key(r.name), parent.code if parent else None)
            self.changes.append((r.valid_from.toordinal(), 1, r.code, state))
            if r.valid_through is not None:
                self.changes.append((r.valid_through.toordinal() + 1, 0, r.code, None))
        self.changes.sort(key=lambda c: (c[0], c[1]))
        self.state: dict[str, tuple] = {}
        self.next = 0
        self.day = 0

    def state_on(self, day: date) -> dict[str, tuple]:
        """code -> (level, type, spelling of the name, parent code) of the versions valid on `day` (dates must
        come in increasing order)."""
        assert day.toordinal() >= self.day, "dates must increase"
        self.day = day.toordinal()
        while self.next < len(self.changes) and self.changes[self.next][0] <= self.day:
            _, enter, code, state = self.changes[self.next]
            if enter:
                assert code not in self.state, f"two versions of {code} on {day}"
                self.state[code] = state  # type: ignore[assignment]
            else:
                del self.state[code]
            self.next += 1
        return self.state


@pytest.fixture
def timeline(registry) -> _Timeline:
    return _Timeline(registry)


def _snapshot(units) -> dict[str, tuple]:
    return {c: (s.level, s.type, spelling_key(s.name), s.parent) for c, s in units.items()}


def _differences(graph: dict, snap: dict) -> set[tuple[str, str]]:
    """(code, kind) pairs, kinds as history-disagreements.csv names them."""
    out = set()
    for code in set(graph) | set(snap):
        g, s = graph.get(code), snap.get(code)
        if g is None:
            out.add((code, "only in the edition"))
        elif s is None:
            out.add((code, "only in the change log"))
        else:
            out |= {(code, kind) for kind, i in (("type", 1), ("name", 2), ("parent", 3)) if g[i] != s[i]}
            assert g[0] == s[0], (code, g, s)
    return out


def test_every_change_log_snapshot_equals_the_graph_on_its_date(bundles, timeline) -> None:
    changes, _ = bundles
    assert len(changes) == 203  # 209 commits: 5 touch no data, two share 2020-06-01
    for snap in changes:
        day = date.fromisoformat(snap.date)
        graph, expected = timeline.state_on(day), _snapshot(snap.units)
        assert graph == expected, f"{snap.date}: {sorted(_differences(graph, expected))[:5]}"


def test_every_edition_equals_the_graph_but_for_the_listed_disagreements(bundles, timeline) -> None:
    _, editions = bundles
    listed: dict[str, set[tuple[str, str]]] = defaultdict(set)
    with (REPO / "data" / "registry" / "history-disagreements.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            listed[row["edition"]].add((row["code"], row["difference"]))
    assert len(editions) == 18
    seen = 0
    for day, units in sorted(editions.items()):
        diff = _differences(timeline.state_on(date.fromisoformat(day)), _snapshot(units))
        assert diff == listed.get(day, set()), f"{day}: unlisted {sorted(diff - listed[day])[:5]}, " \
                                               f"listed but not found {sorted(listed[day] - diff)[:5]}"
        seen += len(diff)
    assert seen == sum(len(v) for v in listed.values()) > 0  # the overlap does disagree, and says where

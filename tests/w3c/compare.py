"""Compare an actual result with the expected one, up to blank-node renaming.

SELECT results are multisets of solutions (sequences when the query orders them); graphs are sets of
triples. Blank nodes match when one bijection between the two sides' labels makes them equal: a
backtracking search over rows, pruned by each row's shape with blank nodes masked.
"""

from __future__ import annotations

from collections import Counter

from w3c.results import Graph, Result, Solutions, Table, Term, canonical

Cells = tuple  # a row as a hashable tuple of cells; blank nodes are ("b", label)


def _is_blank(cell: object) -> bool:
    return isinstance(cell, tuple) and len(cell) == 2 and cell[0] == "b"


def _blanks(cell: object) -> list:
    """The blank nodes inside a cell (a term, or a quoted triple)."""
    if _is_blank(cell):
        return [cell]
    if isinstance(cell, tuple) and cell and cell[0] == "t":
        return [b for part in cell[1:] for b in _blanks(part)]
    return []


def _mask(row: Cells) -> Cells:
    """The row with every blank node replaced by one placeholder: its shape."""
    def m(cell):
        if _is_blank(cell):
            return ("b", "")
        if isinstance(cell, tuple) and cell and cell[0] == "t":
            return ("t", *(m(p) for p in cell[1:]))
        return cell
    return tuple(m(c) for c in row)


def _extend(mapping: dict, used: set, exp: Cells, act: Cells) -> list | None:
    """Bind exp's blank nodes to act's, consistently and one-to-one; the new pairs, or None on conflict."""
    added: list = []
    for e_cell, a_cell in zip(exp, act, strict=True):
        for e, a in zip(_blanks(e_cell), _blanks(a_cell), strict=True):
            bound = mapping.get(e)
            if bound is None:
                if a in used:
                    break
                mapping[e] = a
                used.add(a)
                added.append(e)
            elif bound != a:
                break
        else:
            continue
        for e in added:
            used.discard(mapping.pop(e))
        return None
    return added


def rows_match(expected: list[Cells], actual: list[Cells], ordered: bool = False) -> bool:
    """True when one blank-node bijection maps the expected rows onto the actual ones."""
    if len(expected) != len(actual):
        return False
    if Counter(map(_mask, expected)) != Counter(map(_mask, actual)):
        return False
    mapping: dict = {}
    used: set = set()
    if ordered:
        return all(_mask(e) == _mask(a) and _extend(mapping, used, e, a) is not None
                   for e, a in zip(expected, actual, strict=True))
    ground = [r for r in expected if not any(_blanks(c) for c in r)]
    if Counter(ground) != Counter(r for r in actual if not any(_blanks(c) for c in r)):
        return False
    pending = [r for r in expected if any(_blanks(c) for c in r)]
    candidates = [r for r in actual if any(_blanks(c) for c in r)]
    return _search(pending, candidates, [False] * len(candidates), mapping, used)


def _search(pending: list[Cells], candidates: list[Cells], taken: list[bool], mapping: dict,
            used: set) -> bool:
    if not pending:
        return True
    row, rest = pending[0], pending[1:]
    shape = _mask(row)
    for i, cand in enumerate(candidates):
        if taken[i] or _mask(cand) != shape:
            continue
        added = _extend(mapping, used, row, cand)
        if added is None:
            continue
        taken[i] = True
        if _search(rest, candidates, taken, mapping, used):
            return True
        taken[i] = False
        for e in added:
            used.discard(mapping.pop(e))
    return False


def _canon_rows(rows) -> list[Cells]:
    return [tuple(canonical(c) for c in row) for row in rows]


def _csv_cell(value: str) -> object:
    """CSV cells are text; a `_:` cell is a blank node."""
    return ("b", value[2:]) if value.startswith("_:") else value


def compare(expected: Result, actual: Result, ordered: bool = False) -> str | None:
    """None when the results agree, else a one-line reason."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if type(expected) is not type(actual):
            return f"expected {type(expected).__name__}, got {type(actual).__name__}"
        return None if expected == actual else f"expected {expected}, got {actual}"
    if type(expected) is not type(actual):
        return f"expected {type(expected).__name__}, got {type(actual).__name__}"
    if isinstance(expected, Graph):
        assert isinstance(actual, Graph)
        ok = rows_match(_canon_rows(expected.triples), _canon_rows(actual.triples))
        return None if ok else _differ("graphs", list(expected.triples), list(actual.triples))
    if isinstance(expected, Table):
        assert isinstance(actual, Table)
        if set(expected.header) != set(actual.header):
            return f"CSV header {actual.header} instead of {expected.header}"
        cols = expected.header
        exp = [tuple(_csv_cell(r.get(c, "")) for c in cols) for r in expected.rows]
        act = [tuple(_csv_cell(r.get(c, "")) for c in cols) for r in actual.rows]
        return None if rows_match(exp, act, ordered) else _differ("CSV rows", exp, act)
    assert isinstance(expected, Solutions) and isinstance(actual, Solutions)
    if set(expected.variables) != set(actual.variables):
        return f"variables {sorted(actual.variables)} instead of {sorted(expected.variables)}"
    cols = sorted(expected.variables)
    exp = _canon_rows(tuple(r.get(c) for c in cols) for r in expected.rows)
    act = _canon_rows(tuple(r.get(c) for c in cols) for r in actual.rows)
    return None if rows_match(exp, act, ordered) else _differ("solutions", exp, act)


def _differ(what: str, exp: list[Cells], act: list[Cells]) -> str:
    """A one-line account of how two row lists differ."""
    missing = Counter(map(_mask, exp)) - Counter(map(_mask, act))
    extra = Counter(map(_mask, act)) - Counter(map(_mask, exp))
    detail = "order or blank nodes"
    if missing or extra:
        detail = f"missing {_show(missing)}; unexpected {_show(extra)}"
    return f"{what} differ ({len(exp)} expected, {len(act)} got): {detail}"


def _show(rows: Counter) -> str:
    items = [" ".join(_term_text(c) for c in row) for row in list(rows)[:2]]
    return "[" + " | ".join(items) + (" ..." if len(rows) > 2 else "") + "]"


def _term_text(term: Term | str | None) -> str:
    if term is None:
        return "-"
    if isinstance(term, str):
        return term
    if term[0] == "u":
        return f"<{term[1]}>"
    if term[0] == "b":
        return "_:"
    if term[0] == "l":
        suffix = f"@{term[3]}" if term[3] else ("" if term[2].endswith("#string") else f"^^<{term[2]}>")
        return f'"{term[1]}"{suffix}'
    return str(term)

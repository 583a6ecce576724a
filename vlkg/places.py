"""Place reconciliation and search over the unit registry: free text (an address, a name, a code) -> unit versions.

`Places(registry)` builds its indexes once (folded names, tokens, token prefixes; well under a second) and
answers two questions:

- `reconcile(text, on=, level=, parent=, province=)`: which unit version an address denotes on a date, ranked,
  with a 0-100 score, the reasons, and a `match` flag only when one candidate is clearly the answer. An address
  is read smallest unit first ("xã Vĩnh Hùng, huyện Vĩnh Lộc, Thanh Hóa"), with or without commas, level words
  (spelt out or abbreviated: X., P., TT., H., Q., TX., TP., T.), diacritics, in NFC or NFD; ward numbers in
  Arabic or Roman numerals ("Phường V" = "Phường 5" = "P5"); or a bare code. With a date: the version valid
  then, or, when the named unit had ended by then, what it became (its successors, said so in the reasons and
  in `successor_of`). Without a date: an address that names a district is pre-reform (districts end on
  2025-06-30); otherwise the current version is preferred.
- `search(q)`: names by prefix, diacritic- and normalisation-insensitive, ranked by closeness and currency.

Both build on `Registry` (vlkg.units), the one resolver of units by date; `Registry.lookup` stays strict.
"""

from __future__ import annotations

import bisect
import difflib
import heapq
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from vlkg.text import TONE_MARKS, fold, nfc
from vlkg.unit_types import LEVELS, UNIT_TYPES
from vlkg.units import Registry, UnitRecord

REFORM = date(2025, 7, 1)  # districts exist only before this day
LAST_PRE_REFORM = date(2025, 6, 30)

# Level words, folded, as token tuples -> (levels, unit types). Abbreviations are read the same way.
_LEVEL_WORDS: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {}


def _lw(words: tuple[str, ...], levels: set[str], types: set[str]) -> None:
    _LEVEL_WORDS[words] = (frozenset(levels), frozenset(types))


for _w, _lv, _ty in [
    (("xa",), {"commune"}, {"xa"}), (("x",), {"commune"}, {"xa"}),
    (("phuong",), {"commune"}, {"phuong"}), (("p",), {"commune"}, {"phuong"}), (("f",), {"commune"}, {"phuong"}),
    (("thi", "tran"), {"commune"}, {"thi-tran"}), (("tt",), {"commune"}, {"thi-tran"}),
    (("dac", "khu"), {"commune"}, {"dac-khu"}), (("dk",), {"commune"}, {"dac-khu"}),
    (("huyen",), {"district"}, {"huyen"}), (("h",), {"district"}, {"huyen"}),
    (("quan",), {"district"}, {"quan"}), (("q",), {"district"}, {"quan"}),
    (("thi", "xa"), {"district"}, {"thi-xa"}), (("tx",), {"district"}, {"thi-xa"}),
    (("thanh", "pho"), {"district", "province"}, {"thanh-pho", "thanh-pho-tw"}),
    (("tp",), {"district", "province"}, {"thanh-pho", "thanh-pho-tw"}),
    (("tinh",), {"province"}, {"tinh"}), (("t",), {"province"}, {"tinh"}),
]:
    _lw(_w, _lv, _ty)

# How a level word is spelt with diacritics: a token written with diacritics is a level word only if spelt so
# ("Tĩnh" in "Hà Tĩnh" is not "tỉnh").
_LEVEL_SPELLING = {"xa": "xã", "phuong": "phường", "thi tran": "thị trấn", "dac khu": "đặc khu", "huyen": "huyện",
                   "quan": "quận", "thi xa": "thị xã", "thanh pho": "thành phố", "tinh": "tỉnh"}
# Leading level word of a registry name, by unit type (number of tokens to drop).
_TYPE_WORDS = {t.slug: len(t.word.split()) for t in UNIT_TYPES}  # words the level word takes in a full name
_TYPE_LABEL = {t.slug: t.word.lower() for t in UNIT_TYPES}
_ALIASES = {("hcm",): ("ho", "chi", "minh"), ("tphcm",): ("tp", "ho", "chi", "minh"),
            ("hn",): ("ha", "noi"), ("tphn",): ("tp", "ha", "noi")}

_ROMAN = {"i": 1, "v": 5, "x": 10}
_ROMAN_TOKEN = re.compile(r"^[ivx]+$")
_SPLIT_NUMBER = re.compile(r"(?i)(?<![^\W\d_])(p|q|f)\.?\s*(\d{1,2})\b")
_PUNCT = re.compile(r"[\W_]+")
_APOSTROPHE = re.compile(r"['\u2019\u02bc]\s*")
_MAX_TEXT = 500  # characters of an address read (the rest is ignored); /reconcile accepts 500
_MAX_PARTS = 8  # comma-separated parts read
_MAX_TOKENS = 24  # words read in one part
_MAX_SEGMENTS = 5  # units named in one part (commune, district, province and two more)
_MAX_NAME_TOKENS = 8  # words in one unit name (the longest has 6)


def _roman(token: str) -> str:
    """'v' -> '5', 'iv' -> '4', 'xii' -> '12'; other tokens as they are; '05' -> '5'."""
    if token.isdigit():
        return str(int(token))
    if not _ROMAN_TOKEN.match(token) or len(token) > 5:
        return token
    total, prev = 0, 0
    for ch in reversed(token):
        value = _ROMAN[ch]
        total = total - value if value < prev else total + value
        prev = max(prev, value)
    return str(total) if 0 < total <= 30 else token


def _raw_tokens(text: str) -> list[str]:
    """NFC text -> its tokens, diacritics kept, lower case, punctuation gone ('P5' -> 'p', '5')."""
    text = _SPLIT_NUMBER.sub(r"\1 \2", nfc(text[:_MAX_TEXT]))
    text = _APOSTROPHE.sub("", text)
    return [t for t in _PUNCT.sub(" ", text).lower().split() if _fold_token(t).isalnum()]


def _fold_token(token: str) -> str:
    return fold(token).lower()


def _name_key(tokens: list[str] | tuple[str, ...]) -> str:
    """Folded tokens of a name -> its comparison key, numerals normalised: ('hai', 'chau', 'ii') -> 'hai chau 2'."""
    return " ".join(_roman(t) for t in tokens)


def _vowel_key(text: str) -> str:
    """Diacritics kept except tone marks: tells 'Hùng' from 'Hưng' but not 'Hoà' from 'Hòa'."""
    decomposed = unicodedata.normalize("NFD", nfc(text).lower())
    return " ".join("".join(c for c in decomposed if c not in TONE_MARKS).split())


def _day(on: date | None) -> date | None:
    """A datetime counts as its day (date and datetime do not compare)."""
    return on.date() if isinstance(on, datetime) else on


def _spelling(text: str) -> str:
    return " ".join(nfc(text).lower().split())


@dataclass(frozen=True)
class Match:
    """One candidate unit version for a text, with how close it is and why."""

    unit: UnitRecord
    score: float  # 0-100, higher is closer
    match: bool  # confident: the one right answer (W3C reconciliation "match")
    reasons: tuple[str, ...]  # human-readable, English
    successor_of: UnitRecord | None = None  # set when the unit is what the named unit became on the date


@dataclass
class _Segment:
    """One part of an address: an optional level word and a name."""

    key: str  # folded, numerals normalised: "vinh hung", "5"
    raw: str  # as written (NFC, lower case), without the level word: for spelling checks
    levels: frozenset[str] | None = None  # from the level word
    types: frozenset[str] | None = None
    word: str = ""  # the level word as written
    role: str = ""  # "" | "parent" | "province": set for context given by keyword


@dataclass
class _Candidate:
    unit: UnitRecord
    score: float
    reasons: list[str]
    province_ok: bool = True
    successor_of: UnitRecord | None = None
    extra: dict = field(default_factory=dict)
    doubt: bool = False  # a near name, another spelling, a wrong level word or a context it is not in


class Places:
    """Indexes of the registry's names for reconciliation and search (built once, read-only after)."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._records: list[UnitRecord] = list(registry)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._postings: dict[str, set[int]] = defaultdict(set)
        self._rec_key: list[str] = []
        self._rec_vowels: list[str] = []
        self._rec_spelling: list[str] = []
        self._index_of: dict[str, int] = {}
        for i, r in enumerate(self._records):
            self._index_of[r.iri.value] = i
            key = self._record_key(r)
            self._rec_key.append(key)
            self._by_key[key].append(i)
            short_key = _name_key([_fold_token(t) for t in _raw_tokens(r.short)])
            if short_key != key:
                self._by_key[short_key].append(i)
            for token in key.split():
                self._postings[token].add(i)
            name_part = self._record_name_part(r)
            self._rec_vowels.append(_vowel_key(name_part))
            self._rec_spelling.append(_spelling(name_part))
        self._tokens = sorted(self._postings)
        # Ties in search: current versions first, then the larger unit, the later version, the code.
        self._rank = [(r.valid_through is not None, LEVELS.index(r.level), -(r.valid_from or date.min).toordinal(),
                       r.code) for r in self._records]
        self._ancestry_cache: dict[str, tuple[tuple[UnitRecord, str], ...]] = {}

    # -- indexing -----------------------------------------------------------------------------------------------
    @staticmethod
    def _record_name_part(r: UnitRecord) -> str:
        words = r.name.split()
        return " ".join(words[_TYPE_WORDS.get(r.unit_type, 0):]) or r.name

    def _record_key(self, r: UnitRecord) -> str:
        tokens = [_fold_token(t) for t in _raw_tokens(r.name)]
        drop = _TYPE_WORDS.get(r.unit_type, 0)
        return _name_key(tokens[drop:] if len(tokens) > drop else tokens)

    def _ancestry(self, r: UnitRecord) -> tuple[tuple[UnitRecord, str], ...]:
        """Every ancestor version over the record's life, with its name key."""
        cached = self._ancestry_cache.get(r.iri.value)
        if cached is not None:
            return cached
        seen: dict[str, UnitRecord] = {}
        stack = list(r.parents) or ([r.parent] if r.parent is not None else [])
        while stack:
            iri = stack.pop()
            if iri.value in seen:
                continue
            try:
                p = self.registry.get(iri)
            except ValueError:
                continue
            seen[iri.value] = p
            stack.extend(p.parents or ([p.parent] if p.parent is not None else []))
        result = tuple((p, self._rec_key[self._index_of[p.iri.value]]) for p in seen.values())
        self._ancestry_cache[r.iri.value] = result
        return result

    # -- parsing ------------------------------------------------------------------------------------------------
    @staticmethod
    def _level_word_at(raw: list[str], folded: list[str], i: int) -> tuple[int, frozenset[str], frozenset[str]] | None:
        for n in (2, 1):
            words = tuple(folded[i:i + n])
            if len(words) < n or words not in _LEVEL_WORDS:
                continue
            written = " ".join(raw[i:i + n])
            if not written.isascii() and _LEVEL_SPELLING.get(" ".join(words)) != written:
                continue
            levels, types = _LEVEL_WORDS[words]
            return n, levels, types
        return None

    def _segmentations(self, raw: list[str], role: str = "") -> list[list[_Segment]]:
        """The ways a comma-free run of tokens splits into [level word] name segments of known names."""
        folded = [_fold_token(t) for t in raw]
        expanded_raw, expanded = [], []
        for r_tok, f_tok in zip(raw, folded, strict=True):
            alias = _ALIASES.get((f_tok,))
            if alias:
                expanded_raw.extend(alias)
                expanded.extend(alias)
            else:
                expanded_raw.append(r_tok)
                expanded.append(f_tok)
        raw, folded = expanded_raw[:_MAX_TOKENS], expanded[:_MAX_TOKENS]
        n = len(folded)
        results: list[list[_Segment]] = []

        def segment_at(i: int) -> list[tuple[int, _Segment]]:
            """Segments starting at token i: (end, segment)."""
            out = []
            lw = self._level_word_at(raw, folded, i)
            starts = [(i, None)]
            if lw is not None:
                starts.insert(0, (i + lw[0], lw))
            for start, level in starts:
                for j in range(start + 1, min(n, start + _MAX_NAME_TOKENS) + 1):
                    key = _name_key(folded[start:j])
                    if key in self._by_key:
                        out.append((j, _Segment(key, " ".join(raw[start:j]),
                                                level[1] if level else None, level[2] if level else None,
                                                " ".join(raw[i:start]), role)))
            return out

        edges = [segment_at(i) for i in range(n)]
        complete = [False] * n + [True]  # complete[i]: tokens i.. split into known segments
        for i in range(n - 1, -1, -1):
            complete[i] = any(complete[j] for j, _ in edges[i])

        def walk(i: int, acc: list[_Segment]) -> None:
            if len(results) >= 24:
                return
            if i == n:
                results.append(list(acc))
                return
            if len(acc) >= _MAX_SEGMENTS:
                return
            for j, seg in edges[i]:
                if complete[j]:
                    acc.append(seg)
                    walk(j, acc)
                    acc.pop()

        walk(0, [])
        if not results and n:
            # Not made of known names: one segment (its leading level word read), matched approximately.
            lw = self._level_word_at(raw, folded, 0)
            start = lw[0] if lw is not None and lw[0] < n else 0
            results.append([_Segment(_name_key(folded[start:]), " ".join(raw[start:]),
                                     lw[1] if lw and start else None, lw[2] if lw and start else None,
                                     " ".join(raw[:start]), role)])
        results.sort(key=len)
        return results[:12]

    def _parse(self, text: str) -> list[tuple[list[_Segment], float, str]]:
        """An address -> its possible readings (segments, the unit itself first; a penalty; a note).

        Besides the address as written: without up to three leading comma-separated parts ('Thôn Đông, xã
        Vĩnh Hùng, …', '12 Lê Lợi, P. 5, Q. 3': 5 points a part that names no unit, 15 one that does), and
        reversed when it starts with the province ('Thanh Hóa, Vĩnh Lộc, Vĩnh Hùng': 5 points).
        """
        parts = [p for p in re.split(r"[,;\n]+", nfc(text[:_MAX_TEXT])) if p.strip()][:_MAX_PARTS]
        options = [o for o in (self._segmentations(_raw_tokens(p)) for p in parts) if o]
        out: list[tuple[list[_Segment], float, str]] = []
        for skip in range(min(len(options), 4)):
            penalty, note = 0.0, ""
            if skip:
                dropped = options[:skip]
                penalty = sum(5.0 if len(o) == 1 and o[0][0].key not in self._by_key else 15.0 for o in dropped)
                note = "ignored " + ", ".join(repr(" ".join(s.word + " " + s.raw if s.word else s.raw for s in o[0]))
                                              for o in dropped)
            readings: list[list[_Segment]] = [[]]
            for opts in options[skip:]:
                readings = [r + o for r in readings for o in opts][:24]
            for reading in readings:
                if not reading:
                    continue
                out.append((reading, penalty, note))
                if (not skip and len(reading) > 1 and self._is_province_segment(reading[0])
                        and not self._is_province_segment(reading[-1])):
                    out.append((reading[::-1], 5.0, "read largest unit first"))
        return out

    # -- reconciliation -----------------------------------------------------------------------------------------
    def reconcile(self, text: str, *, on: date | None = None, level: str | None = None,
                  parent: str | None = None, province: str | None = None, limit: int = 5) -> list[Match]:
        """Candidate unit versions for an address (or a code), best first; see the module docstring."""
        if level is not None and level not in LEVELS:
            raise ValueError(f"level {level!r} is not one of {', '.join(LEVELS)}")
        on = _day(on)
        text = nfc(text or "").strip()
        if not text:
            return []
        if text.isdigit():
            return self._by_code(text, on, limit)
        context: list[_Segment] = []
        for value, role in ((parent, "parent"), (province, "province")):
            if value and value.strip():
                options = self._segmentations(_raw_tokens(value), role)
                if options:
                    seg = options[0][0] if len(options[0]) == 1 else _Segment(
                        _name_key([_fold_token(t) for t in _raw_tokens(value)]), _spelling(value), role=role)
                    if role == "province":
                        seg.levels = frozenset({"province"})
                    context.append(seg)
        best: dict[str, _Candidate] = {}
        for reading, penalty, note in self._parse(text):
            target, rest = reading[0], reading[1:] + context
            for cand in self._candidates(target, rest, on, level):
                if penalty:
                    cand.score -= penalty
                    cand.reasons.insert(0, note)
                key = cand.unit.iri.value
                if key not in best or (cand.province_ok, cand.score) > (best[key].province_ok, best[key].score):
                    best[key] = cand
        return self._finish(list(best.values()), limit)

    def _by_code(self, code: str, on: date | None, limit: int) -> list[Match]:
        versions = self.registry.by_code(code)
        if not versions:
            return []
        reason = f"code {code}"
        if on is not None:
            valid = [r for r in versions if r.valid_on(on)]
            if valid:
                return self._finish([_Candidate(r, 100, [reason, f"valid on {on}"]) for r in valid], limit)
            earlier = [r for r in versions if r.valid_through is not None and r.valid_through < on]
            if earlier:
                last = earlier[-1]
                succ = self._successors_on(last, on)
                if succ:
                    return self._finish([_Candidate(s, 90, [reason, self._successor_reason(last, on),
                                                            f"valid on {on}"], successor_of=last)
                                         for s in succ], limit)
            return self._finish([_Candidate(r, 40, [reason, f"not valid on {on} ({r.validity})"], doubt=True)
                                 for r in versions], limit)
        cands = []
        for r in versions:
            if r.valid_through is None:
                cands.append(_Candidate(r, 90, [reason, "current"]))
            else:
                cands.append(_Candidate(r, 80 if r is versions[-1] else 70, [reason, f"{r.validity}"]))
        return self._finish(cands, limit)

    def _successor_reason(self, old: UnitRecord, on: date) -> str:
        return f"successor of {old.name} ({old.code}) on {on}"

    def _successors_on(self, record: UnitRecord, on: date, *, back: bool = False) -> list[UnitRecord]:
        """The versions valid on `on` that `record` (ended before `on`) became, following successor links; with
        back=True, those it was formed from (it began after `on`), following predecessor links."""
        step = self.registry.predecessors if back else self.registry.successors
        found: dict[str, UnitRecord] = {}
        frontier, seen = [record], {record.iri.value}
        for _ in range(12):
            nxt = []
            for r in frontier:
                for s in step(r.iri):
                    if s.iri.value in seen:
                        continue
                    seen.add(s.iri.value)
                    if s.valid_on(on):
                        found[s.iri.value] = s
                    elif (s.valid_from is not None and on < s.valid_from) if back else (
                            s.valid_through is not None and s.valid_through < on):
                        nxt.append(s)
            if not nxt:
                break
            frontier = nxt
        return list(found.values())

    def _lookup_name(self, seg: _Segment) -> list[tuple[int, float, str]]:
        """(record index, name score, reason) for a segment's name: exact key, else close keys."""
        exact = self._by_key.get(seg.key)
        if exact:
            return [(i, 50.0, "name") for i in exact]
        tokens = seg.key.split()
        if not tokens:
            return []
        pool = self._prefix_pool(tokens)
        if not pool:  # each token matched loosely: the records sharing the rarest known token
            known = [self._postings[t] for t in tokens if t in self._postings]
            pool = min(known, key=len) if known else set()
        if len(seg.key) < 4:  # too short to be a misspelling of anything in particular
            return []
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(seg.key)
        ratios: dict[str, float] = {}
        scored = []
        for i in pool:
            rec_key = self._rec_key[i]
            ratio = ratios.get(rec_key)
            if ratio is None:
                matcher.set_seq1(rec_key)
                ratio = ratios[rec_key] = (matcher.ratio() if matcher.real_quick_ratio() >= 0.75
                                           and matcher.quick_ratio() >= 0.75 else 0.0)
            if ratio >= 0.75:
                scored.append((i, round(50 * ratio - 10, 1), f"name close to {rec_key!r}"))
        scored.sort(key=lambda t: -t[1])
        return scored[:200]

    def _candidates(self, target: _Segment, context: list[_Segment], on: date | None,
                    level: str | None) -> list[_Candidate]:
        out: list[_Candidate] = []
        written_with_marks = not target.raw.isascii()
        names_district = any(s.levels == frozenset({"district"}) for s in [target, *context])
        province_given = any(self._is_province_segment(s) for s in context)
        for i, name_score, name_reason in self._lookup_name(target):
            r = self._records[i]
            if level is not None and r.level != level:
                continue
            score, reasons = name_score, [name_reason]
            doubt = name_reason != "name"
            if written_with_marks:
                if _spelling(target.raw) == self._rec_spelling[i]:
                    score += 5
                    reasons.append("spelling")
                elif _vowel_key(target.raw) != self._rec_vowels[i]:
                    score -= 15
                    doubt = True
                    reasons.append(f"spelt {self._record_name_part(r)}")
            if target.types is not None:
                if r.unit_type in target.types:
                    score += 10
                    reasons.append("level word")
                elif target.levels is not None and r.level in target.levels:
                    doubt = True
                    reasons.append(f"level word {target.word!r} (is {_TYPE_LABEL.get(r.unit_type, r.unit_type)})")
                else:
                    score -= 25
                    doubt = True
                    reasons.append(f"level word {target.word!r} (is a {r.level})")
            province_ok = True
            district_matched = False
            for seg in context:
                hit = self._context_hit(r, seg)
                if hit is not None:
                    score += 10
                    reasons.append(("province " if hit.level == "province" else "parent ") + hit.name)
                    district_matched |= hit.level == "district"
                else:
                    score -= 20
                    doubt = True
                    reasons.append(f"not within {seg.word + ' ' if seg.word else ''}{seg.raw}")
                    if self._is_province_segment(seg):
                        province_ok = False
            if province_given and r.level == "province":
                province_ok = False
            if (r.level == "commune" and not district_matched and r.valid_from is not None
                    and r.valid_from < REFORM):
                # A commune of before the reform named without its district: a district of the same name, or
                # a commune named with it, is the likelier reading.
                score -= 2
                reasons.append("district not given")
            pre_reform = names_district or district_matched or r.level == "district"
            if on is None:
                out.append(_Candidate(r, score, reasons, province_ok, extra={"pre_reform": pre_reform},
                                      doubt=doubt))
            elif r.valid_on(on):
                out.append(_Candidate(r, score + 20, [*reasons, f"valid on {on}"], province_ok, doubt=doubt))
            else:
                successors = self._successors_on(r, on) if r.valid_through is not None and r.valid_through < on else []
                for s in successors:
                    out.append(_Candidate(s, score + 12, [*reasons, self._successor_reason(r, on), f"valid on {on}"],
                                          province_ok, successor_of=r, doubt=doubt))
                predecessors = (self._successors_on(r, on, back=True)
                                if r.valid_from is not None and on < r.valid_from else [])
                for p in predecessors:  # what the place was before the named unit was formed: several, as a rule
                    out.append(_Candidate(p, score + 5, [*reasons, f"predecessor of {r.name} ({r.code}) on {on}",
                                                         f"valid on {on}"], province_ok, doubt=True))
                if not successors and not predecessors:
                    out.append(_Candidate(r, score - 20, [*reasons, f"not valid on {on} ({r.validity})"],
                                          province_ok, doubt=True))
        if on is None:
            self._prefer_without_date(out)
        return out

    def _prefer_without_date(self, cands: list[_Candidate]) -> None:
        """No date: the latest pre-reform version when the address names a district, else the current one;
        older versions of the same code and name rank below."""
        latest: dict[tuple[str, str], date] = {}
        for c in cands:
            r = c.unit
            if c.extra.get("pre_reform") and (r.valid_from or date.min) >= REFORM:
                continue
            k = (r.code, self._rec_key[self._index_of[r.iri.value]])
            start = r.valid_from or date.min
            if k not in latest or start > latest[k]:
                latest[k] = start
        for c in cands:
            r = c.unit
            k = (r.code, self._rec_key[self._index_of[r.iri.value]])
            if c.extra.get("pre_reform"):
                if (r.valid_from or date.min) >= REFORM:
                    c.score -= 20
                    c.reasons.append("after the reform, but the address names a district")
                    continue
                if latest.get(k) == (r.valid_from or date.min):
                    c.score += 10
                    c.reasons.append("pre-reform (the address names a district)")
                else:
                    c.score -= 15
                    c.reasons.append(f"an older version ({r.validity})")
            elif r.valid_through is None:
                c.score += 10
                c.reasons.append("current")
            elif latest.get(k) == (r.valid_from or date.min):
                c.score -= 5
                c.reasons.append(f"no longer current ({r.validity})")
            else:
                c.score -= 15
                c.reasons.append(f"an older version ({r.validity})")

    def _is_province_segment(self, seg: _Segment) -> bool:
        """A context segment that names a province (by keyword, level word or a province's name)."""
        if seg.role == "province" or seg.levels == frozenset({"province"}):
            return True
        if seg.levels is not None and "province" not in seg.levels:
            return False
        return any(self._records[i].level == "province" for i in self._by_key.get(seg.key, ()))

    def _context_hit(self, r: UnitRecord, seg: _Segment) -> UnitRecord | None:
        """The ancestor of `r` (over its life) that the segment names, if any (the nearest one)."""
        hits = [a for a, key in self._ancestry(r)
                if key == seg.key and (seg.levels is None or a.level in seg.levels)]
        if not hits:
            return None
        return min(hits, key=lambda a: LEVELS.index(a.level) * -1)

    def _finish(self, cands: list[_Candidate], limit: int) -> list[Match]:
        cands.sort(key=lambda c: (not c.province_ok, -c.score, c.unit.valid_through is not None,
                                  -(c.unit.valid_from or date.min).toordinal(), c.unit.code))
        matches = []
        for n, c in enumerate(cands[:max(limit, 1)]):  # confidence looks past the limit: at the runner-up
            score = max(0.0, min(100.0, round(c.score, 1)))
            confident = (n == 0 and c.province_ok and not c.doubt and score >= 60
                         and (len(cands) == 1 or c.score - cands[1].score >= 10 or not cands[1].province_ok))
            matches.append(Match(c.unit, score, confident, tuple(c.reasons), c.successor_of))
        return matches

    # -- search -------------------------------------------------------------------------------------------------
    def _prefix_pool(self, tokens: list[str], raw_last: str | None = None) -> set[int]:
        """Records whose name has every token, the last one (or `raw_last`, as typed) as a prefix."""
        pool: set[int] | None = None
        for t in sorted(tokens[:-1], key=lambda t: len(self._postings.get(t, ()))):
            postings = self._postings.get(t)
            if not postings:
                return set()
            pool = set(postings) if pool is None else pool & postings
            if not pool:
                return set()
        prefixed: set[int] = set()
        for last in {tokens[-1], raw_last or tokens[-1]}:  # 'v' is a prefix and the numeral 5
            lo = bisect.bisect_left(self._tokens, last)
            hi = bisect.bisect_left(self._tokens, last + "\uffff")
            for t in self._tokens[lo:hi]:
                postings = self._postings[t]
                prefixed.update(postings if pool is None else pool & postings)
        return prefixed

    def search(self, q: str, *, limit: int = 20, on: date | None = None) -> list[Match]:
        """Unit versions whose names start with (or contain the words of) `q`, best first."""
        raw = _raw_tokens(q or "")
        if not raw:
            return []
        on = _day(on)
        if len(raw) == 1 and raw[0].isdigit():
            return self.reconcile(raw[0], on=on, limit=limit)
        folded = [_fold_token(t) for t in raw]
        lw = self._level_word_at(raw, folded, 0)
        types = None
        if lw is not None and lw[0] < len(raw):
            types = lw[2]
            raw, folded = raw[lw[0]:], folded[lw[0]:]
        tokens = [_roman(t) for t in folded]
        pool = self._prefix_pool(tokens, folded[-1])
        if not pool and len(tokens) > 1:  # perhaps an address: "vinh hung vinh loc"
            return self.reconcile(q, on=on, limit=limit)
        key = " ".join(tokens)
        written = " ".join(raw)
        marks = not written.isascii()
        spelt, vowels = (_spelling(written), _vowel_key(written)) if marks else ("", "")

        def score(i: int, reasons: list[str] | None = None) -> float:
            r = self._records[i]
            rec_key = self._rec_key[i]
            if rec_key == key:
                value, why = 90.0, "name"
            elif rec_key.startswith(key):
                value, why = 80.0 - min(10, len(rec_key) - len(key)) / 2, "name starts so"
            else:
                value, why = 70.0 - min(10, len(rec_key) - len(key)) / 2, "words of the name"
            notes = [why]
            if marks:
                if self._rec_spelling[i].startswith(spelt):
                    value += 4
                    notes.append("spelling")
                elif not self._rec_vowels[i].startswith(vowels):
                    value -= 10
            if types is not None:
                if r.unit_type in types:
                    value += 8
                    notes.append("level word")
                else:
                    value -= 6
            if on is not None:
                if r.valid_on(on):
                    value += 6
                    notes.append(f"valid on {on}")
                else:
                    value -= 20
            elif r.valid_through is None:
                value += 6
                notes.append("current")
            if reasons is not None:
                reasons.extend(notes)
            return value

        top = heapq.nsmallest(max(limit, 2), ((-score(i), self._rank[i], i) for i in pool))
        out = []
        for n, (negative, _rank, i) in enumerate(top[:max(limit, 1)]):
            reasons: list[str] = []
            score(i, reasons)
            confident = n == 0 and -negative >= 90 and (len(top) == 1 or top[1][0] - negative >= 10)
            out.append(Match(self._records[i], max(0.0, min(100.0, -negative)), confident, tuple(reasons)))
        return out

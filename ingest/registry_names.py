"""How full names of the register split into level word + short name (the unit types: vlkg/unit_types.py)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from vlkg.text import fold_key
from vlkg.unit_types import LEVELS, UNIT_TYPES, UnitType


@dataclass(frozen=True)
class ParsedName:
    """A full name split into its type and short name, with the level word spelt the standard way."""

    unit_type: UnitType
    full: str  # "Thành phố Bắc Kạn" even when the source wrote "Thành Phố Bắc Kạn"
    short: str  # "Bắc Kạn"; a bare number keeps its level word: "Phường 1"

    @property
    def english(self) -> str:
        """'Minh Tân Commune', 'Hà Nội City'; numbered units read 'Ward 1', 'District 1'."""
        rest = self.full[len(self.unit_type.word) + 1:]
        return f"{self.unit_type.en} {rest}" if rest.isdigit() else f"{rest} {self.unit_type.en}"


def type_by_word(word: str, level: str) -> UnitType | None:
    """The unit type a level word names at one level ('Thành phố' is a province or a district)."""
    key = fold_key(word)
    return next((t for t in UNIT_TYPES if t.level == level and fold_key(t.word) == key), None)


# Per level, longest word first, so 'Thị trấn' is never read as a shorter word.
_WORDS_BY_LEVEL = {level: sorted(((t, fold_key(t.word)) for t in UNIT_TYPES if t.level == level),
                                 key=lambda tw: -len(tw[1]))
                   for level in LEVELS}


def parse_full_name(full: str, level: str) -> ParsedName | None:
    """Split 'Xã Minh Tân' into (xa, 'Xã Minh Tân', 'Minh Tân'); None when no level word opens it."""
    text = " ".join(unicodedata.normalize("NFC", full).split())
    for unit_type, folded_word in _WORDS_BY_LEVEL[level]:
        n = len(unit_type.word)
        if text[n:n + 1] == " " and fold_key(text[:n]) == folded_word:
            rest = text[n + 1:].strip()
            canonical = f"{unit_type.word} {rest}"
            return ParsedName(unit_type, canonical, canonical if rest.isdigit() else rest)
    return None

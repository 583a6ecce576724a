"""Vietnamese text helpers shared by ingest, the server and the CLI: one Unicode form, folding, numbers.

`nfc()` runs in the HTTP worker on every /sparql parameter (and on `vlkg query`'s query), so it must stay
linear: see MAX_NON_STARTERS.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from decimal import Decimal

# UAX #15 "Stream-Safe Text Format": no real text has more than 30 non-starters in a row. CPython sorts a
# run of combining marks by insertion (quadratic: 40,000 marks take 10 s), so longer runs are left as sent.
MAX_NON_STARTERS = 30


@functools.cache
def _long_run() -> re.Pattern[str]:
    """Characters that are, or decompose to start with, a non-starter (combining class > 0)."""
    chars = []
    for cp in range(0x300, 0x1F000):
        c = chr(cp)
        if unicodedata.combining(c) or unicodedata.combining(unicodedata.normalize("NFD", c)[:1] or " "):
            chars.append(cp)
    ranges, start = [], chars[0]
    for prev, cur in zip(chars, [*chars[1:], -1], strict=True):
        if cur != prev + 1:
            ranges.append(f"\\U{start:08x}" + (f"-\\U{prev:08x}" if prev != start else ""))
            start = cur
    return re.compile(f"[{''.join(ranges)}]{{{MAX_NON_STARTERS + 1}}}")


def nfc(text: str) -> str:
    """`text` in Unicode NFC (a query pasted in NFD matches what the NFC one matches), in linear time."""
    if text.isascii():
        return text
    if _long_run().search(text) is not None:
        return text
    return unicodedata.normalize("NFC", text)


# The five tone marks as NFD combining characters: huyền, sắc, ngã, hỏi, nặng. Other marks (circumflex, breve,
# horn) make other letters: ư is not u, but Hoà and Hòa are one name with the tone written on another vowel.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")

# Đ/đ have no Unicode decomposition, so NFD-and-strip leaves them; map them explicitly.
_NON_DECOMPOSING = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """ASCII-fold Vietnamese text, keeping case: 'Xã Đông Hưng' -> 'Xa Dong Hung'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_NON_DECOMPOSING))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold_key(text: str) -> str:
    """A comparison key: folded, lower-case, whitespace collapsed: 'Xã  Vĩnh Hùng' -> 'xa vinh hung'."""
    return " ".join(fold(text).lower().split())


def slug(text: str) -> str:
    """An ASCII IRI path segment: 'Mầm non Vĩnh Yên' -> 'mam-non-vinh-yen'."""
    return re.sub(r"[^a-z0-9]+", "-", fold_key(text)).strip("-")


def parse_vi_number(text: str) -> Decimal:
    """Parse a number written the Vietnamese way: '.' groups thousands, ',' marks decimals.

    '55,9' -> 55.9, '70.000' -> 70000, '1.179,153' -> 1179.153.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not re.fullmatch(r"\d{1,3}(\.\d{3})*(,\d+)?|\d+(,\d+)?", cleaned):
        raise ValueError(f"not a Vietnamese-style number: {text!r}")
    return Decimal(cleaned.replace(".", "").replace(",", "."))

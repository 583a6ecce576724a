"""Vietnamese text helpers shared by ingest and (later) search: folding and number parsing."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

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

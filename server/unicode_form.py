"""Text in one Unicode form: every /sparql parameter and `vlkg query`'s query are made NFC before use.

A query pasted in decomposed form (NFD: "Vĩnh Lộc" as base letters plus combining marks) then matches
what the composed one matches; the data is NFC. Runs in the HTTP worker (server/protocol.py), so it must
stay linear: see MAX_NON_STARTERS. No tokenizer, no pyoxigraph here.
"""

from __future__ import annotations

import functools
import re
import unicodedata

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

"""The 2025 code list of the independent `vietnam_provinces` package, read for ingest/derive_reform.py, which
compares it (and `vietnamadminunits`) with the official list 1027/CTK-CSCL and reports where they differ."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from vlkg.ingest.registry_names import parse_full_name

_THEIR_TYPES = {"tỉnh": "tinh", "thành phố trung ương": "thanh-pho-tw", "xã": "xa", "phường": "phuong",
                "đặc khu": "dac-khu"}


@dataclass(frozen=True)
class Entry:
    code: str
    name: str  # full name, level word included (provinces: short name)
    province: str  # province code ("" for a province)
    unit_type: str  # our slug: tinh, thanh-pho-tw, xa, phuong, dac-khu


def _nfc(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def vietnam_provinces_units() -> tuple[dict[str, Entry], dict[str, Entry]]:
    """(provinces, communes) of `vietnam_provinces`, keyed by zero-padded code."""
    import vietnam_provinces as vp

    def slug(division_type: object) -> str:
        value = str(getattr(division_type, "value", division_type))
        return _THEIR_TYPES.get(value, value)

    def short(name: str) -> str:  # "Thành phố Hà Nội" -> "Hà Nội"; "Thanh Hóa" stays
        parsed = parse_full_name(name, "province")
        return parsed.short if parsed else _nfc(name)

    provinces = {f"{int(p.code):02d}": Entry(f"{int(p.code):02d}", short(p.name), "", slug(p.division_type))
                 for p in vp.Province.iter_all()}
    wards = {f"{int(w.code):05d}": Entry(f"{int(w.code):05d}", _nfc(w.name), f"{int(w.province_code):02d}",
                                         slug(w.division_type))
             for w in vp.Ward.iter_all()}
    return provinces, wards

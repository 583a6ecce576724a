"""The kinds of administrative unit in the Vietnamese register, shared by ingest (the graph's kg:type-… concepts,
full-name parsing) and the server and resolver (how a type is written and shown). One table, read by both."""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("province", "district", "commune")
LEVEL_CLASS = {"province": "Province", "district": "District", "commune": "Commune"}


@dataclass(frozen=True)
class UnitType:
    """One kind of administrative unit: `kg:type-{slug}`, written `word` at the start of a full name."""

    slug: str
    word: str  # the level word as it opens a full name: "Xã", "Thành phố"
    level: str  # province | district | commune
    en: str  # English designation: "Commune", "City"
    extra_class: str | None = None  # kg:Ward / kg:Township / kg:SpecialZone beside the level class
    title: str | None = None  # how a list shows the type when `word` alone is ambiguous across levels

    @property
    def shown(self) -> str:
        """The type for people: 'Xã', 'Thành phố trực thuộc trung ương' (a province, not a district's city)."""
        return self.title or self.word


UNIT_TYPES: tuple[UnitType, ...] = (
    UnitType("tinh", "Tỉnh", "province", "Province"),
    UnitType("thanh-pho-tw", "Thành phố", "province", "City", title="Thành phố trực thuộc trung ương"),
    UnitType("huyen", "Huyện", "district", "District"),
    UnitType("quan", "Quận", "district", "District"),
    UnitType("thi-xa", "Thị xã", "district", "Town"),
    UnitType("thanh-pho", "Thành phố", "district", "City"),
    UnitType("xa", "Xã", "commune", "Commune"),
    UnitType("phuong", "Phường", "commune", "Ward", "Ward"),
    UnitType("thi-tran", "Thị trấn", "commune", "Township", "Township"),
    UnitType("dac-khu", "Đặc khu", "commune", "Special Zone", "SpecialZone"),
)
BY_SLUG = {t.slug: t for t in UNIT_TYPES}


def type_label(slug: str) -> str:
    """How pages and answers show the type `kg:type-{slug}` ('Thị trấn'); an unknown slug as it is."""
    return BY_SLUG[slug].shown if slug in BY_SLUG else slug

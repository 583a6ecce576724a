"""A synthetic store shaped like a vlkg build, for trying the benchmark before a real build exists.

Same vocabulary, IRIs and graphs as `ontology/README.md` (units per version, labels in vi/en, ASCII
names, codes, hierarchy, 2025 successors), same order of size (about 15,000 unit versions), made-up
names. `python bench/synthetic.py DIR` writes DIR/store; `bench.py --store DIR` then runs on it.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pyoxigraph as ox

from vlkg.namespaces import GEO, GRAPH, ID, KG, RDF, RDFS, SCHEMA, SKOS, VL, XSD
from vlkg.text import fold

SYLLABLES = ("Minh", "Tân", "Vĩnh", "Yên", "Hà", "Lộc", "Thành", "Phúc", "An", "Hòa", "Bình", "Đông",
             "Sơn", "Thượng", "Biện", "Quang", "Trung", "Hưng", "Long", "Ninh", "Khánh", "Đức")
COMMUNE_TYPES = (("Xã", "xa", "Commune"), ("Phường", "phuong", "Ward"), ("Thị trấn", "thi-tran", "Township"))


def _name(rng: random.Random) -> str:
    return " ".join(rng.sample(SYLLABLES, 2))


def _unit(quads: list, graph: ox.NamedNode, iri: ox.NamedNode, code: str, word: str, short: str,
          type_slug: str, level: str, cls: ox.NamedNode, parent: ox.NamedNode | None) -> None:
    label = f"{word} {short}"
    english = f"{fold(short)} {cls.value.rsplit('/', 1)[-1]}"
    for p, o in (
        (RDF.type, KG.AdminUnitVersion), (RDF.type, cls),
        (RDFS.label, ox.Literal(label, language="vi")), (RDFS.label, ox.Literal(english, language="en")),
        (SCHEMA.name, ox.Literal(label, language="vi")), (SKOS.altLabel, ox.Literal(short, language="vi")),
        (KG.asciiName, ox.Literal(fold(label))), (SKOS.notation, ox.Literal(code, datatype=KG.dvhcCode)),
        (KG.code, ox.NamedNode(f"{ID}code/dvhc/{code}")), (KG["level"], KG[f"level-{level}"]),
        (KG.unitType, KG[f"type-{type_slug}"]),
    ):
        quads.append(ox.Quad(iri, p, o, graph))
    if parent is not None:
        quads.append(ox.Quad(iri, SCHEMA.isPartOf, parent, graph))
    since = iri.value.rsplit("/", 1)[-1]  # id/au/{code}/{validFrom}: every version has its start date
    quads.append(ox.Quad(iri, SCHEMA.validFrom, ox.Literal(since, datatype=XSD.date), graph))


def _legacy(code: str) -> ox.NamedNode:
    """The version open on 2025-06-30, as the bench queries name them: Xã Minh Tân is 15382/2019-12-01,
    the others date from the first register (2004-08-31, as Huyện Vĩnh Lộc and Tỉnh Thanh Hóa do)."""
    return ox.NamedNode(f"{ID}au/{code}/{'2019-12-01' if code == '15382' else '2004-08-31'}")


def synthesize(directory: Path, seed: int = 0) -> int:
    """Write a synthetic store at `directory`; the number of quads."""
    rng = random.Random(seed)
    legacy, reform = ox.NamedNode(GRAPH + "ref/dvhc-legacy"), ox.NamedNode(GRAPH + "ref/dvhc-2025")
    quads: list[ox.Quad] = []
    communes: list[tuple[str, ox.NamedNode, int]] = []  # code, iri, province index
    new_provinces = [ox.NamedNode(f"{ID}au/{38 + i}/2025-07-01") for i in range(34)]
    commune_code = 15300
    for p in range(63):
        pcode = str(38 + p)
        province = _legacy(pcode)
        pname = "Thanh Hóa" if p == 0 else _name(rng)
        _unit(quads, legacy, province, pcode, "Tỉnh", pname, "tinh", "province", KG.Province, None)
        for d in range(11):
            dcode = "393" if (p, d) == (0, 0) else str(400 + p * 11 + d)
            district = _legacy(dcode)
            dname = "Vĩnh Lộc" if dcode == "393" else _name(rng)
            _unit(quads, legacy, district, dcode, "Huyện", dname, "huyen", "district", KG.District, province)
            for _ in range(16):
                commune_code += 1
                code = "15382" if commune_code == 15382 else str(commune_code)
                word, slug, cls = rng.choice(COMMUNE_TYPES)
                iri = _legacy(code)
                _unit(quads, legacy, iri, code, word, _name(rng), slug, "commune", KG[cls], district)
                lat = ox.Literal(f"{20 + rng.random():.6f}", datatype=XSD.decimal)
                until = ox.Literal("2025-06-30", datatype=XSD.date)
                quads.append(ox.Quad(iri, SCHEMA.validThrough, until, legacy))
                quads.append(ox.Quad(iri, GEO.lat, lat, legacy))
                communes.append((code, iri, p % 34))
    for i, province in enumerate(new_provinces):
        _unit(quads, reform, province, str(38 + i), "Tỉnh", _name(rng), "tinh", "province", KG.Province, None)
    # every 2025 commune is made of three legacy ones (the 15382 group includes Xã Minh Tân)
    for start in range(0, len(communes) - 2, 3):
        group = communes[start:start + 3]
        code, _, prov = next((c for c in group if c[0] == "15382"), group[0])
        new = ox.NamedNode(f"{ID}au/{code}/2025-07-01")
        word, slug, cls = rng.choice(COMMUNE_TYPES)
        _unit(quads, reform, new, code, word, _name(rng), slug, "commune", KG[cls], new_provinces[prov])
        for _, old, _ in group:
            quads.append(ox.Quad(new, VL.predecessor, old, reform))
            quads.append(ox.Quad(old, VL.successor, new, reform))
    directory.mkdir(parents=True, exist_ok=True)
    store = ox.Store(str(directory))
    store.bulk_extend(quads)
    store.flush()
    del store
    return len(quads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="Directory to write; the store goes in OUT/store.")
    args = parser.parse_args()
    count = synthesize(args.out / "store")
    print(f"{count} quads written to {args.out / 'store'}")


if __name__ == "__main__":
    main()

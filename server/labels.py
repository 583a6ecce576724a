"""How resources are named on pages: label choice (vi, then en), CURIEs, and property groups."""

from __future__ import annotations

from vlkg.namespaces import BASE, DEF, PREFIXES

P = PREFIXES

# Predicates that name a resource, best first; a page shows the first one found in the chosen language.
LABEL_PREDICATES: tuple[str, ...] = (
    P["rdfs"] + "label",
    P["skos"] + "prefLabel",
    P["schema"] + "name",
    P["foaf"] + "name",
    P["dcterms"] + "title",
    P["schema"] + "headline",
    P["skos"] + "notation",  # last resort: a code node is named by its code
)

# Label languages in order of preference; "" is an untagged literal.
LANGUAGES: tuple[str, ...] = ("vi", "en", "")

# Property groups shown on entity pages, in page order; anything not listed goes to "other".
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("identity", "Tên và mã · Identity and labels", (
        P["rdf"] + "type", P["rdfs"] + "label", P["skos"] + "prefLabel", P["schema"] + "name",
        P["skos"] + "altLabel", DEF + "asciiName", P["foaf"] + "name", P["dcterms"] + "title",
        P["schema"] + "headline", P["skos"] + "notation", DEF + "code", P["rdfs"] + "comment",
        P["skos"] + "definition", P["dcterms"] + "description", P["schema"] + "description",
        P["dcterms"] + "identifier",
    )),
    ("hierarchy", "Cấp bậc và hiệu lực · Hierarchy and validity", (
        DEF + "level", DEF + "unitType", P["schema"] + "isPartOf", P["dcterms"] + "isPartOf",
        P["schema"] + "validFrom", P["schema"] + "validThrough", P["vl"] + "predecessor",
        P["vl"] + "successor", P["vl"] + "startEvent", P["vl"] + "endEvent", DEF + "denotedVersion",
        P["dcterms"] + "date", P["schema"] + "startDate", DEF + "jurisdiction", P["org"] + "postIn",
        P["org"] + "role", P["org"] + "member", P["org"] + "organization", P["opengov"] + "post",
        P["org"] + "classification", P["skos"] + "inScheme", P["skos"] + "broader",
        P["rdfs"] + "subClassOf", P["rdfs"] + "subPropertyOf", P["rdfs"] + "domain", P["rdfs"] + "range",
    )),
    ("provenance", "Nguồn gốc · Provenance", (
        P["prov"] + "wasDerivedFrom", DEF + "attestedIn", DEF + "attestedOn", DEF + "legalBasis",
        P["dcterms"] + "source", P["schema"] + "creditText", P["schema"] + "datePublished",
        DEF + "textSnapshotSha256", P["oa"] + "hasSource", P["oa"] + "hasSelector", P["oa"] + "exact",
        P["oa"] + "prefix", P["oa"] + "suffix", P["oa"] + "start", P["oa"] + "end",
        P["dcterms"] + "license", P["dcterms"] + "created", P["dcterms"] + "modified",
    )),
)
OTHER_GROUP = ("other", "Khác · Other")

_GROUP_OF: dict[str, str] = {p: key for key, _, preds in GROUPS for p in preds}
_ORDER_OF: dict[str, int] = {p: i for _, _, preds in GROUPS for i, p in enumerate(preds)}

# Namespaces longest first, so that e.g. sdmx-dimension wins over a shorter prefix of it.
_NAMESPACES = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))


def _canonical(iri: str, base_iri: str) -> str:
    """The IRI under the default base: our terms keep their group on a `vlkg build --base-iri` build."""
    return BASE + iri[len(base_iri):] if base_iri != BASE and iri.startswith(base_iri) else iri


def group_of(predicate: str, base_iri: str = BASE) -> str:
    """The page group key of a predicate IRI (served under `base_iri`)."""
    return _GROUP_OF.get(_canonical(predicate, base_iri), OTHER_GROUP[0])


def order_in_group(predicate: str, base_iri: str = BASE) -> tuple[int, str]:
    """Sort key inside a group: the declared order, then the IRI."""
    return (_ORDER_OF.get(_canonical(predicate, base_iri), len(_ORDER_OF)), predicate)


def curie(iri: str) -> str | None:
    """'http://schema.org/name' -> 'schema:name'; None when no published prefix covers the IRI."""
    for prefix, ns in _NAMESPACES:
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return None


def pick(by_lang: dict[str, str]) -> tuple[str, str] | None:
    """Choose a label: Vietnamese, then English, then untagged, then any; returns (text, language)."""
    for lang in LANGUAGES:
        if lang in by_lang:
            return by_lang[lang], lang
    for lang in sorted(by_lang):
        return by_lang[lang], lang
    return None


def short_name(iri: str, base_iri: str) -> str:
    """A readable name for an IRI: a CURIE for vocabulary terms, the path under our base for instances."""
    if iri.startswith(base_iri + "def/") and len(iri) > len(base_iri + "def/"):
        return "kg:" + iri[len(base_iri + "def/"):]
    if iri.startswith(base_iri):
        return iri[len(base_iri):]
    return curie(iri) or iri

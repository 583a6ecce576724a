"""Quote-level provenance, one mechanism for every text we cite (articles, legal acts).

A quote is an `oa:SpecificResource` on its source with a `oa:TextQuoteSelector` (the exact text, with a
little context) and a `oa:TextPositionSelector` (code-point offsets into the stored text). The build checks
`text[start:end] == exact` before minting, so a quote can never point at the wrong words.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

from vlkg.ingest.model import BuildError, GraphBuild, lit
from vlkg.namespaces import IDNS, OA, RDF, RDFS

CONTEXT = 32  # code points of prefix/suffix kept in a TextQuoteSelector


def check_quote(text: str, start: int, end: int, exact: str, where: str) -> None:
    """Raise BuildError unless `text[start:end] == exact` (offsets in code points of the whole text)."""
    actual = text[start:end]
    if 0 <= start < end <= len(text) and actual == exact:
        return
    found = text.find(exact)
    hint = (f"the quote occurs at {found}-{found + len(exact)}" if found >= 0
            else "the quote does not occur in the text")
    raise BuildError(f"{where}: quote at {start}-{end} does not match the text: expected {exact!r}, "
                     f"actual text[{start}:{end}] is {actual!r} ({hint}; offsets count code points)")


def add_quote(gb: GraphBuild, source: NamedNode, path: str, text: str, start: int, end: int, exact: str,
              what_vi: str, what_en: str, lang: str = "vi") -> NamedNode:
    """Mint the quote `id/{path}/q/{start}-{end}` of `source` (checked against `text`) into `gb`.

    `what_vi`/`what_en` name the source in labels ("bài 000_…", "article 000_…").
    """
    check_quote(text, start, end, exact, f"quote of {source.value}")
    base = f"{path}/q/{start}-{end}"
    node, by_quote, by_position = IDNS[base], IDNS[f"{base}/quote"], IDNS[f"{base}/position"]
    span = f"{start}–{end}"
    gb.add_all(node, [(RDF.type, OA.SpecificResource), (OA.hasSource, source),
                      (OA.hasSelector, by_quote), (OA.hasSelector, by_position),
                      (RDFS.label, lit(f"Trích dẫn {span} trong {what_vi}", "vi")),
                      (RDFS.label, lit(f"Quote {span} of {what_en}", "en"))])
    prefix, suffix = text[max(0, start - CONTEXT):start], text[end:end + CONTEXT]
    gb.add_all(by_quote, [(RDF.type, OA.TextQuoteSelector), (OA.exact, lit(exact, lang)),
                          (OA.prefix, lit(prefix) if prefix else None),
                          (OA.suffix, lit(suffix) if suffix else None),
                          (RDFS.label, lit(f"Bộ chọn nguyên văn {span}", "vi")),
                          (RDFS.label, lit(f"Text quote selector {span}", "en"))])
    gb.add_all(by_position, [(RDF.type, OA.TextPositionSelector), (OA.start, lit(start)), (OA.end, lit(end)),
                             (RDFS.label, lit(f"Bộ chọn vị trí {span}", "vi")),
                             (RDFS.label, lit(f"Text position selector {span}", "en"))])
    return node

"""`vlkg query`: run SPARQL on a built store, the way the service does: default graph = union of all graphs,
the predefined prefixes (a query's own PREFIX lines override them), text made NFC, parse errors explained."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pyoxigraph import NamedNode, QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat, Store, serialize

from vlkg.layout import Layout
from vlkg.namespaces import BASE, prefixes_for
from vlkg.server.sparql_help import answer_prefixes, explain
from vlkg.server.sparql_scan import scan
from vlkg.text import nfc

RESULT_FORMATS = {"json": QueryResultsFormat.JSON, "csv": QueryResultsFormat.CSV,
                  "tsv": QueryResultsFormat.TSV, "xml": QueryResultsFormat.XML}
GRAPH_FORMATS = {"turtle": RdfFormat.TURTLE, "ntriples": RdfFormat.N_TRIPLES}


class QueryInputError(Exception):
    """The store or the query is not usable; the message says why and what to do."""


def open_store(store_dir: Path) -> Store:
    """Open a build directory's store (or a bare store directory) read-only."""
    path = Layout(store_dir).store
    if not path.exists():
        raise QueryInputError(f"No store at {path}: run `vlkg build --out {store_dir}` first, or pass --store DIR.")
    return Store.read_only(str(path.resolve()))


def run_query(store_dir: Path, sparql: str, fmt: str = "table") -> str:
    """Run a query and render it as a text table or in a standard serialisation."""
    store = open_store(store_dir)
    sparql = nfc(sparql)
    # A `vlkg build --base-iri` build spells kg: and id: under its own base (the manifest says which).
    predefined = prefixes_for(Layout(store_dir).manifest().get("base_iri") or BASE)
    try:
        result = store.query(sparql, use_default_graph_as_union=True, prefixes=dict(predefined))
    except SyntaxError as exc:
        raise QueryInputError(f"The query is not valid SPARQL. {explain(str(exc), sparql, None, predefined)}") from None
    if isinstance(result, QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    if isinstance(result, QuerySolutions):
        if fmt in RESULT_FORMATS:
            return result.serialize(format=RESULT_FORMATS[fmt]).decode("utf-8")
        if fmt != "table":
            raise QueryInputError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; use table, json, csv, tsv or xml.")
        return render_table([str(v)[1:] for v in result.variables],
                            [[_cell(s[v], predefined) for v in result.variables] for s in result])
    rdf_format = GRAPH_FORMATS.get(fmt, RdfFormat.TURTLE)
    triples = list(result)
    prefixes = None
    if rdf_format == RdfFormat.TURTLE:  # the query's own and the predefined ones the answer uses
        iris = (t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, NamedNode))
        prefixes = answer_prefixes(scan(sparql), iris, predefined)
    return serialize(triples, format=rdf_format, prefixes=prefixes).decode("utf-8")


def _cell(term, prefixes: Mapping[str, str]) -> str:
    if term is None:
        return ""
    value = term.value
    if isinstance(term, NamedNode):
        for prefix, ns in prefixes.items():
            if value.startswith(ns):
                return f"{prefix}:{value[len(ns):]}"
        return f"<{value}>"
    return value


def render_table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table, wide enough for every cell, with a row count."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"

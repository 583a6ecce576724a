"""Query results as plain comparable values, read from every format the suite and the servers use.

A term is a tuple: ("u", iri), ("b", label) or ("l", lexical, datatype, lang). Literals without a datatype
get xsd:string, language-tagged ones rdf:langString (RDF 1.1), and language tags are lower-cased because
they are case-insensitive. Lexical forms are kept exactly: "01"^^xsd:integer is not "1"^^xsd:integer.

A result is one of: `Solutions` (SELECT), `bool` (ASK), `Graph` (CONSTRUCT/DESCRIBE), or `Table` (the
text of a CSV result, whose terms are no longer typed).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
SRX = "{http://www.w3.org/2005/sparql-results#}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

Term = tuple
Row = dict[str, Term]


@dataclass
class Solutions:
    """A SELECT result: its variables and its rows (a row maps bound variables to terms)."""

    variables: list[str]
    rows: list[Row] = field(default_factory=list)


@dataclass
class Graph:
    """A CONSTRUCT/DESCRIBE result: a set of (s, p, o) term triples."""

    triples: set[tuple[Term, Term, Term]]


@dataclass
class Table:
    """A CSV result: the header and the rows as the strings written in the file."""

    header: list[str]
    rows: list[dict[str, str]]


Result = Solutions | bool | Graph | Table


def literal(lexical: str, datatype: str | None = None, lang: str | None = None) -> Term:
    if lang:
        return ("l", lexical, RDF + "langString", lang.lower())
    return ("l", lexical, datatype or XSD + "string", None)


def from_ox(term: object) -> Term:
    """A pyoxigraph term as a comparable tuple."""
    if isinstance(term, ox.NamedNode):
        return ("u", term.value)
    if isinstance(term, ox.BlankNode):
        return ("b", term.value)
    if isinstance(term, ox.Literal):
        return literal(term.value, term.datatype.value, term.language)
    if isinstance(term, ox.Triple):
        return ("t", from_ox(term.subject), from_ox(term.predicate), from_ox(term.object))
    raise TypeError(f"not an RDF term: {term!r}")


_INTEGERS = {XSD + t for t in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def canonical(term: Term | None) -> Term | None:
    """Numbers and booleans by value within their datatype ("2.0E-1" = "0.2" as xsd:double), others as is.

    The expected files were written by engines with other canonical forms than XSD 1.1's, and stores
    keep values, not spellings; the datatype must still be the same.
    """
    if term is None or term[0] != "l":
        return term
    lexical, datatype = term[1].strip(), term[2]
    try:
        if datatype in _INTEGERS:
            value = str(int(lexical))
        elif datatype == XSD + "decimal":
            number = Decimal(lexical)
            value = "0" if number.is_zero() else format(number.normalize(), "f")
        elif datatype == XSD + "double":
            value = repr(float(lexical))
        elif datatype == XSD + "float":
            value = repr(struct.unpack("f", struct.pack("f", float(lexical)))[0])
        elif datatype == XSD + "boolean" and lexical in ("true", "false", "1", "0"):
            value = "true" if lexical in ("true", "1") else "false"
        else:
            return term
    except (ValueError, ArithmeticError, OverflowError, struct.error):
        return term
    return ("l", value, datatype, None)


# --- SPARQL results: XML, JSON, TSV, CSV -------------------------------------------------------------

def parse_srx(data: bytes) -> Solutions | bool:
    """SPARQL 1.1 Query Results XML."""
    root = ET.fromstring(data)
    boolean = root.find(SRX + "boolean")
    if boolean is not None:
        return (boolean.text or "").strip() == "true"
    variables = [v.get("name", "") for v in root.iter(SRX + "variable")]
    rows = []
    for result in root.iter(SRX + "result"):
        row = {}
        for binding in result.findall(SRX + "binding"):
            row[binding.get("name", "")] = _srx_term(binding[0])
        rows.append(row)
    return Solutions(variables, rows)


def _srx_term(node: ET.Element) -> Term:
    tag = node.tag.removeprefix(SRX)
    if tag == "uri":
        return ("u", (node.text or "").strip())
    if tag == "bnode":
        return ("b", (node.text or "").strip())
    if tag == "literal":
        return literal(node.text or "", node.get("datatype"), node.get(XML_LANG))
    if tag == "triple":
        parts = {child.tag.removeprefix(SRX): _srx_term(child[0]) for child in node}
        return ("t", parts["subject"], parts["predicate"], parts["object"])
    raise ValueError(f"unknown SRX term <{tag}>")


def parse_srj(data: bytes) -> Solutions | bool:
    """SPARQL 1.1 Query Results JSON."""
    doc = json.loads(data)
    if "boolean" in doc:
        return bool(doc["boolean"])
    rows = [{name: _srj_term(value) for name, value in b.items()} for b in doc["results"]["bindings"]]
    return Solutions(list(doc.get("head", {}).get("vars", [])), rows)


def _srj_term(value: dict) -> Term:
    kind = value["type"]
    if kind == "uri":
        return ("u", value["value"])
    if kind == "bnode":
        return ("b", value["value"])
    if kind in ("literal", "typed-literal"):
        return literal(value["value"], value.get("datatype"), value.get("xml:lang"))
    if kind == "triple":
        v = value["value"]
        return ("t", _srj_term(v["subject"]), _srj_term(v["predicate"]), _srj_term(v["object"]))
    raise ValueError(f"unknown SRJ term type {kind!r}")


_NUMBER = (
    (re.compile(r"[+-]?\d+"), "integer"),
    (re.compile(r"[+-]?\d*\.\d+"), "decimal"),
    (re.compile(r"[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+"), "double"),
)
_TSV_LITERAL = re.compile(r'"(?P<lex>(?:[^"\\]|\\.)*)"(?:@(?P<lang>[A-Za-z0-9-]+)|\^\^<(?P<dt>[^>]*)>)?$')
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def parse_tsv(data: bytes) -> Solutions:
    """SPARQL 1.1 TSV results: terms in Turtle syntax, an empty field is an unbound variable."""
    lines = data.decode("utf-8").replace("\r\n", "\n").split("\n")
    variables = [v.removeprefix("?") for v in lines[0].split("\t")] if lines[0] else []
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        row = {}
        for name, cell in zip(variables, line.split("\t"), strict=False):
            if cell:
                row[name] = _tsv_term(cell)
        rows.append(row)
    return Solutions(variables, rows)


def _tsv_term(cell: str) -> Term:
    if cell.startswith("<") and cell.endswith(">"):
        return ("u", cell[1:-1])
    if cell.startswith("_:"):
        return ("b", cell[2:])
    if cell in ("true", "false"):
        return literal(cell, XSD + "boolean")
    for pattern, datatype in _NUMBER:
        if pattern.fullmatch(cell):
            return literal(cell, XSD + datatype)
    match = _TSV_LITERAL.match(cell)
    if match is None:
        raise ValueError(f"not a TSV term: {cell!r}")
    lexical = re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), match["lex"])
    return literal(lexical, match["dt"], match["lang"])


def parse_csv(data: bytes) -> Table:
    """SPARQL 1.1 CSV results, kept as text (CSV does not say which cells are IRIs or literals)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    rows = [r for r in reader if r]
    header = rows[0] if rows else []
    return Table(header, [dict(zip(header, r, strict=False)) for r in rows[1:]])


# --- RDF: graphs and the result-set vocabulary ----------------------------------------------------------

def parse_rdf(data: bytes, fmt: ox.RdfFormat, base_iri: str | None = None) -> Graph:
    quads = ox.parse(input=data, format=fmt, base_iri=base_iri)
    return Graph({(from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in quads})


def from_graph(graph: Graph) -> Result:
    """A graph written in the rs: result-set vocabulary is read as solutions (or a boolean); others stay."""
    by_subject: dict[Term, dict[str, list[Term]]] = {}
    for s, p, o in graph.triples:
        by_subject.setdefault(s, {}).setdefault(p[1], []).append(o)
    sets = [s for s, props in by_subject.items() if ("u", RS + "ResultSet") in props.get(RDF + "type", [])]
    if not sets:
        return graph
    props = by_subject[sets[0]]
    if RS + "boolean" in props:
        return props[RS + "boolean"][0][1] == "true"
    indexed = []
    for solution in props.get(RS + "solution", []):
        sol = by_subject.get(solution, {})
        row = {}
        for binding in sol.get(RS + "binding", []):
            b = by_subject[binding]
            row[b[RS + "variable"][0][1]] = b[RS + "value"][0]
        index = sol.get(RS + "index")
        indexed.append((int(index[0][1]) if index else 0, row))
    indexed.sort(key=lambda pair: pair[0])
    variables = sorted(v[1] for v in props.get(RS + "resultVariable", []))
    return Solutions(variables, [row for _, row in indexed])


def read_expected(path: Path) -> Result:
    """The expected result of a test, from its file (format by extension)."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".srx":
        return parse_srx(data)
    if suffix == ".srj":
        return parse_srj(data)
    if suffix == ".tsv":
        return parse_tsv(data)
    if suffix == ".csv":
        return parse_csv(data)
    fmt = ox.RdfFormat.from_extension(suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"no parser for expected result {path}")
    return from_graph(parse_rdf(data, fmt, path.resolve().as_uri()))


def parse_response(content_type: str, body: bytes) -> Result:
    """A server's response body, read according to its Content-Type."""
    media = content_type.split(";")[0].strip().lower()
    if media in ("application/sparql-results+json", "application/json"):
        return parse_srj(body)
    if media == "application/sparql-results+xml":
        return parse_srx(body)
    if media == "text/tab-separated-values":
        return parse_tsv(body)
    if media == "text/csv":
        return parse_csv(body)
    fmt = ox.RdfFormat.from_media_type(media)
    if fmt is None:
        raise ValueError(f"unexpected Content-Type {content_type!r}")
    return parse_rdf(body, fmt)

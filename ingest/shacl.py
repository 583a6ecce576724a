"""SHACL validation with pyshacl: the build runs it on its data; `vlkg validate` on a built store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import rdflib
from pyoxigraph import RdfFormat, Triple, serialize

from vlkg.ingest.ontology import shapes_file

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
MAX_PER_RULE = 10


def validate_triples(data: Iterable[Triple], ontology: Iterable[Triple] = ()) -> tuple[bool, str, int]:
    """Validate data triples (with the ontology as extra class/label knowledge) against ontology/shapes.ttl.

    Returns (conforms, readable report, number of violations).
    """
    from pyshacl import validate

    graph = rdflib.Graph()
    graph.parse(data=serialize(list(data) + list(ontology), format=RdfFormat.N_TRIPLES), format="nt")
    shapes = rdflib.Graph().parse(shapes_file(), format="turtle")
    conforms, results, _ = validate(graph, shacl_graph=shapes, inference="none", advanced=True,
                                    allow_warnings=True)
    return conforms, *_report(results, shapes)


def _report(results: rdflib.Graph, shapes: rdflib.Graph) -> tuple[str, int]:
    by_rule: dict[str, list[str]] = defaultdict(list)
    count = 0
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        if severity != SH.Violation:
            continue
        count += 1
        shape = results.value(result, SH.sourceShape)
        rule = _rule_name(shapes, shape, results.value(result, SH.sourceConstraintComponent))
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        message = results.value(result, SH.resultMessage)
        line = f"  node <{focus}>" + (f" property <{path}>" if path else "")
        line += (f" value {value.n3()}" if value is not None else "") + (f": {message}" if message else "")
        by_rule[rule].append(line)
    if not count:
        return "SHACL: all shapes conform.", 0
    lines = [f"SHACL: {count} violation(s)."]
    for rule in sorted(by_rule):
        items = sorted(by_rule[rule])
        lines.append(f"rule {rule} ({len(items)}):")
        lines += items[:MAX_PER_RULE]
        if len(items) > MAX_PER_RULE:
            lines.append(f"  … and {len(items) - MAX_PER_RULE} more")
    return "\n".join(lines), count


def _rule_name(shapes: rdflib.Graph, shape, component) -> str:
    """A readable rule name: the shape's sh:name or IRI, and the constraint component."""
    name = shapes.value(shape, SH.name) if shape is not None else None
    shape_text = str(name) if name else (shape.n3() if isinstance(shape, rdflib.URIRef) else "property shape")
    comp = str(component).rsplit("#", 1)[-1] if component else "?"
    return f"{shape_text} [{comp}]"


def validate_store(store_dir: Path) -> tuple[bool, str]:
    """Validate every graph of a built store (its ontology graph included) against the shapes."""
    from pyoxigraph import Store

    from vlkg.layout import Layout

    store = Store.read_only(str(Layout(store_dir).store.resolve()))
    triples = [Triple(q.subject, q.predicate, q.object) for q in store]
    conforms, report, _ = validate_triples(triples)
    return conforms, report

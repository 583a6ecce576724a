"""SHACL validation: the build and `vlkg validate` check the data against ontology/shapes.ttl.

Two engines read the same shapes file: `core` (ingest/shacl_core.py, fast, the default) and `pyshacl` (the
reference implementation; slow on the full registry, see shacl_core's docstring). Tests keep them in agreement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import RdfFormat, Triple, parse

from vlkg.ingest.ontology import shapes_file
from vlkg.ingest.shacl_core import Validator, Violation

MAX_PER_RULE = 10
SH = "http://www.w3.org/ns/shacl#"


def shapes_triples() -> list[Triple]:
    """The shapes graph, parsed by pyoxigraph."""
    return list(parse(path=str(shapes_file()), format=RdfFormat.TURTLE))


def check(data: Iterable[Triple], ontology: Iterable[Triple] = (), engine: str = "core") -> list[Violation]:
    """Every violation of the shapes (severity Violation only) by `data`; the ontology supplies subclass axioms."""
    data, ontology = list(data), list(ontology)
    found = pyshacl_violations(data, ontology) if engine == "pyshacl" else \
        Validator(shapes_triples()).validate(data, ontology)
    return [v for v in found if v.severity == "Violation"]


def validate_triples(data: Iterable[Triple], ontology: Iterable[Triple] = (),
                     engine: str = "core") -> tuple[bool, str, int]:
    """Returns (conforms, readable report, number of violations)."""
    violations = check(data, ontology, engine)
    return not violations, report(violations), len(violations)


def report(violations: list[Violation]) -> str:
    """A readable report: one block per rule (shape name + constraint), naming each node."""
    if not violations:
        return "SHACL: all shapes conform."
    by_rule: dict[str, list[str]] = defaultdict(list)
    for v in violations:
        rule = f"{v.shape_name or v.shape} [{v.component.removesuffix('ConstraintComponent')}]"
        line = f"  node <{v.focus}>" + (f" property <{v.path}>" if v.path else "")
        line += (f" value {v.value}" if v.value else "") + (f": {v.message}" if v.message else "")
        by_rule[rule].append(line)
    lines = [f"SHACL: {len(violations)} violation(s)."]
    for rule in sorted(by_rule):
        items = sorted(set(by_rule[rule]))
        lines.append(f"rule {rule} ({len(items)}):")
        lines += items[:MAX_PER_RULE]
        if len(items) > MAX_PER_RULE:
            lines.append(f"  … and {len(items) - MAX_PER_RULE} more")
    return "\n".join(lines)


def pyshacl_violations(data: list[Triple], ontology: list[Triple], shapes_turtle: str | None = None) -> list[Violation]:
    """The same check with pyshacl (reference engine), as Violation records: the report's results only, not the
    nested results pyshacl attaches to them as sh:detail (core reports a failed sh:node once, on its focus)."""
    import rdflib
    from pyoxigraph import serialize
    from pyshacl import validate

    graph = rdflib.Graph()
    graph.parse(data=serialize(data + ontology, format=RdfFormat.N_TRIPLES), format="nt")
    shapes = rdflib.Graph().parse(data=shapes_turtle, format="turtle") if shapes_turtle is not None else \
        rdflib.Graph().parse(shapes_file(), format="turtle")
    _, results, _ = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
    sh = rdflib.Namespace(SH)
    out = []
    for r in results.objects(None, sh.result):
        shape = results.value(r, sh.sourceShape)
        path, value = results.value(r, sh.resultPath), results.value(r, sh.value)
        name, message = shapes.value(shape, sh.name), results.value(r, sh.resultMessage)
        out.append(Violation(
            focus=str(results.value(r, sh.focusNode)),
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            value=value.n3() if value is not None else None, shape=str(shape),
            shape_name=str(name) if name else None,
            component=str(results.value(r, sh.sourceConstraintComponent)).rsplit("#", 1)[-1],
            message=str(message) if message else None,
            severity=str(results.value(r, sh.resultSeverity)).rsplit("#", 1)[-1]))
    return out


def validate_store(store_dir: Path, engine: str = "core") -> tuple[bool, str]:
    """Validate every graph of a built store (its ontology graph included) against the shapes."""
    from pyoxigraph import Store

    from vlkg.layout import Layout

    store = Store.read_only(str(Layout(store_dir).store.resolve()))
    conforms, text, _ = validate_triples((Triple(q.subject, q.predicate, q.object) for q in store), engine=engine)
    return conforms, text

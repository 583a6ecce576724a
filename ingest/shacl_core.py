"""A fast evaluator for the SHACL Core constraints our shapes use, over in-memory pyoxigraph triples.

Why not pyshacl in the build: on the ~350k registry triples pyshacl took 166 s to validate (plus 33 s to load
the data into rdflib), far over the 60 s budget for a whole build. This module evaluates the same shapes file in
a few seconds. pyshacl stays the reference: `tests/test_shacl.py` checks that both give the same verdicts, and
`vlkg validate --engine pyshacl` runs it. A shape using a feature this module does not know fails loudly
(`UnsupportedShape`), never silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_FIRST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#first"
RDF_REST = "http://www.w3.org/1999/02/22-rdf-syntax-ns#rest"
RDF_NIL = "http://www.w3.org/1999/02/22-rdf-syntax-ns#nil"
SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float", "int", "long", "short", "byte",
                             "nonNegativeInteger", "positiveInteger", "negativeInteger", "nonPositiveInteger",
                             "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}

# Constraint parameters we evaluate (everything else on a shape is about targets, paths and messages).
_CHECKED = frozenset("""
    class datatype nodeKind minCount maxCount in hasValue pattern minLength maxLength languageIn
    minInclusive maxInclusive minExclusive maxExclusive lessThan lessThanOrEquals uniqueLang
    or xone and not node qualifiedValueShape
""".split())
# Every sh: parameter we understand; a shape using any other is refused (see UnsupportedShape).
KNOWN = frozenset(SH + n for n in _CHECKED | set("""
    targetClass targetNode targetSubjectsOf targetObjectsOf property path name message description severity
    deactivated order group flags qualifiedMinCount qualifiedMaxCount qualifiedValueShapesDisjoint
""".split()))


class UnsupportedShape(Exception):
    """The shapes use a SHACL feature this evaluator does not implement."""


@dataclass(frozen=True)
class Violation:
    """One failed constraint: on which node, through which path, which shape and component."""

    focus: str
    path: str | None
    value: str | None
    shape: str
    shape_name: str | None
    component: str
    message: str | None
    severity: str


class _Graph:
    """Subject -> predicate -> objects, plus the inverse, and rdf:type with subclass closure."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.triples = list(triples)
        self.out: dict = defaultdict(lambda: defaultdict(list))
        for t in self.triples:
            self.out[t.subject][t.predicate.value].append(t.object)
        self._inv: dict | None = None
        self._superclasses: dict = {}

    @property
    def inv(self) -> dict:
        """Object -> predicate -> subjects, built only when a shape uses an inverse path."""
        if self._inv is None:
            self._inv = defaultdict(lambda: defaultdict(list))
            for t in self.triples:
                self._inv[t.object][t.predicate.value].append(t.subject)
        return self._inv

    def objects(self, s, p: str) -> list:
        props = self.out.get(s)
        return props.get(p, []) if props is not None else []

    def value(self, s, p: str):
        values = self.objects(s, p)
        return values[0] if values else None

    def superclasses(self, cls) -> set:
        if cls not in self._superclasses:
            seen, todo = {cls}, [cls]
            while todo:
                for sup in self.objects(todo.pop(), SUBCLASS):
                    if sup not in seen:
                        seen.add(sup)
                        todo.append(sup)
            self._superclasses[cls] = seen
        return self._superclasses[cls]

    def is_instance(self, node, cls) -> bool:
        return any(cls in self.superclasses(t) for t in self.objects(node, RDF_TYPE))

    def instances(self, cls) -> list:
        return [s for s in list(self.out) if self.is_instance(s, cls)]


def _rdf_list(shapes: _Graph, head) -> list:
    items = []
    while head is not None and not (isinstance(head, NamedNode) and head.value == RDF_NIL):
        items.append(shapes.value(head, RDF_FIRST))
        head = shapes.value(head, RDF_REST)
    return items


def _number(term) -> Decimal | None:
    if isinstance(term, Literal) and term.datatype.value in NUMERIC:
        try:
            return Decimal(term.value)
        except InvalidOperation:
            return None
    return None


def _comparable(a, b) -> tuple | None:
    """Values to compare for min/maxInclusive and lessThan: numbers by value, other literals by lexical form."""
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    if isinstance(a, Literal) and isinstance(b, Literal) and a.datatype == b.datatype:
        return a.value, b.value
    return None


class Validator:
    """Validate data triples against a shapes graph (SHACL Core subset, see KNOWN)."""

    def __init__(self, shapes: Iterable[Triple]) -> None:
        self.shapes = _Graph(shapes)
        for node, props in list(self.shapes.out.items()):
            unknown = [p for p in props if p.startswith(SH) and p not in KNOWN]
            if unknown:
                raise UnsupportedShape(f"shape {node} uses {', '.join(sorted(unknown))}; "
                                       "extend ingest/shacl_core.py or validate with pyshacl.")

        self._params: dict = {}
        self._lists: dict = {}

    def params(self, shape) -> dict[str, list]:
        """The shape's sh: parameters by local name, read once (shapes are consulted per focus node)."""
        if shape not in self._params:
            props = self.shapes.out.get(shape, {})
            self._params[shape] = {p.removeprefix(SH): v for p, v in props.items() if p.startswith(SH)}
        return self._params[shape]

    def param(self, shape, name: str):
        values = self.params(shape).get(name)
        return values[0] if values else None

    def members(self, head) -> list:
        """An RDF list of the shapes graph, parsed once."""
        if head not in self._lists:
            self._lists[head] = _rdf_list(self.shapes, head)
        return self._lists[head]

    def node_shapes(self) -> list:
        targets = {SH + t for t in ("targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf")}
        return [s for s, props in self.shapes.out.items() if targets & set(props)]

    def validate(self, data: Iterable[Triple], extra_classes: Iterable[Triple] = ()) -> list[Violation]:
        graph = _Graph([*data, *extra_classes])
        results: list[Violation] = []
        for shape in self.node_shapes():
            if self._deactivated(shape):
                continue
            for focus in self._focus_nodes(shape, graph):
                results += self._validate_node(shape, focus, [focus], graph)
        return results

    def _deactivated(self, shape) -> bool:
        flag = self.param(shape, "deactivated")
        return isinstance(flag, Literal) and flag.value == "true"

    def _focus_nodes(self, shape, graph: _Graph) -> list:
        focus: dict = {}
        for cls in self.shapes.objects(shape, SH + "targetClass"):
            focus.update(dict.fromkeys(graph.instances(cls)))
        for node in self.shapes.objects(shape, SH + "targetNode"):
            focus[node] = None
        for p in self.shapes.objects(shape, SH + "targetSubjectsOf"):
            focus.update(dict.fromkeys(s for s in graph.out if graph.objects(s, p.value)))
        for p in self.shapes.objects(shape, SH + "targetObjectsOf"):
            focus.update(dict.fromkeys(o for s in graph.out for o in graph.objects(s, p.value)))
        return list(focus)

    def conforms(self, shape, node, graph: _Graph) -> bool:
        """Does `node` conform to `shape` (used by sh:or, sh:xone, sh:node, qualified shapes)?"""
        values = self._values(shape, node, graph) if self.param(shape, "path") is not None else [node]
        return not self._validate_node(shape, node, values, graph, first_only=True)

    def _values(self, shape, focus, graph: _Graph) -> list:
        return self._path_values(self.param(shape, "path"), focus, graph)

    def _path_values(self, path, focus, graph: _Graph) -> list:
        if isinstance(path, NamedNode):
            return list(graph.objects(focus, path.value))
        inverse = self.shapes.value(path, SH + "inversePath")
        if inverse is not None:
            return list(graph.inv.get(focus, {}).get(inverse.value, []))
        if self.shapes.value(path, RDF_FIRST) is not None:
            current = [focus]
            for step in _rdf_list(self.shapes, path):
                current = [v for node in current for v in self._path_values(step, node, graph)]
            return current
        raise UnsupportedShape(f"path {path} is not an IRI, inverse or sequence path")

    def _validate_node(self, shape, focus, values: list, graph: _Graph,
                       first_only: bool = False) -> list[Violation]:
        out: list[Violation] = []
        path = self.param(shape, "path")

        def fail(component: str, value=None) -> bool:
            out.append(self._violation(shape, focus, path, value, component))
            return first_only

        for component, check in self._checks(shape, focus, values, graph):
            for value in check:
                if fail(component, value):
                    return out
        for prop in self.params(shape).get("property", ()):
            if self._deactivated(prop):
                continue
            nested = self._validate_node(prop, focus, self._values(prop, focus, graph), graph, first_only)
            out += nested
            if nested and first_only:
                return out
        return out

    def _checks(self, shape, focus, values: list, graph: _Graph):
        """Yield (component, failing values) for every constraint parameter on the shape."""
        params = self.params(shape)
        if not params.keys() & _CHECKED:
            return
        get = lambda p: self.param(shape, p)  # noqa: E731 - reads better than a method per parameter
        if (n := get("minCount")) is not None and len(values) < int(n.value):
            yield "MinCountConstraintComponent", [None]
        if (n := get("maxCount")) is not None and len(values) > int(n.value):
            yield "MaxCountConstraintComponent", [None]
        if (dt := get("datatype")) is not None:
            yield "DatatypeConstraintComponent", [v for v in values
                                                   if not (isinstance(v, Literal) and v.datatype == dt)]
        for cls in params.get("class", ()):
            yield "ClassConstraintComponent", [v for v in values if not graph.is_instance(v, cls)]
        if (kind := get("nodeKind")) is not None:
            yield "NodeKindConstraintComponent", [v for v in values if not _kind_ok(v, kind.value)]
        if (lst := get("in")) is not None:
            allowed = set(self.members(lst))
            yield "InConstraintComponent", [v for v in values if v not in allowed]
        for hv in params.get("hasValue", ()):
            if hv not in values:
                yield "HasValueConstraintComponent", [None]
        if (pattern := get("pattern")) is not None:
            flags = get("flags")
            rx = re.compile(pattern.value, re.IGNORECASE if flags is not None and "i" in flags.value else 0)
            yield "PatternConstraintComponent", [v for v in values
                                                  if isinstance(v, BlankNode) or not rx.search(v.value)]
        if (n := get("minLength")) is not None:
            yield "MinLengthConstraintComponent", [v for v in values if isinstance(v, BlankNode)
                                                    or len(v.value) < int(n.value)]
        if (n := get("maxLength")) is not None:
            yield "MaxLengthConstraintComponent", [v for v in values if isinstance(v, BlankNode)
                                                    or len(v.value) > int(n.value)]
        if (lst := get("languageIn")) is not None:
            langs = [x.value.lower() for x in self.members(lst)]
            yield "LanguageInConstraintComponent", [v for v in values if not _lang_in(v, langs)]
        for name, ok in (("minInclusive", lambda a, b: a >= b), ("maxInclusive", lambda a, b: a <= b),
                         ("minExclusive", lambda a, b: a > b), ("maxExclusive", lambda a, b: a < b)):
            if (bound := get(name)) is not None:
                yield (name[0].upper() + name[1:] + "ConstraintComponent",
                       [v for v in values if (c := _comparable(v, bound)) is None or not ok(*c)])
        for name, ok in (("lessThan", lambda a, b: a < b), ("lessThanOrEquals", lambda a, b: a <= b)):
            if (other := get(name)) is not None:
                others = graph.objects(focus, other.value)
                yield (name[0].upper() + name[1:] + "ConstraintComponent",
                       [v for v in values for o in others if (c := _comparable(v, o)) is None or not ok(*c)])
        if (flag := get("uniqueLang")) is not None and flag.value == "true":
            langs = [v.language for v in values if isinstance(v, Literal) and v.language]
            yield "UniqueLangConstraintComponent", [None] if len(langs) != len(set(langs)) else []
        yield from self._logical(shape, values, graph)

    def _logical(self, shape, values: list, graph: _Graph):
        params = self.params(shape)
        for lst in params.get("or", ()):
            members = self.members(lst)
            yield "OrConstraintComponent", [v for v in values
                                             if not any(self.conforms(m, v, graph) for m in members)]
        for lst in params.get("xone", ()):
            members = self.members(lst)
            yield "XoneConstraintComponent", [v for v in values
                                               if sum(self.conforms(m, v, graph) for m in members) != 1]
        for lst in params.get("and", ()):
            members = self.members(lst)
            yield "AndConstraintComponent", [v for v in values
                                              if not all(self.conforms(m, v, graph) for m in members)]
        for negated in params.get("not", ()):
            yield "NotConstraintComponent", [v for v in values if self.conforms(negated, v, graph)]
        for node_shape in params.get("node", ()):
            yield "NodeConstraintComponent", [v for v in values if not self.conforms(node_shape, v, graph)]
        if (qshape := self.param(shape, "qualifiedValueShape")) is not None:
            matching = sum(self.conforms(qshape, v, graph) for v in values)
            low, high = self.param(shape, "qualifiedMinCount"), self.param(shape, "qualifiedMaxCount")
            if low is not None and matching < int(low.value):
                yield "QualifiedMinCountConstraintComponent", [None]
            if high is not None and matching > int(high.value):
                yield "QualifiedMaxCountConstraintComponent", [None]

    def _violation(self, shape, focus, path, value, component: str) -> Violation:
        message, name, severity = (self.param(shape, p) for p in ("message", "name", "severity"))
        return Violation(
            focus=str(focus.value), path=path.value if isinstance(path, NamedNode) else None,
            value=str(value) if value is not None else None,
            shape=shape.value if isinstance(shape, NamedNode) else str(shape), shape_name=name.value if name else None,
            component=component, message=message.value if message else None,
            severity=severity.value.rsplit("#", 1)[-1] if severity is not None else "Violation",
        )


def _kind_ok(v, kind: str) -> bool:
    is_iri, is_bnode, is_lit = isinstance(v, NamedNode), isinstance(v, BlankNode), isinstance(v, Literal)
    return {
        SH + "IRI": is_iri, SH + "BlankNode": is_bnode, SH + "Literal": is_lit,
        SH + "BlankNodeOrIRI": is_iri or is_bnode, SH + "IRIOrLiteral": is_iri or is_lit,
        SH + "BlankNodeOrLiteral": is_bnode or is_lit,
    }[kind]


def _lang_in(v, langs: list[str]) -> bool:
    if not isinstance(v, Literal) or not v.language:
        return False
    tag = v.language.lower()
    return any(tag == lang or tag.startswith(lang + "-") for lang in langs)

"""A fast evaluator for the SHACL Core constraints our shapes use, over in-memory pyoxigraph triples.

Why not pyshacl in the build: on the ~350k registry triples pyshacl took 166 s to validate (plus 33 s to load
the data into rdflib), far over the 60 s budget for a whole build. This module evaluates the same shapes file in
a few seconds. pyshacl stays the reference: `tests/test_shacl.py` checks that both give the same verdicts, and
`vlkg validate --engine pyshacl` runs it. A shape using a feature this module does not evaluate exactly as
SHACL Core does fails loudly (`UnsupportedShape`, naming the feature), never silently: unknown sh: parameters,
paths other than IRIs and sequences of IRIs, sh:flags other than "i", sh:qualifiedValueShapesDisjoint,
sh:languageIn "*", implicit class targets (a shape that is also a class), a second value of a one-value
parameter, and XSD datatypes whose lexical forms it does not check. tests/test_shacl.py shows each refusal
next to pyshacl's verdict.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
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


# Parameters read as one value (`Validator.param`); a second value would be ignored, so it is refused.
_SINGLE = frozenset("""
    path datatype nodeKind minCount maxCount in pattern flags minLength maxLength languageIn uniqueLang
    minInclusive maxInclusive minExclusive maxExclusive lessThan lessThanOrEquals qualifiedValueShape
    qualifiedMinCount qualifiedMaxCount qualifiedValueShapesDisjoint deactivated
""".split())
RDFS_CLASS = "http://www.w3.org/2000/01/rdf-schema#Class"
OWL_CLASS = "http://www.w3.org/2002/07/owl#Class"


class UnsupportedShape(Exception):
    """The shapes use a SHACL feature this evaluator does not implement."""


def _refuse(node, feature: str) -> UnsupportedShape:
    return UnsupportedShape(f"shape {node} uses {feature}, which ingest/shacl_core.py does not evaluate; "
                            "extend it or validate with pyshacl (`vlkg validate --engine pyshacl`).")


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
    """Subject -> predicate -> objects, and rdf:type with subclass closure."""

    def __init__(self, triples: Iterable[Triple]) -> None:
        self.triples = list(triples)
        self.out: dict = defaultdict(lambda: defaultdict(list))
        for t in self.triples:
            self.out[t.subject][t.predicate.value].append(t.object)
        self._superclasses: dict = {}
        self._classes: dict = {}  # node -> its types and their superclasses (a node is asked about many classes)

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
        classes = self._classes.get(node)
        if classes is None:
            classes = self._classes[node] = set().union(*(self.superclasses(t) for t in self.objects(node, RDF_TYPE)))
        return cls in classes

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
        self._params: dict = {}
        self._first: dict = {}
        self._lists: dict = {}
        for node in list(self.shapes.out):
            self._refuse_unsupported(node)

    def _refuse_unsupported(self, node) -> None:
        """Raise UnsupportedShape for any feature on `node` that this evaluator would skip or read differently
        from SHACL Core (and so from pyshacl): it never answers "conforms" for a rule it did not check."""
        props = self.shapes.out[node]
        unknown = [p for p in props if p.startswith(SH) and p not in KNOWN]
        if unknown:
            raise _refuse(node, ", ".join(sorted(unknown)))
        params = self.params(node)
        for name in sorted(_SINGLE & params.keys()):
            if len(set(params[name])) > 1:
                raise _refuse(node, f"more than one value of sh:{name}")
        if (flags := self.param(node, "flags")) is not None and set(flags.value) - {"i"}:
            raise _refuse(node, f'sh:flags "{flags.value}" (only "i" is evaluated)')
        disjoint = self.param(node, "qualifiedValueShapesDisjoint")
        if disjoint is not None and disjoint.value in ("true", "1"):
            raise _refuse(node, "sh:qualifiedValueShapesDisjoint true")
        if (langs := self.param(node, "languageIn")) is not None and any(
                x.value == "*" for x in self.members(langs) if x is not None):
            raise _refuse(node, 'sh:languageIn with the wildcard "*"')
        if (path := self.param(node, "path")) is not None and not (
                isinstance(path, NamedNode) or (self.shapes.value(path, RDF_FIRST) is not None and all(
                    isinstance(step, NamedNode) for step in self.members(path)))):
            raise _refuse(node, f"the path {path} (only IRIs and sequences of IRIs are evaluated)")
        dt = self.param(node, "datatype")
        if isinstance(dt, NamedNode) and dt.value.startswith(XSD) and dt.value not in _LEXICAL:
            raise _refuse(node, f"sh:datatype {dt.value} (its lexical forms are not checked)")
        shape_like = SH + "property" in props or (params.keys() & _CHECKED) or any(
            t.value in (SH + "NodeShape", SH + "PropertyShape") for t in self.shapes.objects(node, RDF_TYPE))
        if shape_like and any(t.value in (RDFS_CLASS, OWL_CLASS) for t in self.shapes.objects(node, RDF_TYPE)):
            raise _refuse(node, "an implicit class target (the shape is also an rdfs:Class/owl:Class)")

    def params(self, shape) -> dict[str, list]:
        """The shape's sh: parameters by local name, read once (shapes are consulted per focus node)."""
        if shape not in self._params:
            props = self.shapes.out.get(shape, {})
            self._params[shape] = {p.removeprefix(SH): v for p, v in props.items() if p.startswith(SH)}
        return self._params[shape]

    def first_params(self, shape) -> dict:
        """The first value of each of the shape's sh: parameters (a one-value parameter has no other)."""
        if shape not in self._first:
            self._first[shape] = {name: values[0] for name, values in self.params(shape).items() if values}
        return self._first[shape]

    def param(self, shape, name: str):
        return self.first_params(shape).get(name)

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
        # value nodes are a set: a node reached twice (two sequence steps, a repeated triple) counts once
        if isinstance(path, NamedNode):
            return list(dict.fromkeys(graph.objects(focus, path.value)))
        if self.shapes.value(path, RDF_FIRST) is not None:
            current = [focus]
            for step in self.members(path):
                current = list(dict.fromkeys(v for node in current for v in self._path_values(step, node, graph)))
            return current
        raise _refuse(path, "a path that is not an IRI or a sequence of IRIs")

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
        get = self.first_params(shape).get  # called ~17 times per focus node: a plain dict lookup
        if (n := get("minCount")) is not None and len(values) < int(n.value):
            yield "MinCountConstraintComponent", [None]
        if (n := get("maxCount")) is not None and len(values) > int(n.value):
            yield "MaxCountConstraintComponent", [None]
        if (dt := get("datatype")) is not None:
            yield "DatatypeConstraintComponent", [v for v in values if not (
                isinstance(v, Literal) and v.datatype == dt and _well_formed(v.value, dt.value))]
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


_TZ = r"(Z|[+-]\d{2}:\d{2})?"
_DATE = r"-?\d{4,}-\d{2}-\d{2}"
# sh:datatype holds only for a literal whose lexical form is valid for the datatype (pyshacl: rdflib's
# ill-typed literals); XSD datatypes not listed here are refused.
_LEXICAL = {XSD + k: re.compile(v) for k, v in {
    "string": r"(?s:.*)", "boolean": "true|false|1|0", "integer": r"[+-]?\d+", "decimal": r"[+-]?(\d+(\.\d*)?|\.\d+)",
    "double": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN",
    "float": r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN",
    "date": _DATE + _TZ, "dateTime": _DATE + r"T\d{2}:\d{2}:\d{2}(\.\d+)?" + _TZ,
    "gYear": r"-?\d{4,}" + _TZ, "gYearMonth": r"-?\d{4,}-(0[1-9]|1[0-2])" + _TZ,
}.items()}


def _well_formed(lexical: str, datatype: str) -> bool:
    rx = _LEXICAL.get(datatype)
    if rx is None:
        return True  # not an XSD datatype (e.g. kg:dvhcCode): the datatype IRI is all there is to check
    if not rx.fullmatch(lexical):
        return False
    if datatype in (XSD + "date", XSD + "dateTime"):
        year, month, day = lexical.lstrip("-").split("T")[0].split("-")[:3]
        try:
            date(max(int(year), 1) if len(year) == 4 else 2000, int(month), int(day[:2]))
        except ValueError:
            return False
        if datatype == XSD + "dateTime":
            hh, mm, ss = lexical.split("T")[1][:8].split(":")
            return (int(hh), int(mm), int(ss)) <= (24, 0, 0) and int(mm) < 60 and int(ss) < 60
    return True


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

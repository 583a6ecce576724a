"""The example-query catalogue: `.rq` files whose leading comments carry titles and descriptions.

A file starts with header lines such as

    # title@vi: Chỉ tiêu năm 2022 của huyện Vĩnh Lộc
    # title@en: 2022 targets of Vĩnh Lộc district
    # description@vi: ...
    # description@en: ...

A header line indented by two or more spaces after `#` continues the previous field. The catalogue of a
build is read from DIR/current/queries; a bare store falls back to the examples shipped in `vlkg.queries`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from vlkg.namespaces import PREFIXES
from vlkg.server.sparql_help import needed_prefixes
from vlkg.server.sparql_scan import scan

FIELDS = ("title", "description")
_FIELD_LINE = re.compile(
    r"#\s*(?P<key>[a-z]+)(?:@(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]+)*))?\s*:\s?(?P<value>.*)$"
)
_CONTINUATION = re.compile(r"#\s{2,}(?P<value>\S.*)$")

@dataclass(frozen=True)
class Example:
    """One example query: an id (the file stem), titles and descriptions by language, and the query."""

    id: str
    query: str
    title: dict[str, str] = field(default_factory=dict)
    description: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "description": self.description, "query": self.query}


def parse_example(name: str, text: str, prefixes: Mapping[str, str] = PREFIXES) -> Example:
    """Split an `.rq` file into its header fields and the query body (header lines removed)."""
    values: dict[str, dict[str, str]] = {key: {} for key in FIELDS}
    lines = text.splitlines()
    last: tuple[str, str] | None = None
    body_start = 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            body_start = i + 1
            continue
        if not line.startswith("#"):
            break
        body_start = i + 1
        cont = _CONTINUATION.match(raw.rstrip())
        match = _FIELD_LINE.match(line)
        if match and match["key"] in FIELDS:
            last = (match["key"], match["lang"] or "")
            values[last[0]][last[1]] = match["value"].strip()
        elif cont and last is not None:
            values[last[0]][last[1]] = (values[last[0]][last[1]] + " " + cont["value"].strip()).strip()
        else:  # an ordinary comment ends the header; keep it in the query
            body_start = i
            break
    body = "\n".join(lines[body_start:]).strip("\n") + "\n"
    titles = values["title"] or {"": name}
    return Example(id=name, query=with_prefixes(body, prefixes), title=_by_lang(titles),
                   description=_by_lang(values["description"]))


def _by_lang(values: dict[str, str]) -> dict[str, str]:
    """An untagged value stands for Vietnamese, the language of the sources."""
    out = {lang or "vi": text for lang, text in values.items() if lang}
    if "" in values:
        out.setdefault("vi", values[""])
    return out


def with_prefixes(query: str, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """Prepend PREFIX declarations for our prefixes (the served ones: kg: and id: under the build's base IRI) that
    the query uses without declaring, in order of use (the same reading of the text as the query processes':
    sparql_scan, linear; example files are trusted)."""
    needed = needed_prefixes(scan(query), prefixes)
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in needed.items()) + query


def load_examples(directory: Path | Traversable, prefixes: Mapping[str, str] = PREFIXES) -> list[Example]:
    """Every `*.rq` file of a directory, in file-name order (authors number them to order them)."""
    if not directory.is_dir():
        return []
    files = sorted((f for f in directory.iterdir() if f.name.endswith(".rq") and f.is_file()),
                   key=lambda f: f.name)
    return [parse_example(f.name[: -len(".rq")], f.read_text(encoding="utf-8"), prefixes) for f in files]


def examples_dir(build_queries: Path | None) -> Path | Traversable:
    """The served build's queries folder when it has one, else the examples shipped with the package."""
    if build_queries is not None and build_queries.is_dir():
        return build_queries
    return resources.files("vlkg.queries")

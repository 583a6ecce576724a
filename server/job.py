"""One query job: everything that decides the bytes of an answer, from the HTTP request to the query process.

The same object gives the wire message for the query process (`wire()`), the result-cache key
(`key()`, whose size in bytes the cache counts) and the ETag. The query form is not known before the
query is parsed (that happens in the query process, under the timeout), so a job carries the negotiated
format for both families: `table` for SELECT/ASK, `graph` for CONSTRUCT/DESCRIBE (None: not acceptable,
with `refusal` saying why).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Job:
    """A query to run; graph lists are None when the request names none."""

    query: str
    base: str
    table: str | None  # format key for SELECT/ASK answers
    graph: str | None  # format key for CONSTRUCT/DESCRIBE answers
    union: bool  # the default graph is the union of the named graphs (unless the query has FROM)
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    limit: int = 0  # rows (or triples) kept; 0 = all
    max_bytes: int = 0  # largest serialised answer; 0 = no limit
    refusal: dict[str, str] = field(default_factory=dict, compare=False)  # "table"/"graph" -> 406 message
    gzip: bool = field(default=False, compare=False)  # the client takes gzip: big answers come compressed

    def wire(self) -> dict[str, Any]:
        """The JSON message for the query process."""
        return {
            "query": self.query, "base": self.base, "table": self.table, "graph": self.graph, "union": self.union,
            "default": list(self.default_graphs) if self.default_graphs is not None else None,
            "named": list(self.named_graphs) if self.named_graphs is not None else None,
            "limit": self.limit, "max_bytes": self.max_bytes, "refusal": self.refusal, "gzip": self.gzip,
        }

    def key(self) -> tuple[Any, ...]:
        """The result-cache key: every field that changes the answer (only small answers are cached, and those
        are never compressed by the query process, so `gzip` is not part of it)."""
        return (self.query, self.base, self.table, self.graph, self.union, self.default_graphs, self.named_graphs,
                self.limit, self.max_bytes)

    def key_bytes(self) -> int:
        """What the key costs in memory, roughly: the cache counts it with the answer."""
        graphs = sum(len(g) for g in (self.default_graphs or ()) + (self.named_graphs or ()))
        return len(self.query.encode("utf-8", "surrogatepass")) + len(self.base) + graphs + 200

    def etag(self, build_id: str, media_types: tuple[str | None, str | None]) -> str:
        """A strong validator for GET answers: build, job and the media types chosen."""
        text = repr((build_id, self.key(), media_types))
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()

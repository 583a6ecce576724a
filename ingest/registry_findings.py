"""Source problems grouped by kind, so a build reports each kind once: a count and a few examples."""

from __future__ import annotations


class Findings:
    """Collects examples per kind of problem, in the order they were found (deterministic input order)."""

    def __init__(self, examples: int = 4) -> None:
        self._examples = examples
        self._kinds: dict[str, list[str]] = {}

    def add(self, kind: str, example: str) -> None:
        """Record one occurrence of `kind` ('legacy communes with no 2025 successor') with an example."""
        self._kinds.setdefault(kind, []).append(example)

    def count(self, kind: str) -> int:
        """How many times `kind` was recorded."""
        return len(self._kinds.get(kind, []))

    def examples(self, kind: str) -> list[str]:
        """Every recorded example of `kind`."""
        return list(self._kinds.get(kind, []))

    def warnings(self) -> list[str]:
        """One sentence per kind: '3 legacy communes with no 2025 successor: e.g. …; …'."""
        out = []
        for kind, found in self._kinds.items():
            shown = "; ".join(found[: self._examples])
            more = f"; … ({len(found) - self._examples} more)" if len(found) > self._examples else ""
            out.append(f"{len(found)} {kind}: e.g. {shown}{more}")
        return out

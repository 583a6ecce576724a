"""The query processes' network sandbox: SPARQL SERVICE cannot reach anything unless the operator allows it.

pyoxigraph evaluates SERVICE by making real HTTP requests, and its parser accepts spellings no pre-check
can foresee, so the guard is the operating system, not a reading of the query text: each query process
moves into a network namespace of its own before it opens the store.
"""

from __future__ import annotations


def isolate_network() -> None:
    """Move this process into an empty network namespace (placeholder; see the module docstring)."""

"""Where a build puts things; ingest writes this layout and the server reads it.

    DIR/
      current -> releases/<build-id>      symlink, swapped atomically at the end of a build
      store   -> current/store            pyoxigraph on-disk store (all named graphs)
      dumps   -> current/dumps            gzipped dumps, SHA256SUMS, void.ttl
      releases/<build-id>/
        store/  dumps/  queries/*.rq  manifest.json
        units.json.gz                   every unit version, for search and reconciliation (vlkg.units)

`manifest.json` holds build_id, created, triples per graph, the dump files (file, format, media_type,
graph, bytes, triples, sha256) and the example queries. A bare pyoxigraph store directory (no
manifest) is served too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Layout:
    """Paths of one build directory (or of a bare store directory)."""

    root: Path

    @property
    def store(self) -> Path:
        """The pyoxigraph store: DIR/store for a build, DIR itself for a bare store."""
        candidate = self.root / "store"
        return candidate if candidate.exists() else self.root

    @property
    def dumps(self) -> Path:
        return self.root / "dumps"

    @property
    def queries(self) -> Path:
        return self.root / "current" / "queries"

    @property
    def manifest_path(self) -> Path:
        return self.root / "current" / "manifest.json"

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    def is_build(self) -> bool:
        """True when this directory was written by `vlkg build` (it has a manifest)."""
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        """The build manifest, or an empty dict for a bare store."""
        if not self.is_build():
            return {}
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))


DEFAULT_BUILD_DIR = Path("build")
UNIT_INDEX = "units.json.gz"

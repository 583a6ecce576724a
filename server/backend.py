"""Storage behind a small interface: the read-only store, its build manifest and build id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from vlkg.layout import Layout


@dataclass
class Backend:
    """One served build: the layout, the store opened read-only (lazily, per process), the manifest."""

    layout: Layout
    settings: dict[str, Any]
    manifest: dict[str, Any] = field(default_factory=dict)
    _store: Store | None = None
    _pid: int | None = None

    @classmethod
    def open(cls, settings: dict[str, Any]) -> Backend:
        layout = Layout(Path(settings["store"]))
        if not layout.store.exists():
            raise FileNotFoundError(
                f"No store at {layout.store}: run `vlkg build --out {layout.root}` first, or pass --store DIR."
            )
        return cls(layout=layout, settings=settings, manifest=layout.manifest())

    @property
    def store(self) -> Store:
        """The read-only store, opened after fork (RocksDB handles do not survive fork)."""
        import os

        if self._store is None or self._pid != os.getpid():
            self._store = Store.read_only(str(self.layout.store.resolve()))
            self._pid = os.getpid()
        return self._store

    @property
    def build_id(self) -> str:
        """Identifies the data being served; part of every ETag and cache key."""
        if self.manifest.get("build_id"):
            return str(self.manifest["build_id"])
        stat = self.layout.store.resolve().stat()
        return hashlib.sha256(f"{self.layout.store.resolve()}:{stat.st_mtime_ns}".encode()).hexdigest()[:16]

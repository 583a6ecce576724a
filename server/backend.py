"""Storage behind a small interface: the read-only store, its build manifest and build id, the query
processes and the result cache of this HTTP worker.

Everything that holds OS resources is opened lazily in the process that uses it (RocksDB handles and
child processes do not survive fork), so the app can be created before a WSGI server forks workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vlkg.layout import UNIT_INDEX, Layout
from vlkg.namespaces import prefixes_for
from vlkg.server import build_info
from vlkg.server.cache import ResultCache
from vlkg.server.executor import Executor, probe
from vlkg.server.job import Job
from vlkg.server.settings import default
from vlkg.units import Registry


def build_base_iri(manifest: dict[str, Any]) -> str:
    """The base IRI a build was made for (`vlkg build --base-iri`); builds older than the option used the default."""
    return str(manifest.get("base_iri") or default("base_iri"))


def manifest_base_iri(store: str | Path) -> str | None:
    """The base IRI recorded by the build in `store` (a build directory); None for a bare store or no manifest."""
    layout = Layout(Path(store))
    if not layout.is_build():
        return None
    try:
        return build_base_iri(json.loads(layout.manifest_path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None  # Backend.open says what is wrong with the manifest


def _follow_build_base(settings: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Serve a build under the base IRI it was made for unless a base IRI was given (flag, VLKG_BASE_IRI, or a
    value other than the default in the settings): the app's settings and this backend's are the same dict."""
    if settings["base_iri"] == default("base_iri") and "VLKG_BASE_IRI" not in os.environ:
        settings["base_iri"] = build_base_iri(manifest)


if TYPE_CHECKING:  # pyoxigraph loads on first use: the `vlkg serve` parent process never needs it
    from pyoxigraph import Store

    from vlkg.places import Places


@dataclass
class Backend:
    """One served build (or bare store)."""

    layout: Layout
    settings: dict[str, Any]
    store_path: Path
    release: Path | None = None
    """The release directory pinned at start-up (None for a bare store): store, dumps, manifest and
    example queries are all read from it, so a rebuild that switches `current` changes nothing served
    until a restart."""
    manifest: dict[str, Any] = field(default_factory=dict)
    _store: Store | None = None
    _executor: Executor | None = None
    _pid: int | None = None
    _named_graphs: list[str] | None = None
    _triples: int | None = None
    _units: Registry | None = None
    _places: Places | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Loading the unit index and building Places take ~1 s: under a lock of their own, never under _lock, which
    # every request that opens the store takes. Re-entrant: `places` reads `units`.
    _index_lock: threading.RLock = field(default_factory=threading.RLock)
    cache: ResultCache = field(init=False)
    build_id: str = field(init=False)
    """Identifies the data being served; part of every ETag and cache key."""

    def __post_init__(self) -> None:
        self.cache = ResultCache(self.settings["cache_mb"] * 1024 * 1024)
        if self.manifest.get("build_id"):
            self.build_id = str(self.manifest["build_id"])
        else:  # a bare store: its path and last modification stand for its content
            stamp = f"{self.store_path}:{self.store_path.stat().st_mtime_ns}"
            self.build_id = hashlib.sha256(stamp.encode()).hexdigest()[:16]

    @classmethod
    def open(cls, settings: dict[str, Any]) -> Backend:
        layout = Layout(Path(settings["store"]))
        store = layout.store
        if not (store / "CURRENT").is_file():  # every RocksDB directory (so every pyoxigraph store) has one
            raise FileNotFoundError(
                f"No pyoxigraph store at {store}: run `vlkg build --out {layout.root}` first, or pass "
                "--store DIR with a build directory or a pyoxigraph store directory."
            )
        # Resolve the `current` symlink once: a new build swapped in later is served after a restart, never
        # half-way through, and never as a mix of one release's store with another's dumps or manifest.
        if layout.is_build():
            release = (layout.root / "current").resolve()
            try:
                manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"The build manifest {release / 'manifest.json'} cannot be read ({exc}): rebuild with "
                    f"`vlkg build --out {layout.root}`."
                ) from None
            _follow_build_base(settings, manifest)
            return cls(layout=layout, settings=settings, store_path=(release / "store").resolve(), release=release,
                       manifest=manifest)
        return cls(layout=layout, settings=settings, store_path=store.resolve())

    @property
    def prefixes(self) -> dict[str, str]:
        """Our prefixes, kg: and id: under the served base IRI (a `vlkg build --base-iri` build): for CURIEs,
        Turtle prefixes and the JSON-LD @context."""
        return prefixes_for(self.settings["base_iri"])

    @property
    def dumps_dir(self) -> Path | None:
        """The pinned release's dumps directory (None for a bare store)."""
        return self.release / "dumps" if self.release is not None else None

    @property
    def queries_dir(self) -> Path | None:
        """The pinned release's example queries (None for a bare store: the packaged examples are used)."""
        return self.release / "queries" if self.release is not None else None

    @property
    def units(self) -> Registry | None:
        """The pinned release's unit index (every version, for search and reconciliation), loaded once; None
        for a bare store or a build older than the index."""
        with self._index_lock:
            if self._units is None and self.release is not None and (self.release / UNIT_INDEX).is_file():
                self._units = Registry.read(self.release / UNIT_INDEX, self.settings["base_iri"] + "id/")
            return self._units

    @property
    def places(self) -> Places | None:
        """Reconciliation and search over `units` (vlkg.places), built once on first use; None without a unit
        index."""
        with self._index_lock:
            units = self.units
            if self._places is None and units is not None:
                from vlkg.places import Places

                self._places = Places(units)
            return self._places

    def _same_process(self) -> None:
        if self._pid != os.getpid():
            self._store = None
            self._executor = None
            self._pid = os.getpid()

    @property
    def store(self) -> Store:
        """The store opened read-only in this process (for fast, trusted, server-written queries)."""
        with self._lock:
            self._same_process()
            if self._store is None:
                from pyoxigraph import Store

                self._store = Store.read_only(str(self.store_path))
            return self._store

    @property
    def executor(self) -> Executor:
        """The query processes of this HTTP worker; user queries run there, under a timeout."""
        with self._lock:
            self._same_process()
            if self._executor is None:
                self._executor = Executor(
                    str(self.store_path), self.settings["executors"] or os.cpu_count() or 2,
                    self.settings["query_memory_mb"] << 20, tuple(self.settings["service_allow"]),
                    old_after=self.settings["old_after"], max_old=self.settings["max_old_queries"],
                    max_old_per_client=self.settings["max_old_per_client"],
                )
            return self._executor

    def triples(self, count: Callable[[], int] | None = None) -> int | None:
        """The size of the served data: the manifest's figure, else a bare store's count, made once per process
        by `count` (None: not now; callers that must not wait, like /health, pass None when busy)."""
        total = build_info.total_triples(self.manifest)
        if total is None and self._triples is None and count is not None:
            self._triples = count()
        return total if total is not None else self._triples

    def check_store(self) -> None:
        """Start one query process and wait until it has the store open: StartFailed says why not.

        `vlkg serve` calls this before the HTTP server starts, so a missing or corrupt store stops it
        with a sentence instead of a server whose every query fails.
        """
        probe(str(self.store_path), self.settings["query_memory_mb"] << 20, tuple(self.settings["service_allow"]))

    def query_json(self, sparql: str, *, union: bool = True, timeout: float | None = None) -> dict[str, Any]:
        """Run a (server-written) query in the query processes and return SPARQL JSON results as a dict.

        Prefer this to `store` in HTTP workers: it keeps the timeout, and the worker does not need its own
        store (each open store holds a RocksDB block cache of tens of MiB).
        """
        job = Job(query=sparql, base=self.settings["base_iri"], table="json", graph=None, union=union,
                  max_bytes=self.settings["max_result_mb"] << 20)
        answer = self.executor.run(job.wire(), timeout or self.settings["timeout"], job.max_bytes)
        return json.loads(answer.read_all())

    def named_graphs(self) -> list[str]:
        """IRIs of the store's named graphs, sorted (asked once: the data cannot change while served)."""
        if self._named_graphs is None:
            results = self.query_json("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", union=False)
            self._named_graphs = sorted(
                b["g"]["value"] for b in results["results"]["bindings"] if b["g"]["type"] == "uri"
            )
        return self._named_graphs

    def close(self) -> None:
        """Stop the query processes (tests and shutdown)."""
        with self._lock:
            if self._executor is not None and self._pid == os.getpid():
                self._executor.close()
            self._executor = None

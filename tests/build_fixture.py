"""Session fixtures for the real pipeline, each made once per test run and shared by every module:

  built           a build directory made by `vlkg build` from data/ (registry, articles, SHACL, store, dumps)
  built_store     its store, opened read-only
  rebased         (directory, manifest) of the same build published under REBASED_IRI (`vlkg build --base-iri`)
  unit_index      the build's unit index file (units.json.gz), for fixture builds that answer /search, /reconcile
  registry        the unit registry as that index holds it (what the server and `vlkg reconcile` load)
  registry_build  the unit registry alone (`build_registry()`: both eras, warnings, stats), for the tests of the
                  ingest steps that do not need a whole build

A full build takes ~35 s of one core. Both start in the background, as `vlkg build` processes, before the first
test runs (only if a collected test needs them), so the rest of the suite runs meanwhile. In one pytest process
the test files that need them run after the others; under pytest-xdist (`make test`), xdist hands out files
largest first (measured faster here than this order) and a worker that reaches such a file waits while the
other works. Each build is made once per run: the first process to claim it (an O_EXCL file in the run's shared
temporary directory) starts it; every worker waits for its exit status file and reads the same directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
VLKG = Path(sys.executable).with_name("vlkg")
REBASED_IRI = "https://data.example.org/vlkg/"

# fixture name -> `vlkg build` options. The fixtures below are the only ones that read these builds.
BUILDS: dict[str, list[str]] = {"built": [], "rebased": ["--base-iri", REBASED_IRI]}
BUILD_TIMEOUT = 900  # seconds; a build here takes 35-60 s, more when the machine is busy
_started: list[subprocess.Popen[bytes]] = []  # builds this process started (killed if the run ends first)


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """The temporary directory every process of this run sees: under xdist, the parent of the worker's own."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _needs(items: list[pytest.Item], name: str) -> bool:
    return any(name in getattr(item, "fixturenames", ()) for item in items)


def _start(root: Path, name: str) -> None:
    """Start build `name` unless a process of this run already has (the claim file is created atomically)."""
    try:
        os.close(os.open(root / f"{name}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    cmd = [str(VLKG), "build", "--out", str(root / name), "--data", str(DATA), "--quiet", *BUILDS[name]]
    # The exit status is written to a temporary name and renamed: a waiter never reads a half-written file.
    script = '"$@" >"$0.log" 2>&1; echo $? >"$0.rc.tmp"; mv "$0.rc.tmp" "$0.rc"'
    _started.append(subprocess.Popen(["sh", "-c", script, str(root / name), *cmd], start_new_session=True))


def _wait(root: Path, name: str) -> Path:
    _start(root, name)  # no-op when started already, as it normally is
    rc_file, deadline = root / f"{name}.rc", time.monotonic() + BUILD_TIMEOUT
    while not rc_file.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"`vlkg build` for {name} did not finish within {BUILD_TIMEOUT} s", pytrace=False)
        time.sleep(0.2)
    if rc_file.read_text().strip() != "0":
        log = (root / f"{name}.log").read_text(errors="replace")
        pytest.fail(f"`vlkg build` for {name} failed:\n{log[-4000:]}", pytrace=False)
    return root / name


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """In one process, test files that need a full build run after the others (a stable sort; files stay whole)."""
    waiting = {item.path for item in items if any(_needs([item], name) for name in BUILDS)}
    items.sort(key=lambda item: item.path in waiting)


@pytest.fixture(scope="session", autouse=True)
def _start_builds(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start, before the first test, the builds some collected test will need."""
    root = _shared_root(tmp_path_factory)
    for name in BUILDS:
        if _needs(request.session.items, name):
            _start(root, name)


def pytest_sessionfinish() -> None:
    """A run that ended early (-x, ^C) leaves no build running. Not under xdist: there a worker that is done may
    have started a build another worker still waits for (such a build ends by itself within a minute)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    for proc in _started:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory made by the real pipeline from data/ (once per test run)."""
    return _wait(_shared_root(tmp_path_factory), "built")


@pytest.fixture(scope="session")
def built_store(built: Path):
    """The built store, opened read-only."""
    from pyoxigraph import Store

    return Store.read_only(str((built / "store").resolve()))


@pytest.fixture(scope="session")
def rebased(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The real build (data/), published under REBASED_IRI; returns (build directory, manifest)."""
    out = _wait(_shared_root(tmp_path_factory), "rebased")
    return out, json.loads((out / "current" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def unit_index(built: Path) -> Path:
    from vlkg.layout import UNIT_INDEX

    return (built / "current" / UNIT_INDEX).resolve()


@pytest.fixture(scope="session")
def registry(built: Path):
    from vlkg.units import Registry

    return Registry.of_build(built)


@pytest.fixture(scope="session")
def registry_build():
    """The real registry (RegistryBuild); tests must not change it."""
    from vlkg.ingest.registry import build_registry

    return build_registry(DATA)

"""Session fixtures for the real pipeline, each made once per test session and shared by every module:

  built           a build directory made by `run_build` from data/ (registry, articles, SHACL, store, dumps)
  built_store     its store, opened read-only
  registry_build  the unit registry alone (`build_registry()`: both eras, warnings, stats), for the tests of the
                  ingest steps that do not need a whole build
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build directory made by the real pipeline from data/ (once per test session)."""
    from vlkg.ingest.build import run_build

    out = tmp_path_factory.mktemp("build")
    run_build(out=out, data_dir=DATA, progress=False)
    return out


@pytest.fixture(scope="session")
def built_store(built: Path):
    """The built store, opened read-only."""
    from pyoxigraph import Store

    return Store.read_only(str((built / "store").resolve()))


@pytest.fixture(scope="session")
def registry_build():
    """The real registry (RegistryBuild); tests must not change it."""
    from vlkg.ingest.registry import build_registry

    return build_registry(DATA)

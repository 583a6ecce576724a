"""Session fixtures for a real, full build (registry, articles, SHACL, store, dumps): `built`."""

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

"""Shared fixtures: a small real store, the app over it, and a real `vlkg serve` over HTTP.

Fixture names are a contract for every test module:
  fixture_store  Path of a pyoxigraph store built from tests/data/*.trig (session, read-only after build)
  fixture_quads  the number of quads in it
  make_app       factory: make_app(**settings) -> Flask app over fixture_store (query processes closed after)
  app, client    the app with default settings, and its Flask test client (session)
  live_store     a copy of fixture_store served only by live_server (session)
  live_server    base URL (no trailing slash) of a real `vlkg serve` over live_store (session)
  serve_factory  serve_factory(store, *cli_args, env={}) -> URL of another real server, stopped after the test

and one helper, shared_missing(reason): what a test does when files from ../shared (the W3C suite, the seed
article's gold file) are not there: a failure under CI=true, a skip with the reason for a developer.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

# The full real build (`built`, `built_store`) lives in its own plugin module.
pytest_plugins = ["build_fixture"]

DATA = Path(__file__).parent / "data"
VLKG = Path(sys.executable).with_name("vlkg")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def shared_missing(reason: str) -> NoReturn:
    """Files from ../shared are missing: CI must not pass without the checks that need them, so under CI=true
    this fails the test; on a developer's machine it skips, saying what is missing and where to put it."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(f"{reason} (with CI=true this fails)")


@pytest.fixture(scope="session")
def fixture_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pyoxigraph store holding tests/data/*.trig; the writer is closed before anyone reads it."""
    from pyoxigraph import RdfFormat, Store

    path = tmp_path_factory.mktemp("fixture") / "store"
    store = Store(str(path))
    for trig in sorted(DATA.glob("*.trig")):
        store.load(path=str(trig), format=RdfFormat.TRIG)
    store.flush()
    del store  # read-only openers must not overlap a writer (pyoxigraph: undefined behaviour)
    gc.collect()
    return path


@pytest.fixture(scope="session")
def fixture_quads(fixture_store: Path) -> int:
    from pyoxigraph import Store

    return len(Store.read_only(str(fixture_store)))


@pytest.fixture(scope="session")
def make_app(fixture_store: Path) -> Iterator[Callable[..., Any]]:
    """Build apps over the fixture store with some settings changed; their query processes stop at the end."""
    from vlkg.server import create_app

    apps: list[Any] = []

    def make(**settings: Any) -> Any:
        app = create_app({"store": str(fixture_store), "executors": 2, **settings})
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["vlkg"].close()


@pytest.fixture(scope="session")
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture(scope="session")
def client(app: Any) -> Any:
    return app.test_client()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, *args: str, env: dict[str, str] | None = None,
                 log: IO[bytes] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start `vlkg serve` on a free loopback port and wait until /sparql answers; its output goes to `log`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a chatty server must never block on a full pipe. Closed with the test process.
    log = log or tempfile.TemporaryFile()  # noqa: SIM115
    proc = subprocess.Popen(
        [str(VLKG), "serve", "--store", str(store), "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"vlkg serve exited with {proc.returncode}:\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("vlkg serve did not answer within 60 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def live_store(fixture_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture store used only by live_server, so its query processes can be told apart."""
    path = tmp_path_factory.mktemp("live") / "store"
    shutil.copytree(fixture_store, path)
    return path


@pytest.fixture(scope="session")
def live_server(live_store: Path) -> Iterator[str]:
    """URL of a real `vlkg serve` (the production WSGI server) over a copy of the fixture store."""
    proc, url = start_server(live_store, "--executors", "2")
    yield url
    stop_server(proc)


@pytest.fixture
def serve_factory() -> Iterator[Callable[..., str]]:
    """Start extra real servers (other settings, other stores); each is stopped after the test."""
    procs: list[subprocess.Popen[bytes]] = []

    def serve(store: Path, *args: str, env: dict[str, str] | None = None) -> str:
        proc, url = start_server(store, *args, env=env)
        procs.append(proc)
        return url

    yield serve
    for proc in procs:
        stop_server(proc)

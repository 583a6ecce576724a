"""A second `vlkg serve` on a busy port is refused (granian would otherwise share it via SO_REUSEPORT)."""

from __future__ import annotations

import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from conftest import VLKG


@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_second_serve_on_a_busy_port_is_refused(server: str, fixture_store: Path, serve_factory) -> None:
    url = serve_factory(fixture_store, "--server", server, "--executors", "1")
    port = url.rsplit(":", 1)[1]
    second = subprocess.run(
        [str(VLKG), "serve", "--store", str(fixture_store), "--host", "127.0.0.1", "--port", port,
         "--server", server, "--executors", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert second.returncode != 0
    assert f"Error: port {port} on 127.0.0.1 is already in use" in second.stderr
    assert "choose another port with --port" in second.stderr
    assert "serving" not in second.stderr  # refused before the store is opened or a worker starts
    with urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=10) as r:  # the first one still answers
        assert r.status == 200


def test_a_port_held_by_another_program_is_refused(fixture_store: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = str(other.getsockname()[1])
        second = subprocess.run(
            [str(VLKG), "serve", "--store", str(fixture_store), "--host", "127.0.0.1", "--port", port],
            capture_output=True, text=True, timeout=60,
        )
    assert second.returncode == 1
    assert f"Error: port {port} on 127.0.0.1 is already in use" in second.stderr

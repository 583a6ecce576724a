"""Start a SPARQL server on a store as a subprocess (ours or the native Oxigraph one), on loopback."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running server: its endpoint URL and its process (the leader of its own process group)."""

    name: str
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Stop the server we started: TERM to its process group (workers included), KILL what lingers."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                continue
            time.sleep(0.2)  # let workers that got the TERM finish before the KILL sweep
        self.log.unlink(missing_ok=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start_process(name: str, argv: list[str], url: str, probe: str, timeout: float = 60.0) -> Server:
    """Run `argv` in its own process group and wait until GET `probe` answers 200 (or fail with its log)."""
    log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    server = Server(name, url, proc, log)
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"{name} exited with status {proc.returncode}:\n{tail}")
        try:
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", probe)
            if conn.getresponse().status == 200:
                conn.close()
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(f"{name} did not answer GET {probe} within {timeout:.0f} s:\n{tail}")


def start_native(store: Path, port: int | None = None, union_default: bool = False) -> Server:
    """`oxigraph serve-read-only` (endpoint /query; its default graph is the store's default graph)."""
    port = port or free_port()
    argv = [str(VENV_BIN / "oxigraph"), "serve-read-only", "--location", str(store),
            "--bind", f"127.0.0.1:{port}"]
    if union_default:
        argv.append("--union-default-graph")
    return start_process("oxigraph", argv, f"http://127.0.0.1:{port}/query", "/query?query=ASK%7B%7D")


def start_ours(store: Path, port: int | None = None, extra: tuple[str, ...] = ()) -> Server:
    """`vlkg serve --store DIR` (endpoint /sparql)."""
    port = port or free_port()
    argv = [str(VENV_BIN / "vlkg"), "serve", "--store", str(store), "--host", "127.0.0.1",
            "--port", str(port), *extra]
    return start_process("vlkg", argv, f"http://127.0.0.1:{port}/sparql", "/sparql")

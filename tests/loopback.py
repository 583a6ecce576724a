"""A loopback listener for tests that must prove that no connection was made (SERVICE allow-list, sandbox)."""

from __future__ import annotations

import socket
import threading

MARKER = b"REMOTE-SECRET-7f3a"


class CountingListener:
    """A loopback HTTP listener that counts connections and answers with a body that must never leak."""

    def __init__(self, status: str = "500 Internal Server Error") -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self.status = status
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                conn.recv(65536)
                body = MARKER + b" internal admin page"
                conn.sendall(f"HTTP/1.1 {self.status}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
                             "Connection: close\r\n\r\n".encode() + body)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()

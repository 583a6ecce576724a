"""Framing between an HTTP worker and its query processes (one socketpair each, one request at a time).

A frame is 1 kind byte, a 4-byte big-endian length, then the payload. Kinds:
  Q  request (JSON), parent -> child
  C  complete answer: 4-byte header length, header JSON, body (small results, one write)
  H  header JSON of a streamed answer, followed by D (body chunks) and E (end)
  X  error before any output: JSON {"code", "message"}
  A  error after output started: JSON {"code", "message"} (the parent aborts the response)
  R  ready: the child's store is open and readable (sent once, after start-up)
  F  failed to start: JSON {"reason"} naming no path (then the child exits)
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEAD = struct.Struct(">cI")


def send(sock: socket.socket, kind: bytes, payload: bytes) -> None:
    """Write one frame (header and payload in one call for small payloads)."""
    if len(payload) < 65536:
        sock.sendall(_HEAD.pack(kind, len(payload)) + payload)
    else:
        sock.sendall(_HEAD.pack(kind, len(payload)))
        sock.sendall(payload)


def send_json(sock: socket.socket, kind: bytes, obj: Any) -> None:
    send(sock, kind, json.dumps(obj, ensure_ascii=False).encode())


def send_complete(sock: socket.socket, header: dict[str, Any], body: bytes) -> None:
    """One C frame: the whole answer, so the parent wakes up once."""
    head = json.dumps(header).encode()
    send(sock, b"C", struct.pack(">I", len(head)) + head + body)


def split_complete(payload: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack_from(">I", payload)
    return json.loads(payload[4 : 4 + n]), payload[4 + n :]


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError("peer closed the connection")
        got += k
    return bytes(buf)


def recv(sock: socket.socket) -> tuple[bytes, bytes]:
    """Read one frame; socket timeouts propagate as TimeoutError."""
    head = sock.recv(_HEAD.size)
    if len(head) < _HEAD.size:
        if not head:
            raise EOFError("peer closed the connection")
        head += _recv_exact(sock, _HEAD.size - len(head))
    kind, length = _HEAD.unpack(head)
    return kind, _recv_exact(sock, length) if length else b""

"""The query processes' network sandbox: SPARQL SERVICE reaches nothing unless the operator allows it.

pyoxigraph evaluates SERVICE by making real HTTP requests, and its parser accepts spellings that no
reading of the query text can foresee (`SERVICESILENT<http://…>`, escapes in prefixed names, …). So the
guard is the operating system: before it opens the store, each query process moves into a network
namespace of its own, which has no interface but a loopback that is down. Whatever the query says,
a connection fails at once (ENETUNREACH), and names do not resolve.

Allow-listed endpoints (`--service-allow`) are reached through one narrow path. Before isolating itself,
the query process forks a *connector* that stays in the host's network; inside the namespace, loopback
is brought up and each allowed host name is mapped (a private /etc/hosts in a private mount namespace)
to a loopback address where a relay listens on the endpoint's port. A relay connection asks the
connector for "endpoint number i" -- nothing else can be asked -- and the connector resolves the host,
refuses loopback, private, link-local and other special addresses unless the operator listed such an
address (or `localhost`) literally, connects, and passes the connected socket back (SCM_RIGHTS). The
relay then copies bytes both ways, so TLS runs end to end with the real host name. The allow-list grants
a host and port: the path of the listed IRI is checked by the friendly pre-check, not by the relay.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import ipaddress
import os
import socket
import struct
import sys
import tempfile
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_REC, MS_PRIVATE, MS_BIND = 0x4000, 0x40000, 0x1000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
SANDBOX_EXIT = 98  # exit status of a query process that could not isolate itself

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    """The process could not be isolated; it must not run queries."""


@dataclass(frozen=True)
class Endpoint:
    """One allow-listed endpoint as the relay needs it."""

    iri: str
    host: str
    port: int
    literal: bool  # the host is an IP address (or `localhost`) written by the operator

    @classmethod
    def parse(cls, iri: str) -> Endpoint:
        parts = urlsplit(iri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"service_allow: {iri!r} is not an http(s) endpoint IRI")
        host = parts.hostname.lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = host == "localhost"
        try:
            ipaddress.ip_address(host)
            literal = True
        except ValueError:
            pass
        return cls(iri, host, port, literal)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    """unshare(2): as root directly; otherwise inside a new user namespace (unprivileged)."""
    if _libc.unshare(flags) == 0:
        return
    first = ctypes.get_errno()
    if first != errno.EPERM:
        raise SandboxError(first, f"unshare: {os.strerror(first)}")
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(flags | CLONE_NEWUSER), "unshare (user namespace)")
    # Map ourselves to root inside the namespace, so that loopback can be brought up and /etc/hosts bound.
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def _private_hosts(mapping: dict[str, str]) -> None:
    """Bind a hosts file naming only the allowed hosts over /etc/hosts, in a private mount namespace."""
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    lines = ["127.0.0.1 localhost", *(f"{addr} {host}" for host, addr in mapping.items())]
    fd, path = tempfile.mkstemp(prefix="vlkg-hosts-")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    try:
        _check(_libc.mount(path.encode(), b"/etc/hosts", None, MS_BIND, None), "bind /etc/hosts")
    finally:
        os.unlink(path)  # the bind mount keeps the file alive for this namespace; nothing is left in /tmp


def allowed_address(endpoint: Endpoint, address: str) -> bool:
    """May the connector connect to `address` for this endpoint? Special ranges only if listed literally."""
    ip = ipaddress.ip_address(address)
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped  # type: ignore[union-attr]
    special = (ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_multicast or ip.is_reserved
               or ip.is_unspecified)
    return not special or endpoint.literal


def _connector(sock: socket.socket, endpoints: list[Endpoint]) -> None:
    """Runs in the host's network: connect to allowed endpoint number i, hand the socket back."""
    while True:
        data = sock.recv(4)
        if len(data) < 4:
            os._exit(0)
        (index,) = struct.unpack(">I", data)
        conn = None
        if index < len(endpoints):
            endpoint = endpoints[index]
            try:
                for family, kind, proto, _name, addr in socket.getaddrinfo(
                    endpoint.host, endpoint.port, type=socket.SOCK_STREAM
                ):
                    if not allowed_address(endpoint, addr[0]):
                        continue
                    candidate = socket.socket(family, kind, proto)
                    candidate.settimeout(10)
                    try:
                        candidate.connect(addr)
                        candidate.settimeout(None)  # the relay reads it as a blocking socket
                        conn = candidate
                        break
                    except OSError:
                        candidate.close()
            except OSError:
                conn = None
        if conn is None:
            sock.sendall(b"N")
        else:
            socket.send_fds(sock, [b"Y"], [conn.fileno()])
            conn.close()


class _Relay:
    """Inside the namespace: listeners for the allowed endpoints, each connection piped to the connector's."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.lock = threading.Lock()

    def outside(self, index: int) -> socket.socket | None:
        with self.lock:
            self.sock.sendall(struct.pack(">I", index))
            msg, fds, _flags, _addr = socket.recv_fds(self.sock, 1, 1)
        if msg != b"Y" or not fds:
            return None
        remote = socket.socket(fileno=fds[0])
        remote.setblocking(True)
        return remote

    def listen(self, address: str, port: int, index: int) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((address, port))
        server.listen(16)
        threading.Thread(target=self._serve, args=(server, index), daemon=True).start()

    def _serve(self, server: socket.socket, index: int) -> None:
        while True:
            inside, _ = server.accept()
            threading.Thread(target=self._pipe, args=(inside, index), daemon=True).start()

    def _pipe(self, inside: socket.socket, index: int) -> None:
        remote = self.outside(index)
        if remote is None:
            inside.close()
            return
        threading.Thread(target=_copy, args=(remote, inside), daemon=True).start()
        _copy(inside, remote)


def _copy(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass  # either side went away: close both
    finally:
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


def isolate_network(allow: list[str] | tuple[str, ...] = ()) -> None:
    """Cut this process off the network; keep a narrow path to `allow`ed endpoints. Raises SandboxError."""
    endpoints = [Endpoint.parse(iri) for iri in allow]
    if not endpoints:
        _unshare(CLONE_NEWNET)
        return
    # One relay target per (host, port); host names get their own loopback address inside the namespace.
    targets: dict[tuple[str, int], int] = {}
    for e in endpoints:
        targets.setdefault((e.host, e.port), len(targets))
    distinct = [next(e for e in endpoints if (e.host, e.port) == key) for key in targets]
    ours, theirs = socket.socketpair()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the connector: host network, knows only the allow-list
        ours.close()
        try:
            _connector(theirs, distinct)
        finally:
            os._exit(0)
    theirs.close()
    _unshare(CLONE_NEWNET | CLONE_NEWNS)
    mapping: dict[str, str] = {}
    addresses: dict[int, str] = {}
    for index, e in enumerate(distinct):
        if e.host == "localhost":
            addresses[index] = "127.0.0.1"
            continue
        try:
            ip = ipaddress.ip_address(e.host)
        except ValueError:
            mapping.setdefault(e.host, f"127.0.1.{len(mapping) + 1}")
            addresses[index] = mapping[e.host]
            continue
        if ip.version != 4 or not ip.is_loopback:
            raise SandboxError(errno.EINVAL, f"service_allow: {e.iri}: use a host name, not the address {ip}")
        addresses[index] = str(ip)
    _private_hosts(mapping)
    _loopback_up()
    relay = _Relay(ours)
    for index, e in enumerate(distinct):
        relay.listen(addresses[index], e.port, index)

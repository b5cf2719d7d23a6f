"""The test session never reaches the internet: every socket of the test process may
connect to loopback or a Unix socket only. A test that names a live source URL hands it
to a parser as a label; one that tried to fetch it fails here with the address it tried,
instead of depending on (or hammering) parl.ca from CI."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkAccessError(RuntimeError):
    """A test tried to open a connection that leaves this machine."""


def is_loopback(address: Any) -> bool:
    """AF_UNIX paths and loopback hosts (127.0.0.0/8, ::1, localhost) only."""
    if isinstance(address, (str, bytes)):
        return True  # a Unix socket path
    host = address[0]
    if isinstance(host, bytes):
        host = host.decode()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name other than localhost: it would need DNS and the network


def _guarded(connect: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(sock: socket.socket, address: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address):
            raise NetworkAccessError(
                f"tests must stay on loopback (serve the captured fixtures on 127.0.0.1): "
                f"connection to {address!r} refused"
            )
        return connect(sock, address)

    return guarded


@contextmanager
def loopback_only() -> Iterator[None]:
    original = socket.socket.connect, socket.socket.connect_ex
    socket.socket.connect = _guarded(original[0])  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(original[1])  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect, socket.socket.connect_ex = original  # type: ignore[method-assign]

"""The session's network guard: loopback and Unix sockets connect, anything else fails
with the address it tried, before a packet leaves the machine."""

from __future__ import annotations

import socket

import pytest

from tests.support.offline import NetworkAccessError, is_loopback


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (("127.0.0.1", 80), True),
        (("127.3.2.1", 80), True),
        (("::1", 80, 0, 0), True),
        (("localhost", 80), True),
        ("/tmp/pg/.s.PGSQL.5432", True),
        (("www.ourcommons.ca", 443), False),
        (("192.0.2.1", 443), False),
        (("2001:db8::1", 443, 0, 0), False),
    ],
)
def test_only_loopback_counts_as_local(address: object, expected: bool) -> None:
    assert is_loopback(address) is expected


def test_a_connection_off_the_machine_is_refused_with_its_address() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkAccessError, match=r"192\.0\.2\.1"):
            sock.connect(("192.0.2.1", 443))
        with pytest.raises(NetworkAccessError):
            sock.connect_ex(("192.0.2.1", 443))


def test_loopback_still_connects() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            peer, _ = server.accept()
            peer.close()
            assert client.getpeername() == server.getsockname()

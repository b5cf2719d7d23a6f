"""Who the client is when proxies stand in front: one setting for the app and for uvicorn.

`X-Forwarded-For` is a list every proxy appends to; its left part is whatever the client
wrote. Only proxies in `trusted_proxies` (networks such as `10.0.0.0/8`) are believed: when
the connection comes from one of them, the client is the right-most address in the header
that is not a trusted proxy. From anyone else the header is ignored and the peer is the
client. uvicorn's own proxy handling is configured from the same list (`uvicorn_options`),
so it never trusts a header the app would not (its default trusts 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """Networks from `10.0.0.0/8`, `192.0.2.7` or `::1`; a clear error names a bad one."""
    networks = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise ValueError(f"{text!r} is not an IP address or network ({exc})") from None
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddresses:
    """Resolve the client's address from the peer and `X-Forwarded-For`."""

    def __init__(self, trusted: Sequence[str]) -> None:
        self.values = tuple(value.strip() for value in trusted if value.strip())
        self.networks = parse_networks(self.values)
        self._trust: dict[str, bool] = {}

    def trusts(self, peer: str | None) -> bool:
        """Whether `peer` is one of the trusted proxies."""
        if peer is None or not self.networks:
            return False
        known = self._trust.get(peer)
        if known is None:
            address = _address(peer)
            known = address is not None and any(address in net for net in self.networks)
            if len(self._trust) > 10_000:
                self._trust.clear()
            self._trust[peer] = known
        return known

    def resolve(self, peer: str | None, forwarded_for: bytes | str | None) -> str:
        """The client's address (`unknown` when the server does not know its peer)."""
        if peer is None:
            return "unknown"
        if not forwarded_for or not self.trusts(peer):
            return peer
        text = (
            forwarded_for.decode("latin-1") if isinstance(forwarded_for, bytes) else forwarded_for
        )
        closest = peer
        for entry in reversed(text.split(",")):
            address = _address(entry)
            if address is None:  # not written by a proxy of ours: stop at the last good hop
                return closest
            shown = str(address)
            if not any(address in net for net in self.networks):
                return shown
            closest = shown
        return closest  # every hop is a trusted proxy: the left-most one is the client

    def uvicorn_options(self) -> dict[str, Any]:
        """`proxy_headers` / `forwarded_allow_ips` for uvicorn, from the same list."""
        if not self.values:
            return {"proxy_headers": False, "forwarded_allow_ips": ""}
        return {"proxy_headers": True, "forwarded_allow_ips": list(self.values)}

"""Who is on the other end: the peer's address, or the client a trusted proxy names.

Throttles and connection caps count per client address. `X-Forwarded-For` is anyone's to
write, so it is read only when the peer itself is a trusted proxy, and only as far back
as the proxies are trusted: walking from the right, the first address that is not one of
ours is the client (an attacker can prepend, never append). A proxy may add its own header
line rather than extend the client's, so every line counts, in order.

An IPv6 client is counted by its /64 network: one subscriber usually holds a whole /64,
and counting its 2^64 addresses apart would give it as many fresh throttles.
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # a peer the server could not name (a Unix socket, a test transport)
IPV6_CLIENT_PREFIX = 64


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IPv4 address written in IPv6 form (a dual-stack socket) is the IPv4 address."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return parsed.ipv4_mapped
    return parsed


def _counted_as(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return str(ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False))


@dataclass(frozen=True, slots=True)
class ClientAddresses:
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def trusting(cls, proxies: Sequence[str]) -> "ClientAddresses":
        return cls(tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies))

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self.trusted_proxies)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address as a normalised string (an IPv6 client's /64)."""
        current = _parse(peer) if peer else None
        if current is None:
            return peer or UNKNOWN
        if forwarded_for and self._trusted(current):
            for hop in reversed(forwarded_for.split(",")):
                address = _parse(hop)
                if address is None:  # garbage written by whoever is beyond our proxies
                    break
                current = address
                if not self._trusted(address):
                    break
        return _counted_as(current)

    def of(self, connection: HTTPConnection) -> str:
        """For an HTTP request or a WebSocket alike."""
        peer = connection.client.host if connection.client else None
        return self.resolve(peer, ", ".join(connection.headers.getlist("x-forwarded-for")))

"""Who is on the other end: the peer's address, or the client a trusted proxy names.

Throttles and connection caps count per client address. `X-Forwarded-For` is anyone's to
write, so it is read only when the peer itself is a trusted proxy, and only as far back
as the proxies are trusted: walking from the right, the first address that is not one of
ours is the client (an attacker can prepend, never append).
"""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # a peer the server could not name (a Unix socket, a test transport)


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class ClientAddresses:
    trusted_proxies: tuple[Network, ...] = ()

    @classmethod
    def trusting(cls, proxies: Sequence[str]) -> "ClientAddresses":
        return cls(tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies))

    def _trusted(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self.trusted_proxies)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client's address as a normalised string."""
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
        return str(current)

    def of(self, connection: HTTPConnection) -> str:
        """For an HTTP request or a WebSocket alike."""
        peer = connection.client.host if connection.client else None
        return self.resolve(peer, connection.headers.get("x-forwarded-for"))

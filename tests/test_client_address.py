"""The client address that throttles and connection caps count."""

import pytest
from starlette.requests import Request

from shopgraph.server.client_address import UNKNOWN, ClientAddresses
from shopgraph.settings import Settings

PROXIES = ClientAddresses.trusting(["10.0.0.0/8", "::1"])


def test_without_trusted_proxies_forwarded_for_is_ignored():
    assert ClientAddresses().resolve("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_an_untrusted_peer_cannot_claim_another_address():
    assert PROXIES.resolve("203.0.113.9", "10.1.1.1, 198.51.100.1") == "203.0.113.9"


def test_a_trusted_proxy_names_the_client():
    assert PROXIES.resolve("10.0.0.2", "198.51.100.7") == "198.51.100.7"


def test_a_spoofed_prefix_is_skipped_from_the_right():
    # The client wrote "1.2.3.4" itself; our two proxies appended the real hops.
    assert PROXIES.resolve("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3") == "198.51.100.7"


def test_garbage_beyond_the_proxies_stops_the_walk():
    assert PROXIES.resolve("10.0.0.2", "not-an-ip, 10.0.0.5") == "10.0.0.5"


def test_an_ipv6_client_is_counted_by_its_64_network():
    one = ClientAddresses().resolve("2001:DB8::0001", None)
    assert one == "2001:db8::/64"
    assert ClientAddresses().resolve("2001:db8::ffff:1234:5678:9abc", None) == one
    assert ClientAddresses().resolve("2001:db8:0:1::1", None) != one


def test_an_ipv4_client_on_a_dual_stack_socket_is_its_ipv4_address():
    assert ClientAddresses().resolve("::ffff:203.0.113.9", None) == "203.0.113.9"
    assert PROXIES.resolve("::ffff:10.0.0.2", "198.51.100.7") == "198.51.100.7"


def test_every_forwarded_for_line_counts_not_just_the_one_the_client_wrote():
    """A proxy that adds its own header line must not leave the client's line in charge."""
    request = Request(
        {
            "type": "http",
            "client": ("10.0.0.2", 4242),
            "headers": [
                (b"x-forwarded-for", b"6.6.6.6"),
                (b"x-forwarded-for", b"203.0.113.9"),
            ],
        }
    )
    assert PROXIES.of(request) == "203.0.113.9"


def test_an_unnamed_peer_is_unknown():
    assert ClientAddresses().resolve(None, "198.51.100.1") == UNKNOWN


def test_a_bad_trusted_proxy_setting_fails_at_start_up():
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        Settings(trusted_proxies="10.0.0.0/8, localhost")

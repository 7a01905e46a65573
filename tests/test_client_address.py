"""The client address that throttles and connection caps count."""

import pytest

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


def test_addresses_are_normalised():
    assert ClientAddresses().resolve("2001:DB8::0001", None) == "2001:db8::1"


def test_an_unnamed_peer_is_unknown():
    assert ClientAddresses().resolve(None, "198.51.100.1") == UNKNOWN


def test_a_bad_trusted_proxy_setting_fails_at_start_up():
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        Settings(trusted_proxies="10.0.0.0/8, localhost")

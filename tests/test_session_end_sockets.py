"""A WebSocket closes with 4403 when its session ends, whichever server process ended it:
every process looks for ended sessions once a second with one query, however many
sockets it holds."""

import asyncio
import time
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from websockets.exceptions import ConnectionClosed

from shopgraph.clock import now_ms
from shopgraph.datasources.client import Datasources
from shopgraph.server.session_watch import (
    OVERLAP_MS,
    SessionSockets,
    SessionWatch,
    WatchedSocket,
)
from tests.conftest import CommandLog, live_server, log_in
from tests.helpers import LEGACY_WS, TRANSPORT_WS, claims_of, logout
from tests.live_stock_harness import Subscriber, add_product, bump, go_live
from tests.test_change_password import change_password

# One look's wait, its query, and slack for a machine shared with other work.
CLOSE_WITHIN = 10.0


async def closed(subscriber: Subscriber, within: float = CLOSE_WITHIN) -> float:
    """Waits for the server to close the socket; returns how long that took."""
    started = time.monotonic()
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(within):
            while True:
                await subscriber.message(within)
    return time.monotonic() - started


class LiveStock:
    """One product, and sockets subscribed to its stock."""

    def __init__(self, db: Any, url: str) -> None:
        self.db, self.url = db, url
        self.sockets: list[Subscriber] = []

    async def __aenter__(self) -> "LiveStock":
        self.product_id, self.product = await add_product(self.db, stock=100)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.gather(*(socket.close() for socket in self.sockets))

    async def subscribed(self, token: str, protocol: str = TRANSPORT_WS) -> Subscriber:
        socket = await Subscriber.open(self.url, token=token, protocol=protocol)
        self.sockets.append(socket)
        await socket.subscribe(f"stock-{len(self.sockets)}", [self.product])
        return socket

    async def go_live(self) -> None:
        """Every socket's subscription delivers updates."""
        await go_live(self.sockets, self.product, lambda: bump(self.db, self.product_id))

    async def assert_serves(self, socket: Subscriber) -> None:
        stock = await bump(self.db, self.product_id)
        await socket.until_stock(self.product, stock, 5)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_logout_closes_the_sessions_socket_with_4403(
    db, make_settings, client, customer, protocol
):
    other = await log_in(client, customer.email, customer.password)
    async with live_server(make_settings()) as (_, url), LiveStock(db, url) as live:
        ending = await live.subscribed(customer.access_token, protocol)
        staying = await live.subscribed(other["accessToken"], protocol)
        await live.go_live()

        # Through another app, as another server process would.
        assert (await logout(client, customer.refresh_token))["ok"]

        waited = await closed(ending)
        assert ending.ws.close_code == 4403
        assert ending.ws.close_reason == "Session ended"
        print(f"\nclosed {waited:.2f} s after the logout answered")
        await live.assert_serves(staying)


async def test_change_password_closes_other_sessions_sockets_and_keeps_the_callers(
    db, make_settings, client, customer
):
    other = await log_in(client, customer.email, customer.password)
    async with live_server(make_settings()) as (_, url), LiveStock(db, url) as live:
        callers = await live.subscribed(customer.access_token)
        others = await live.subscribed(other["accessToken"])
        await live.go_live()

        payload = await change_password(
            client, customer.access_token, customer.password, "brand new password"
        )
        assert payload["userErrors"] == []

        await closed(others)
        assert others.ws.close_code == 4403
        await live.assert_serves(callers)


async def test_a_socket_cannot_open_with_a_token_of_an_ended_session(
    make_settings, client, customer
):
    await logout(client, customer.refresh_token)
    async with live_server(make_settings()) as (_, url):
        with pytest.raises(ConnectionClosed) as refused:
            await Subscriber.open(url, token=customer.access_token)
        assert refused.value.rcvd is not None
        assert refused.value.rcvd.code == 4403


# --- the watch ------------------------------------------------------------------------


class Closed:
    def __init__(self) -> None:
        self.sockets: list[str] = []

    def closer(self, name: str) -> Any:
        async def close() -> None:
            self.sockets.append(name)

        return close


async def test_one_look_costs_one_query_however_many_sockets_are_open(
    mongodb_target, client, customer, other_customer
):
    uri, name = mongodb_target
    log = CommandLog()
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(uri, tz_aware=True, event_listeners=[log])
    try:
        sockets, closes = SessionSockets(), Closed()
        watch = SessionWatch(Datasources.for_database(mongo[name]).users, sockets)
        await watch.look()
        assert log.named("find", "users") == []  # nobody to close: no query at all

        ending, staying = claims_of(customer.access_token), claims_of(other_customer.access_token)
        for n in range(200):
            who, claims = (customer, ending) if n % 2 else (other_customer, staying)
            sockets.add(
                WatchedSocket(
                    who.id, claims["sid"], round(claims["auth_time"] * 1000), closes.closer(str(n))
                )
            )
        await logout(client, customer.refresh_token)
        log.clear()

        await watch.look()
        await watch.look()

        finds = log.named("find", "users")
        assert len(finds) == 2
        assert {int(n) % 2 for n in closes.sockets} == {1}
        assert len(closes.sockets) == 100  # each closed once, though both looks saw the end
        assert len(sockets) == 100
    finally:
        await mongo.close()


async def test_a_look_reaches_back_past_the_last_one(db, customer):
    """An end stamped a moment before the previous look (another process's clock, or a
    write that landed late) is still seen."""
    users = Datasources.for_database(db).users
    sockets, closes = SessionSockets(), Closed()
    claims = claims_of(customer.access_token)
    sockets.add(
        WatchedSocket(
            customer.id, claims["sid"], round(claims["auth_time"] * 1000), closes.closer("s")
        )
    )
    watch = SessionWatch(users, sockets)
    await watch.look()

    # Stamped as by a process whose clock is behind this one's by most of the overlap.
    await users.end_session(customer.id, claims["sid"], now_ms() + 60_000)
    await db.users.update_one(
        {"_id": customer.id}, {"$set": {"sessionsChangedMs": now_ms() - OVERLAP_MS + 500}}
    )
    await watch.look()

    assert closes.sockets == ["s"]

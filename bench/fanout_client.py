"""A light `graphql-transport-ws` client for thousands of sockets in one process.

Run by bench/fanout.py as `python -m bench.fanout_client`: it opens the sockets (each
`connection_init`, then its subscriptions), makes every subscription live, reports
`idle` on stdout and waits for a line on stdin (the bench reads the server's memory
meanwhile), then writes stock changes through MongoDB and measures, per subscription,
the time from the write acknowledged by MongoDB to the `next` message's arrival. It
prints one JSON object per line.

Each socket is a bare asyncio protocol (no per-socket task): an upgrade request, masked
client frames, pongs for pings. With `--deflate` it offers permessage-deflate as
browsers do and inflates what the server compresses.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
import zlib
from collections.abc import Callable
from typing import cast

import uvloop
from bson import ObjectId
from pymongo import AsyncMongoClient

from shopgraph.schema.products import product_global_id

SUBSCRIPTION = (
    "subscription Live($ids: [ID!]) { stockUpdated(productIds: $ids) "
    "{ productId variantId stock inStock productStock updatedAt "
    "product { id name price { amount currency } stock inStock } } }"
)
OPENING_AT_ONCE = 100
LIVE_ROUNDS = 40
QUIET_SECONDS = 0.5


def client_frame(data: str | bytes, opcode: int = 1) -> bytes:
    """A masked frame (RFC 6455 requires clients to mask); the zero mask leaves the bytes."""
    payload = data.encode() if isinstance(data, str) else data
    size = len(payload)
    if size < 126:
        header = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        header = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + size.to_bytes(8, "big")
    return header + b"\x00\x00\x00\x00" + payload


class Socket(asyncio.Protocol):
    def __init__(self, host: str, port: int, deflate: bool, on_next: Callable[[], None]) -> None:
        self.host, self.port, self.deflate = host, port, deflate
        self.on_next = on_next
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.inflater: zlib._Decompress | None = None
        self.acknowledged = asyncio.get_running_loop().create_future()
        self.received = 0  # `next` messages
        self.last_at = 0.0
        self.closed_with: int | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is no subclass
        offer = (
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            if self.deflate
            else ""
        )
        self.transport.write(
            (
                f"GET /graphql HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                f"Sec-WebSocket-Protocol: graphql-transport-ws\r\n{offer}\r\n"
            ).encode()
        )

    def send(self, message: dict[str, object]) -> None:
        assert self.transport is not None
        self.transport.write(client_frame(json.dumps(message)))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            if " 101 " not in head.split("\r\n", 1)[0]:
                self._fail(f"handshake refused: {head.splitlines()[0]}")
                return
            self.upgraded = True
            if "permessage-deflate" in head.lower():
                self.inflater = zlib.decompressobj(-15)
            self.send({"type": "connection_init", "payload": {}})
        while self._frame(now):
            pass

    def _frame(self, now: float) -> bool:
        buffer = self.buffer
        if len(buffer) < 2:
            return False
        first, size = buffer[0], buffer[1] & 0x7F
        start = 2
        if size == 126:
            if len(buffer) < 4:
                return False
            size, start = int.from_bytes(buffer[2:4], "big"), 4
        elif size == 127:
            if len(buffer) < 10:
                return False
            size, start = int.from_bytes(buffer[2:10], "big"), 10
        if len(buffer) < start + size:
            return False
        payload = bytes(buffer[start : start + size])
        del buffer[: start + size]
        opcode = first & 0x0F
        if first & 0x40 and self.inflater is not None:
            payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
        if opcode == 9:  # ping
            assert self.transport is not None
            self.transport.write(client_frame(payload, opcode=10))
        elif opcode == 8:
            self.closed_with = int.from_bytes(payload[:2], "big") if payload else 1005
            self._fail(f"closed {self.closed_with}: {payload[2:].decode(errors='replace')}")
        elif opcode == 1:
            self._message(payload, now)
        return True

    def _message(self, payload: bytes, now: float) -> None:
        if b'"next"' in payload:
            self.received += 1
            self.last_at = now
            self.on_next()
        elif b'"connection_ack"' in payload:
            if not self.acknowledged.done():
                self.acknowledged.set_result(None)
        elif b'"ping"' in payload:
            self.send({"type": "pong"})
        elif b'"error"' in payload or b'"complete"' in payload:
            self._fail(payload.decode(errors="replace")[:300])

    def _fail(self, reason: str) -> None:
        if not self.acknowledged.done():
            self.acknowledged.set_exception(ConnectionError(reason))
        else:
            print(json.dumps({"problem": reason}), flush=True)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.acknowledged.done():
            self.acknowledged.set_exception(ConnectionError(f"connection lost: {exc}"))


class Crowd:
    """Every socket, and a way to wait until each has seen `expected` messages."""

    def __init__(self, host: str, port: int, deflate: bool) -> None:
        self.host, self.port, self.deflate = host, port, deflate
        self.sockets: list[Socket] = []
        self.changed = asyncio.Event()

    def _seen(self) -> None:
        self.changed.set()

    async def open(self, count: int, subscriptions: int, variables: dict[str, object]) -> None:
        loop = asyncio.get_running_loop()

        async def one() -> None:
            _, socket = await loop.create_connection(
                lambda: Socket(self.host, self.port, self.deflate, self._seen),
                self.host,
                self.port,
            )
            await asyncio.wait_for(socket.acknowledged, 30)
            for number in range(subscriptions):
                payload = {"query": SUBSCRIPTION, "variables": variables}
                socket.send({"id": str(number + 1), "type": "subscribe", "payload": payload})
            self.sockets.append(socket)

        for first in range(0, count, OPENING_AT_ONCE):
            await asyncio.gather(*(one() for _ in range(min(OPENING_AT_ONCE, count - first))))

    async def until_each(self, expected: int, within: float) -> bool:
        deadline = time.monotonic() + within
        while any(socket.received < expected for socket in self.sockets):
            self.changed.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(left, 0.05))
        return True

    async def until_quiet(self) -> None:
        while True:
            total = sum(socket.received for socket in self.sockets)
            await asyncio.sleep(QUIET_SECONDS)
            if sum(socket.received for socket in self.sockets) == total:
                return

    def reset(self) -> None:
        for socket in self.sockets:
            socket.received = 0


async def run(arguments: argparse.Namespace) -> None:
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(arguments.mongodb)
    products = mongo[arguments.db].products
    product_id = ObjectId(arguments.product)  # one variant: `stock` is its stock
    crowd = Crowd("127.0.0.1", arguments.port, arguments.deflate)
    variables = {"ids": [product_global_id(product_id)]}
    started = time.monotonic()
    await crowd.open(arguments.sockets, arguments.subscriptions, variables)
    opened_in = time.monotonic() - started
    print(json.dumps({"state": "idle", "opened_in": opened_in}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)

    async def change() -> float:
        await products.update_one({"_id": product_id}, {"$inc": {"stock": 1}})
        return time.monotonic()  # acknowledged by MongoDB

    for _ in range(LIVE_ROUNDS):  # the protocol does not say when a subscription is active
        await change()
        if await crowd.until_each(1, 2.0):
            break
    await crowd.until_quiet()
    latencies: list[float] = []
    missing = 0
    for _ in range(arguments.rounds):
        crowd.reset()
        acknowledged = await change()
        await crowd.until_each(arguments.subscriptions, 30.0)
        for socket in crowd.sockets:
            if socket.received < arguments.subscriptions:
                missing += arguments.subscriptions - socket.received
            elif socket.received:
                latencies.append(socket.last_at - acknowledged)
        await crowd.until_quiet()
    print(json.dumps({"latencies": latencies, "missing": missing}), flush=True)
    await mongo.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mongodb", required=True)
    parser.add_argument("--db", default="shopgraph")
    parser.add_argument("--product", required=True)
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deflate", action="store_true")
    uvloop.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

"""Hostile or malformed WebSocket messages get a close code or an error message, never a
crashed handler: Strawberry's handlers index into messages as if they were well formed.

Over `graphql-transport-ws` an unusable message closes the socket with 4400, as the
protocol says; the legacy `graphql-ws` protocol gets the same code. A message that is
not JSON at all is ignored by the legacy protocol, which says nothing about it.
"""

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from shopgraph.server.app import create_app
from tests.conftest import live_server
from tests.helpers import LEGACY_WS, TRANSPORT_WS, TestClient, WebSocketTestSession
from tests.helpers import subscribe_message as subscribe

SUBSCRIPTION = "subscription { stockUpdated { stock } }"
# Far deeper than orjson's 1024 levels, yet within the message size limit (100,000 bytes).
DEEP_ARRAY = "[" * 100_000
DEEP_OBJECT = '{"a":' * 10_000 + "1" + "}" * 10_000


@pytest.fixture
def app_client(make_settings) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings())) as client:
        yield client


def opened(client: TestClient, protocol: str) -> WebSocketTestSession:
    return client.websocket_connect("/graphql", subprotocols=[protocol])


def initialised(ws: WebSocketTestSession) -> None:
    ws.send_json({"type": "connection_init"})
    assert ws.receive_json() == {"type": "connection_ack"}


def closed_with(ws: WebSocketTestSession) -> tuple[int, str]:
    """Reads until the server closes; keep-alives are skipped, anything else fails."""
    with pytest.raises(WebSocketDisconnect) as closed:
        while True:
            message = ws.receive_json()
            assert message["type"] == "ka", message
    return closed.value.code, closed.value.reason


def first_reply(client: TestClient, protocol: str, query: str) -> dict[str, Any]:
    """Subscribes with `query` on a new socket; the first message that is not a keep-alive."""
    with opened(client, protocol) as ws:
        initialised(ws)
        ws.send_json(subscribe("1", {"query": query}, protocol))
        message = ws.receive_json()
        while message["type"] == "ka":
            message = ws.receive_json()
    return message


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


UNUSABLE_TEXTS = {
    "array": "[]",
    "null": "null",
    "number": "1",
    "string": '"x"',
    "type-not-a-string": '{"type": 5}',
    "no-type": '{"id": "1"}',
}

UNUSABLE_OPERATIONS: dict[str, tuple[Any, Any]] = {
    "payload-null": ("1", None),
    "payload-string": ("1", "x"),
    "query-missing": ("1", {}),
    "query-a-number": ("1", {"query": 1}),
    "variables-a-string": ("1", {"query": SUBSCRIPTION, "variables": "x"}),
    "variables-a-list": ("1", {"query": SUBSCRIPTION, "variables": [1]}),
    "operation-name-a-number": ("1", {"query": SUBSCRIPTION, "operationName": 5}),
    "extensions-a-string": ("1", {"query": SUBSCRIPTION, "extensions": "x"}),
    "id-a-list": (["a"], {"query": SUBSCRIPTION}),
    "id-an-object": ({}, {"query": SUBSCRIPTION}),
    "id-missing": (None, {"query": SUBSCRIPTION}),
}


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("text", UNUSABLE_TEXTS.values(), ids=UNUSABLE_TEXTS.keys())
@pytest.mark.parametrize("after_init", [False, True], ids=["before-init", "after-init"])
def test_a_message_that_is_not_a_typed_object_closes_with_4400(
    app_client, caplog, protocol, text, after_init
):
    with opened(app_client, protocol) as ws:
        if after_init:
            initialised(ws)
        ws.send_text(text)
        code, reason = closed_with(ws)

    assert code == 4400
    assert reason == "A message must be a JSON object with a string `type`."
    assert server_errors(caplog) == []


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize(
    ("op_id", "payload"), UNUSABLE_OPERATIONS.values(), ids=UNUSABLE_OPERATIONS.keys()
)
def test_an_unusable_subscribe_closes_with_4400_and_a_reason(
    app_client, caplog, protocol, op_id, payload
):
    with opened(app_client, protocol) as ws:
        initialised(ws)
        message = subscribe(op_id, payload, protocol)
        if op_id is None:
            del message["id"]
        ws.send_json(message)
        code, reason = closed_with(ws)

    assert code == 4400
    assert reason.startswith(("A `subscribe`", "A `start`", "`payload."))
    assert server_errors(caplog) == []


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
def test_stopping_an_operation_needs_a_string_id(app_client, caplog, protocol):
    kind = "complete" if protocol == TRANSPORT_WS else "stop"
    with opened(app_client, protocol) as ws:
        initialised(ws)
        ws.send_json({"type": kind, "id": ["a"]})
        code, reason = closed_with(ws)

    assert (code, reason) == (4400, f"A `{kind}` message needs a string `id`.")
    assert server_errors(caplog) == []


@pytest.mark.parametrize("text", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
def test_deeply_nested_json_closes_with_4400(app_client, caplog, text):
    with opened(app_client, TRANSPORT_WS) as ws:
        initialised(ws)
        ws.send_text(text)
        code, _ = closed_with(ws)

    assert code == 4400
    assert server_errors(caplog) == []


@pytest.mark.parametrize(
    "text", [DEEP_ARRAY, DEEP_OBJECT, "not json"], ids=["array", "object", "text"]
)
def test_the_legacy_protocol_ignores_text_that_is_not_json_and_goes_on(app_client, caplog, text):
    with opened(app_client, LEGACY_WS) as ws:
        initialised(ws)
        ws.send_text(text)
        # Still listening: a second connection_init is refused as such.
        ws.send_json({"type": "connection_init"})
        code, _ = closed_with(ws)

    assert code == 4429
    assert server_errors(caplog) == []


def test_a_syntax_error_closes_a_graphql_transport_ws_socket_with_4400(app_client, caplog):
    """The protocol's rule for a subscribe whose document does not parse."""
    with opened(app_client, TRANSPORT_WS) as ws:
        initialised(ws)
        ws.send_json(subscribe("1", {"query": "subscription {"}, TRANSPORT_WS))
        code, reason = closed_with(ws)

    assert code == 4400
    assert reason.startswith("Syntax Error: Expected Name")
    assert server_errors(caplog) == []


def test_a_syntax_error_is_an_error_message_on_the_legacy_protocol(app_client, caplog):
    message = first_reply(app_client, LEGACY_WS, "subscription {")

    assert (message["id"], message["type"]) == ("1", "error"), message
    assert "Syntax Error" in json.dumps(message["payload"])
    assert server_errors(caplog) == []


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
def test_an_undefined_fragment_is_an_error_message(app_client, caplog, protocol):
    message = first_reply(app_client, protocol, "subscription { ...Nope }")

    assert (message["id"], message["type"]) == ("1", "error"), message
    if protocol == TRANSPORT_WS:  # every validation error; the legacy protocol sends one
        assert "Unknown fragment 'Nope'." in json.dumps(message["payload"])
    assert server_errors(caplog) == []


def test_a_null_connection_init_payload_is_acknowledged(app_client, caplog):
    """graphql-transport-ws allows `payload: null`: an anonymous connection."""
    with opened(app_client, TRANSPORT_WS) as ws:
        ws.send_json({"type": "connection_init", "payload": None})
        assert ws.receive_json() == {"type": "connection_ack"}
    assert server_errors(caplog) == []


# --- over a real server: close frames must fit RFC 6455's 125 bytes -------------------------

LONG = "x" * 300


@pytest.mark.parametrize(
    ("message", "reason_starts"),
    [
        ({"type": LONG}, "Unknown message type: xxx"),
        (
            {"type": "subscribe", "id": "1", "payload": {"query": f'subscription {{ "{LONG}" }}'}},
            "Syntax Error",
        ),
        (
            {
                "type": "subscribe",
                "id": "1",
                "payload": {
                    "query": "subscription S { stockUpdated { stock } }",
                    "operationName": LONG,
                },
            },
            "Unknown operation named",
        ),
    ],
    ids=["unknown-type", "syntax-error", "unknown-operation"],
)
async def test_a_close_reason_quoting_client_text_is_cut_to_fit_the_frame(
    make_settings, caplog, message, reason_starts
):
    async with live_server(make_settings()) as (_, url):
        async with connect(url, subprotocols=[TRANSPORT_WS], open_timeout=5) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
            await ws.send(json.dumps(message))
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 4400
        assert ws.close_reason.startswith(reason_starts)
        assert ws.close_reason.endswith("...")
        assert len(ws.close_reason.encode()) <= 123

    assert server_errors(caplog) == []

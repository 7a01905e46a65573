"""Authentication over WebSocket: a good, missing or bad token in `connection_init`."""

import time
from typing import Any

import pytest
from bson import ObjectId
from starlette.websockets import WebSocketDisconnect

from shopgraph.server.app import create_app
from tests.conftest import graphql, without_cost
from tests.helpers import ME, PASSWORD, REGISTER, TestClient, bearer, claims_for, sign
from tests.helpers import TRANSPORT_WS as WS_PROTOCOL


def ws_register(tc: TestClient, email: str) -> str:
    response = tc.post(
        "/graphql",
        json={
            "query": REGISTER,
            "variables": {"input": {"email": email, "password": PASSWORD, "name": "Ws"}},
        },
    )
    payload = response.json()["data"]["register"]
    assert payload["userErrors"] == [], payload
    return payload["accessToken"]


def ws_me(ws: Any) -> Any:
    ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": ME}})
    return ws.receive_json()


def test_websocket_with_a_valid_token_is_acknowledged_as_that_user(make_settings):
    with TestClient(create_app(make_settings())) as tc:
        token = ws_register(tc, "socket@shop.test")
        with tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            assert ws.receive_json() == {"type": "connection_ack"}

            message = ws_me(ws)
            assert message["type"] == "next", message
            assert message["payload"]["data"]["me"]["email"] == "socket@shop.test"


def test_websocket_without_a_token_is_acknowledged_as_anonymous(make_settings):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json() == {"type": "connection_ack"}

        message = ws_me(ws)
        assert message["type"] == "next", message
        assert without_cost(message["payload"]) == {"data": {"me": None}}


def test_websocket_without_a_payload_is_acknowledged(make_settings):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}


def token_expired_seconds_ago(seconds: int, user_id: ObjectId) -> str:
    """Signed with the app's secret, and still within the decoder's 30 s leeway."""
    now = int(time.time())
    return sign(claims_for(user_id, sid="s", jti="j", iat=now - 15 * 60, exp=now - seconds))


async def test_a_token_in_its_leeway_still_works_over_http(client, customer):
    """The leeway absorbs clock skew for one request; a socket would outlive it."""
    token = token_expired_seconds_ago(10, customer.id)
    body = await graphql(client, "{ me { email } }", headers=bearer(token))
    assert body == {"data": {"me": {"email": customer.email}}}


def test_a_websocket_refuses_a_token_that_has_expired_even_within_the_leeway(
    make_settings, customer
):
    token = token_expired_seconds_ago(10, customer.id)
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_legacy_websocket_refuses_a_second_connection_init(make_settings, customer):
    """A second `connection_init` could swap the socket's token; the protocol allows one."""
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws,
    ):
        authorization = {"authorization": f"Bearer {customer.access_token}"}
        ws.send_json({"type": "connection_init", "payload": authorization})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"type": "connection_init", "payload": {}})
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                assert ws.receive_json()["type"] == "ka"
        assert closed.value.code == 4429


def forged_token() -> str:
    now = int(time.time())
    return sign(
        claims_for(ObjectId(), role="ADMIN", sid="s", jti="j", iat=now, exp=now + 5 * 60),
        "another-secret-that-is-also-long-enough-0123456789",
    )


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"authorization": "Bearer not-a-token"}, id="garbage"),
        pytest.param({"authorization": f"Bearer {forged_token()}"}, id="forged"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="capitalised-key"),
        pytest.param({"authorization": "Basic dXNlcjpwYXNz"}, id="basic"),
        pytest.param({"authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"authorization": 123}, id="not-a-string"),
    ],
)
def test_websocket_with_a_bad_token_is_closed_with_4403(make_settings, payload):
    with (
        TestClient(create_app(make_settings())) as tc,
        tc.websocket_connect("/graphql", subprotocols=[WS_PROTOCOL]) as ws,
    ):
        ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403

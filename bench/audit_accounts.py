"""Attacks on accounts: the CLI promoting a stranger (3), password spraying and lockout
(5), a token outliving its session (6), and what registration and recovery reveal (7)."""

import asyncio
import time
from typing import Any

from bench.audit_http import LOGIN, REGISTER, Answer
from bench.audit_report import Row, tally
from bench.audit_shop import PASSWORD, Shop
from bench.audit_sockets import next_event, open_socket

ADMIN_PASSWORD = "audit admin password 2"
REFRESH = """mutation Refresh($token: String!) {
  refreshToken(refreshToken: $token) { accessToken userErrors { code } }
}"""
LOGOUT = (
    "mutation Logout($token: String!) { logout(refreshToken: $token) { ok userErrors { code } } }"
)
ME = "{ me { id email } }"
REQUEST_RESET = """mutation Reset($email: String!) {
  requestPasswordReset(email: $email) { ok userErrors { code } }
}"""
WRONG_PASSWORDS = 6
SPRAYED_EMAILS = 30
CONCURRENT_LOGINS = 16
SOCKET_CLOSE_WAIT = 5.0


def login_outcome(answer: Answer) -> str:
    payload = answer.payload("login") or {}
    if payload.get("accessToken"):
        return "ok"
    codes = answer.user_error_codes("login")
    return codes[0] if codes else (answer.error_codes or [f"HTTP {answer.status}"])[0]


async def _login(shop: Shop, email: str, password: str, client_ip: str) -> Answer:
    return await shop.api.gql(LOGIN, {"email": email, "password": password}, client_ip=client_ip)


# --- 3: create-admin on a customer's email ------------------------------------------------


async def create_admin_takeover(shop: Shop) -> list[Row]:
    customer = await shop.customer("first-registrant")
    result = shop.server.cli(
        "create-admin", "--email", customer.email, SHOPGRAPH_ADMIN_PASSWORD=ADMIN_PASSWORD
    )
    outcome = await _promotion(shop, customer.email, result.returncode, result.output)
    rows = [Row("3", "create-admin --email <a customer's>", outcome, result.ms)]
    help_text = shop.server.cli("create-admin", "--help").output
    if "--promote" in help_text:
        promoted = shop.server.cli(
            "create-admin",
            "--email",
            customer.email,
            "--promote",
            SHOPGRAPH_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        outcome = await _promotion(shop, customer.email, promoted.returncode, promoted.output)
        refresh = await shop.api.gql(REFRESH, {"token": customer.refresh_token})
        outcome += f"; their refresh token afterwards: {refresh.describe('refreshToken')}"
        rows.append(Row("3", "...with --promote", outcome, promoted.ms))
    else:
        rows.append(Row("3", "...with --promote", "not available (no --promote flag)"))
    return rows


async def _promotion(shop: Shop, email: str, returncode: int, output: str) -> str:
    said = " / ".join(line.strip() for line in output.splitlines() if line.strip())
    said = said[:200] if said else "(nothing)"
    user = await shop.db.users.find_one({"email": email}) or {}
    own = login_outcome(await _login(shop, email, PASSWORD, shop.setup_address()))
    given = login_outcome(await _login(shop, email, ADMIN_PASSWORD, shop.setup_address()))
    return (
        f"exit {returncode}: {said!r}; role now {user.get('role')}; login with the customer's "
        f"password: {own}, with SHOPGRAPH_ADMIN_PASSWORD: {given}"
    )


# --- 5: lockout and spraying --------------------------------------------------------------


async def lockout(shop: Shop) -> list[Row]:
    owner = await shop.customer("sprayed-owner")
    start = time.perf_counter()
    codes = [
        login_outcome(await _login(shop, owner.email, f"wrong password {n}", "203.0.113.50"))
        for n in range(WRONG_PASSWORDS)
    ]
    ms = (time.perf_counter() - start) * 1000
    mine = await _login(shop, owner.email, PASSWORD, "198.51.100.50")
    return [
        Row("5", f"{WRONG_PASSWORDS} wrong passwords for one account", tally(codes), ms),
        Row("5", "...then its owner, from another address", login_outcome(mine), mine.ms),
    ]


async def spraying(shop: Shop) -> list[Row]:
    start = time.perf_counter()
    codes = [
        login_outcome(await _login(shop, f"sprayed-{n}@audit.test", "Summer2024!", "203.0.113.51"))
        for n in range(SPRAYED_EMAILS)
    ]
    ms = (time.perf_counter() - start) * 1000
    return [Row("5", f"one address, one password, {SPRAYED_EMAILS} emails", tally(codes), ms)]


async def aliased_logins(shop: Shop) -> list[Row]:
    fields = " ".join(
        f'a{n}: login(email: "aliased-{n}@audit.test", password: "wrong password {n}") '
        "{ accessToken userErrors { code } }"
        for n in range(3)
    )
    answer = await shop.api.gql(f"mutation {{ {fields} }}", client_ip="203.0.113.52")
    data: dict[str, Any] = (answer.body or {}).get("data") or {}
    outcome = answer.describe()
    if data:
        outcome = f"{len(data)} logins ran: " + tally(
            (value or {}).get("userErrors", [{}])[0].get("code", "ok") if value else "null"
            for value in data.values()
        )
    return [Row("5", "3 aliased logins in one document", outcome, answer.ms)]


async def hashing_queue(shop: Shop) -> list[Row]:
    """Logins from many addresses at once: how many wait for a password hash, and for how
    long, and how many are turned away."""

    async def one(n: int) -> tuple[str, float]:
        answer = await _login(
            shop, f"queued-{n}@audit.test", "wrong password", f"203.0.113.{100 + n}"
        )
        return login_outcome(answer), answer.ms

    start = time.perf_counter()
    results = await asyncio.gather(*(one(n) for n in range(CONCURRENT_LOGINS)))
    ms = (time.perf_counter() - start) * 1000
    slowest = max(latency for _, latency in results)
    outcome = f"{tally(code for code, _ in results)}; slowest answer {slowest:,.0f} ms"
    return [Row("5", f"{CONCURRENT_LOGINS} logins at once, many addresses", outcome, ms)]


# --- 6: a session ended, its access token still used --------------------------------------


async def token_after_logout(shop: Shop) -> list[Row]:
    user = await shop.customer("logged-out")
    socket, state = await open_socket(shop.server.ws_url, shop.setup_address(), user.access_token)
    logout = await shop.api.gql(LOGOUT, {"token": user.refresh_token}, token=user.access_token)
    ended = time.perf_counter()
    me = await shop.api.gql(ME, token=user.access_token)
    account = (me.body or {}).get("data", {}) or {}
    used = "returned the account" if account.get("me") else me.describe()
    if socket is None:
        ws = f"socket not opened ({state})"
    else:
        left = SOCKET_CLOSE_WAIT - (time.perf_counter() - ended)
        event, _ = await next_event(socket, max(left, 0.1))
        after = (time.perf_counter() - ended) * 1000
        ws = (
            f"still open {after / 1000:.0f} s after logout"
            if event.startswith("no answer")
            else (f"{event} {after:,.0f} ms after logout")
        )
        await socket.close()
    outcome = (
        f"logout: {logout.describe('logout')}; me with the old token: {used}; its socket: {ws}"
    )
    return [Row("6", "old access token after logout", outcome, me.ms)]


# --- 7: what recovery and registration reveal ---------------------------------------------


async def password_reset(shop: Shop) -> list[Row]:
    known = await shop.customer("forgetful")
    unknown = await shop.api.gql(REQUEST_RESET, {"email": "nobody@audit.test"})
    if unknown.unknown_field("requestPasswordReset"):
        return [Row("7", "requestPasswordReset, unknown vs known", "not available")]
    mine = await shop.api.gql(REQUEST_RESET, {"email": known.email})
    same = "same answer" if unknown.body == mine.body else "different answers"
    outcome = (
        f"unknown: {_data(unknown, 'requestPasswordReset')} in {unknown.ms:,.0f} ms; known: "
        f"{_data(mine, 'requestPasswordReset')} in {mine.ms:,.0f} ms; {same}"
    )
    return [Row("7", "requestPasswordReset, unknown vs known", outcome)]


async def register_taken(shop: Shop) -> list[Row]:
    known = await shop.customer("registered")
    taken = await _register(shop, known.email)
    fresh = await _register(shop, "newcomer@audit.test")
    reveals = "does not reveal it" if _shape(taken) == _shape(fresh) else "reveals it"
    outcome = (
        f"taken email: {_shape(taken)} in {taken.ms:,.0f} ms; new email: {_shape(fresh)} in "
        f"{fresh.ms:,.0f} ms; the answer {reveals}"
    )
    return [Row("7", "register with a taken email", outcome)]


async def _register(shop: Shop, email: str) -> Answer:
    variables = {"input": {"email": email, "password": "another password 9", "name": "Someone"}}
    return await shop.api.gql(REGISTER, variables, client_ip=shop.setup_address())


def _data(answer: Answer, name: str) -> str:
    payload = answer.payload(name)
    return str(payload) if payload is not None else answer.describe(name)


def _shape(answer: Answer) -> str:
    """Which fields came back set, and the userError codes: what a client can tell apart."""
    payload = answer.payload("register")
    if payload is None:
        return answer.describe("register")
    given = [key for key, value in payload.items() if value and key != "userErrors"]
    codes = answer.user_error_codes("register")
    return f"{'+'.join(given) or 'nothing set'}, userErrors [{', '.join(codes)}]"

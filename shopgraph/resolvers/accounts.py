"""Sessions: register, login, refresh and logout.

A session is a family of refresh tokens. Every refresh rotates the token; presenting a
token that was already rotated means it leaked, so the whole family is revoked.
"""

from datetime import UTC, datetime, timedelta

from shopgraph.auth.tokens import new_refresh_token, new_session_id, refresh_token_hash
from shopgraph.auth.viewer import CUSTOMER
from shopgraph.datasources.keyset import Document
from shopgraph.datasources.users import EmailTaken
from shopgraph.resolvers import password_attempts
from shopgraph.resolvers.account_rules import (
    email_problems,
    name_problems,
    normalize_email,
    password_problems,
)
from shopgraph.resolvers.context import Info
from shopgraph.schema.user_errors import UserErrorCode, user_error
from shopgraph.schema.users import AuthPayload, LogoutPayload, RegisterInput, User

INVALID_CREDENTIALS = "Wrong email or password."
INVALID_REFRESH_TOKEN = "This refresh token is no longer valid; log in again."


async def issue_tokens(info: Info, user: Document, session_id: str) -> AuthPayload:
    """A new refresh token in the session's family and an access token naming the session."""
    context = info.context
    refresh_token = new_refresh_token()
    expires_at = datetime.now(UTC) + timedelta(days=context.settings.refresh_token_days)
    await context.datasources.refresh_tokens.store(
        refresh_token_hash(refresh_token), session_id, user["_id"], expires_at
    )
    tokens = context.auth.tokens
    return AuthPayload(
        access_token=tokens.issue(str(user["_id"]), user["role"], session_id),
        refresh_token=refresh_token,
        expires_in=int(tokens.lifetime.total_seconds()),
        user=User(document=user, is_caller=True),
    )


async def register(info: Info, input: RegisterInput) -> AuthPayload:
    """Creates a customer account and logs it in."""
    email = normalize_email(input.email)
    name = input.name.strip()
    problems = (
        email_problems(email, "input.email")
        + password_problems(input.password, email, "input.password")
        + name_problems(name, "input.name")
    )
    if problems:
        return AuthPayload(user_errors=problems)
    users = info.context.datasources.users
    taken = [
        user_error(
            "input.email", "An account with this email exists.", UserErrorCode.ALREADY_EXISTS
        )
    ]
    if await users.by_email(email) is not None:
        return AuthPayload(user_errors=taken)
    password_hash = await info.context.auth.passwords.hash(input.password)
    try:
        user = await users.create(email, name, password_hash, CUSTOMER)
    except EmailTaken:  # a concurrent registration won
        return AuthPayload(user_errors=taken)
    return await issue_tokens(info, user, new_session_id())


async def login(info: Info, email: str, password: str) -> AuthPayload:
    """The same answer, after the same argon2 work, for an unknown email and a wrong
    password. Failures are counted per email in MongoDB, so the throttle holds across
    server processes."""
    context = info.context
    email = normalize_email(email)
    if await password_attempts.start_attempt(context, email) is None:
        message = "Too many failed logins for this email; try again later."
        return AuthPayload(user_errors=[user_error(None, message, UserErrorCode.TOO_MANY_ATTEMPTS)])

    user = await context.datasources.users.by_email(email)
    passwords = context.auth.passwords
    if user is None:
        await passwords.verify_nothing(password)
        verified = None
    else:
        verified = await passwords.verify(user["passwordHash"], password)
    if user is None or verified is None or not verified.valid:  # the attempt stays counted
        return AuthPayload(
            user_errors=[user_error(None, INVALID_CREDENTIALS, UserErrorCode.INVALID_CREDENTIALS)]
        )
    if verified.new_hash:  # hashed under older parameters
        await context.datasources.users.replace_password_hash(
            user["_id"], user["passwordHash"], verified.new_hash
        )
    await password_attempts.succeeded(context, email)
    return await issue_tokens(info, user, new_session_id())


async def refresh_token(info: Info, refresh_token: str) -> AuthPayload:
    tokens = info.context.datasources.refresh_tokens
    token_hash = refresh_token_hash(refresh_token)
    invalid = AuthPayload(
        user_errors=[user_error("refreshToken", INVALID_REFRESH_TOKEN, UserErrorCode.INVALID_TOKEN)]
    )
    record = await tokens.use(token_hash)
    if record is None:
        known = await tokens.find(token_hash)
        if known is not None:  # rotated, revoked or expired: a replay revokes the session
            await tokens.revoke_family(known["familyId"])
        return invalid
    session_id = record["familyId"]
    found = await info.context.datasources.users.by_ids([record["userId"]], None)
    user = found.get(record["userId"])
    if user is None:
        await tokens.revoke_family(session_id)
        return invalid
    payload = await issue_tokens(info, user, session_id)
    if await tokens.is_family_revoked(session_id):  # a concurrent replay revoked it meanwhile
        await tokens.revoke_family(session_id)
        return invalid
    return payload


async def logout(info: Info, refresh_token: str) -> LogoutPayload:
    """Ends the session the refresh token belongs to (its access tokens expire on their own)."""
    tokens = info.context.datasources.refresh_tokens
    known = await tokens.find(refresh_token_hash(refresh_token))
    if known is None:
        return LogoutPayload(
            ok=False,
            user_errors=[
                user_error("refreshToken", INVALID_REFRESH_TOKEN, UserErrorCode.INVALID_TOKEN)
            ],
        )
    await tokens.revoke_family(known["familyId"])
    return LogoutPayload(ok=True)

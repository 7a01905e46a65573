"""Sessions through the API: register, login, refreshToken, logout (see `auth.sessions`)."""

from shopgraph.auth.sessions import Session
from shopgraph.resolvers.after_response import after_response
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.users import AuthPayload, LogoutPayload, RegisterInput, User


def _signed_in(session: Session) -> AuthPayload:
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        user=User(document=session.user, is_caller=True),
    )


@refusals_as_user_errors
async def register(info: Info, input: RegisterInput) -> AuthPayload:
    """No tokens and no userErrors when the new account must verify its email first."""
    sessions = info.context.services.sessions
    client = info.context.client_address
    defer = after_response(info)
    session = await sessions.register(input.email, input.password, input.name, client, defer)
    return AuthPayload() if session is None else _signed_in(session)


@refusals_as_user_errors
async def login(info: Info, email: str, password: str) -> AuthPayload:
    sessions = info.context.services.sessions
    return _signed_in(await sessions.login(email, password, info.context.client_address))


@refusals_as_user_errors
async def refresh_token(info: Info, refresh_token: str) -> AuthPayload:
    return _signed_in(await info.context.services.sessions.refresh(refresh_token))


@refusals_as_user_errors
async def logout(info: Info, refresh_token: str) -> LogoutPayload:
    """`ok: false` with the userError when the token is unknown."""
    await info.context.services.sessions.logout(refresh_token)
    return LogoutPayload(ok=True)

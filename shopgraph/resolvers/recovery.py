"""Account recovery and verification through the API (see `auth.recovery`)."""

from shopgraph.resolvers.after_response import after_response
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.recovery import OkPayload
from shopgraph.schema.users import User, UserPayload


async def request_password_reset(info: Info, email: str) -> OkPayload:
    """Always `ok: true`: whether the address has an account is not the caller's to learn."""
    recovery = info.context.services.recovery
    client = info.context.client_address
    await recovery.request_password_reset(email, client, after_response(info))
    return OkPayload(ok=True)


@refusals_as_user_errors
async def reset_password(info: Info, token: str, new_password: str) -> OkPayload:
    recovery = info.context.services.recovery
    await recovery.reset_password(token, new_password, info.context.client_address)
    return OkPayload(ok=True)


@refusals_as_user_errors
async def request_email_verification(info: Info) -> OkPayload:
    user = await info.context.viewer.require_user()
    await info.context.services.recovery.request_email_verification(user, after_response(info))
    return OkPayload(ok=True)


@refusals_as_user_errors
async def verify_email(info: Info, token: str) -> UserPayload:
    """The holder of the code read the account's mailbox, which proves no session: the
    account's private fields are for its logged-in owner (and admins), as anywhere else."""
    user = await info.context.services.recovery.verify_email(token)
    return UserPayload(user=User(document=user))

"""The caller's own account: me, changePassword, updateProfile."""

from shopgraph.resolvers import password_attempts
from shopgraph.resolvers.account_rules import name_problems, password_problems
from shopgraph.resolvers.context import Info
from shopgraph.schema.user_errors import UserErrorCode, user_error
from shopgraph.schema.users import UpdateProfileInput, User, UserPayload


async def me(info: Info) -> User | None:
    """Null for anonymous callers; a token whose user is gone is UNAUTHENTICATED."""
    viewer = info.context.viewer
    if viewer.claims is None:
        return None
    return User(document=await viewer.require_user())


async def change_password(info: Info, current_password: str, new_password: str) -> UserPayload:
    """Also ends every other session of the user: a thief's refresh token stops working.
    Wrong current passwords count towards the login throttle, and are refused with it."""
    context = info.context
    user = await context.viewer.require_user()
    if await password_attempts.start_attempt(context, user["email"]) is None:
        return UserPayload(
            user_errors=[
                user_error(
                    "currentPassword",
                    "Too many wrong passwords for this account; try again later.",
                    UserErrorCode.TOO_MANY_ATTEMPTS,
                )
            ]
        )
    verified = await context.auth.passwords.verify(user["passwordHash"], current_password)
    if not verified.valid:
        return UserPayload(
            user_errors=[
                user_error(
                    "currentPassword",
                    "The current password is wrong.",
                    UserErrorCode.INVALID_CREDENTIALS,
                )
            ]
        )
    await password_attempts.succeeded(context, user["email"])
    problems = password_problems(new_password, user["email"], "newPassword")
    if problems:
        return UserPayload(user_errors=problems)
    new_hash = await context.auth.passwords.hash(new_password)
    updated = await context.datasources.users.update(user["_id"], {"passwordHash": new_hash})
    await context.datasources.refresh_tokens.revoke_user_families(
        user["_id"], except_family=context.viewer.session_id
    )
    return UserPayload(user=User(document=updated or user))


async def update_profile(info: Info, input: UpdateProfileInput) -> UserPayload:
    user = await info.context.viewer.require_user()
    name = input.name.strip()
    problems = name_problems(name, "input.name")
    if problems:
        return UserPayload(user_errors=problems)
    updated = await info.context.datasources.users.update(user["_id"], {"name": name})
    return UserPayload(user=User(document=updated or user))

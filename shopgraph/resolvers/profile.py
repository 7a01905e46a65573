"""The caller's own account: me, changePassword, updateProfile (see `auth.accounts`)."""

from shopgraph.resolvers.context import Info
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.users import UpdateProfileInput, User, UserPayload


async def me(info: Info) -> User | None:
    """Null for anonymous callers; a token whose user is gone is UNAUTHENTICATED."""
    viewer = info.context.viewer
    if viewer.claims is None:
        return None
    return User(document=await viewer.require_user())


@refusals_as_user_errors
async def change_password(info: Info, current_password: str, new_password: str) -> UserPayload:
    """Also ends every other session of the user: a thief's refresh token stops working."""
    viewer = info.context.viewer
    user = await info.context.services.accounts.change_password(
        await viewer.require_user(),
        current_password,
        new_password,
        viewer.session_id,
        info.context.client_address,
    )
    return UserPayload(user=User(document=user))


@refusals_as_user_errors
async def update_profile(info: Info, input: UpdateProfileInput) -> UserPayload:
    user = await info.context.viewer.require_user()
    updated = await info.context.services.accounts.update_profile(user, input.name)
    return UserPayload(user=User(document=updated))

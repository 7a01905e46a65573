"""Who is calling: anonymous, or the user an access token names (loaded at most once).

The API's view of the caller: a missing or insufficient right is a GraphQL error with
`extensions.code` UNAUTHENTICATED or FORBIDDEN; the rules are `auth.permissions`.
"""

from collections.abc import Awaitable, Callable

from bson import ObjectId

from shopgraph.auth.permissions import is_admin
from shopgraph.auth.session_ends import session_has_ended
from shopgraph.auth.tokens import AccessClaims, AccessTokens, InvalidAccessToken
from shopgraph.documents import Document
from shopgraph.schema.errors import Forbidden, NotAuthenticated

UserLoader = Callable[[ObjectId], Awaitable[Document | None]]

SESSION_ENDED = "This session has ended; log in again."


class Viewer:
    """Rights come from the user document, not the token's `role` claim: a deleted or
    demoted user loses them at once, not when the token expires."""

    def __init__(
        self,
        claims: AccessClaims | None,
        load_user: UserLoader,
        token_error: str | None = None,
    ) -> None:
        self.claims = claims
        self.token_error = token_error
        self._load_user = load_user

    @property
    def session_id(self) -> str | None:
        return self.claims.session_id if self.claims else None

    async def rejection(self) -> str | None:
        """Why the token must fail the whole request, if it must: it was malformed or
        expired, or its session has ended (logout, a password change or reset, a replayed
        refresh token). Loads the user, as most authenticated requests do anyway."""
        if self.token_error or self.claims is None:
            return self.token_error
        user = await self.user()
        if user is not None and session_has_ended(
            user, self.claims.session_id, self.claims.session_started_ms
        ):
            return SESSION_ENDED
        return None

    async def user(self) -> Document | None:
        if self.claims is None:
            return None
        return await self._load_user(ObjectId(self.claims.user_id))  # validated when decoded

    async def require_user(self) -> Document:
        user = await self.user()
        if user is None:
            if self.claims is None:
                raise NotAuthenticated()
            raise NotAuthenticated("This account no longer exists; log in again.")
        return user

    async def require_admin(self) -> Document:
        user = await self.require_user()
        if not is_admin(user):
            raise Forbidden("Only admins may do this.")
        return user

    async def is_admin(self) -> bool:
        user = await self.user()
        return user is not None and is_admin(user)


def viewer_from_authorization(
    authorization: str | None, tokens: AccessTokens, load_user: UserLoader
) -> Viewer:
    """Anonymous without a token; a bad one is kept as an error that fails the request."""
    if not authorization:
        return Viewer(None, load_user)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return Viewer(None, load_user, token_error="Send the access token as `Bearer <token>`.")
    try:
        return Viewer(tokens.decode(token.strip()), load_user)
    except InvalidAccessToken as error:
        return Viewer(None, load_user, token_error=str(error))

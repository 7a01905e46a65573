"""Account types: User, Role, and the payloads of the account mutations."""

from datetime import datetime
from typing import ClassVar

import strawberry

from shopgraph.auth import permissions
from shopgraph.resolvers import addresses, user_orders
from shopgraph.schema.connections import CountedConnection
from shopgraph.schema.nodes import DocumentNode
from shopgraph.schema.permissions import IsSelfOrAdmin
from shopgraph.schema.user_errors import UserError

Role = strawberry.enum(permissions.Role)


@strawberry.type(description="A person with an account.")
class User(DocumentNode):
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "__typename": (),
        "id": (),
        "email": ("email",),
        "name": ("name",),
        "role": ("role",),
        "createdAt": ("createdAt",),
        "emailVerified": ("emailVerifiedAt",),
        "addresses": (),
    }

    # True only for the user whose session a register, login or refreshToken has just
    # begun or renewed: the caller, though the request itself carried no token. Elsewhere
    # (verifyEmail included) the viewer's token decides.
    is_caller: strawberry.Private[bool] = False

    @strawberry.field(
        description="Visible to the user and to admins only.",
        permission_classes=[IsSelfOrAdmin],
    )
    def email(self) -> str | None:
        return self.document["email"]

    @strawberry.field
    def name(self) -> str:
        return self.document["name"]

    @strawberry.field
    def role(self) -> Role:
        return Role(self.document["role"])

    @strawberry.field
    def created_at(self) -> datetime:
        return self.document["createdAt"]

    @strawberry.field(description="Whether the owner proved the email address is theirs.")
    def email_verified(self) -> bool:
        return permissions.is_email_verified(self.document)

    orders = strawberry.field(
        resolver=user_orders.user_orders,
        permission_classes=[IsSelfOrAdmin],
        description="Visible to the user and to admins only.",
    )
    addresses = strawberry.field(
        resolver=addresses.user_addresses,
        permission_classes=[IsSelfOrAdmin],
        description="The address book, oldest first; visible to the user and to admins only.",
    )


@strawberry.type(description="A page of users.")
class UserConnection(CountedConnection[User]):
    NODE = User


@strawberry.input
class RegisterInput:
    email: str
    password: str
    name: str


@strawberry.input
class UpdateProfileInput:
    name: str


@strawberry.type(description="Tokens for a session; null when `userErrors` says why not.")
class AuthPayload:
    access_token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <accessToken>`."
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="Single use: `refreshToken` returns a new one."
    )
    expires_in: int | None = strawberry.field(
        default=None, description="Seconds until the access token expires."
    )
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool = False  # false whenever there are userErrors
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

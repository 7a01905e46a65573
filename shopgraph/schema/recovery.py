"""The payload of the account recovery and verification mutations."""

import strawberry

from shopgraph.schema.user_errors import UserError


@strawberry.type
class OkPayload:
    ok: bool = strawberry.field(
        default=False, description="Whether it was done; false whenever `userErrors` says why."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

"""UserError: what was wrong with a mutation's input, as data the client can act on.

`UserErrorCode` is the domain's `ErrorCode`, exposed as it is: one enum holds every code.
"""

import strawberry

from shopgraph.errors import ErrorCode

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type
class UserError:
    field: list[str] | None = strawberry.field(
        description='Path to the input field at fault, e.g. ["input", "email"].'
    )
    message: str
    code: UserErrorCode

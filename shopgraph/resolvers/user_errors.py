"""The one place where the domain's refusals become userErrors.

A mutation resolver decorated with `refusals_as_user_errors` just calls its service: a
`DomainError` raised below it becomes its payload (the return annotation) carrying the
error's problems as `userErrors`, and nothing else.
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from shopgraph.errors import DomainError, Problem
from shopgraph.schema.user_errors import UserError

P = ParamSpec("P")
R = TypeVar("R")


def user_error(problem: Problem) -> UserError:
    """`field` is a dotted path like "input.email"; the API gives it as a list."""
    field = problem.field.split(".") if problem.field else None
    return UserError(field=field, message=problem.message, code=problem.code)


def user_errors(error: DomainError) -> list[UserError]:
    return [user_error(problem) for problem in error.problems]


def refusals_as_user_errors(
    resolver: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]:
    """The payload type must take `user_errors`; Strawberry reads the resolver's own
    signature through `functools.wraps`."""
    payload = inspect.signature(resolver).return_annotation

    @functools.wraps(resolver)
    async def resolve(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except DomainError as error:
            return payload(user_errors=user_errors(error))  # type: ignore[no-any-return]

    return resolve

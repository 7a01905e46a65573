"""Strawberry permission classes, one per rule. They never answer False: they raise the
viewer's errors, which carry `extensions.code` UNAUTHENTICATED (log in) or FORBIDDEN
(not yours)."""

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from shopgraph.auth.permissions import may_see
from shopgraph.schema.errors import Forbidden


class IsAuthenticated(BasePermission):
    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.viewer.require_user()
        return True


class IsAdmin(BasePermission):
    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await info.context.viewer.require_admin()
        return True


class IsSelfOrAdmin(BasePermission):
    """For fields of a User: the user themself, or an admin."""

    message = "Only the user and admins may see this."

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if source.is_caller:
            return True
        viewer = await info.context.viewer.require_user()
        if may_see(viewer, source.document["_id"]):
            return True
        raise Forbidden(self.message)

"""Reading accounts: `user(id)` and `users(...)` for admins; `node(id)` for self or admins."""

from collections.abc import Sequence
from datetime import datetime

import strawberry

from shopgraph.auth.permissions import may_see
from shopgraph.datasources.users import UserQuery
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.ids import decode_global_id, object_id
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.pagination import Ordering, PageArgs, paginate
from shopgraph.resolvers.projection import document_fields
from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.users import User, UserConnection

NEWEST_FIRST = Ordering("users:CREATED_AT:DESC", "createdAt", datetime, descending=True)
MAX_SEARCH_LENGTH = 200


async def user(info: Info, id: strawberry.ID) -> User | None:
    key = DocumentKey(decode_global_id(id, "User"), document_fields(info, (), User.FIELDS))
    document = await info.context.loaders.user.load(key)
    return None if document is None else User(document=document)


async def users(
    info: Info,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    search: str | None = None,
) -> UserConnection:
    """Newest accounts first; `search` is a case-insensitive substring of email or name."""
    search = (search or "").strip() or None
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise BadUserInput(f"`search` may be at most {MAX_SEARCH_LENGTH} characters.")
    query = UserQuery(search=search)
    args = PageArgs(first, after, last, before)
    datasource = info.context.datasources.users
    return await paginate(info, datasource, query, args, NEWEST_FIRST, UserConnection)


async def users_by_node_ids(info: Info, node_ids: Sequence[str]) -> list[User | None]:
    """A user is refetchable by themself and by admins; for anyone else it does not exist."""
    viewer = await info.context.viewer.user()
    keys = [DocumentKey(object_id(node_id, "User"), None) for node_id in node_ids]
    if viewer is None:
        return [None for _ in keys]
    documents = await info.context.loaders.user.load_many(keys)
    return [
        User(document=document)
        if document is not None and may_see(viewer, document["_id"])
        else None
        for document in documents
    ]

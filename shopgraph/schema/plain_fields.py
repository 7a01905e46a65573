"""Fields that only read their parent answer through one plain call.

Strawberry runs every field that has a resolver through its general path: arguments
converted, an `Info` built, extensions and permissions consulted, the result checked for
an awaitable. Most fields of a storefront page are reads of the parent's document (a
name, a price, an id) that use none of that, and a page of 20 products has a hundred of
them, so they are given graphql-core a resolver that calls the method directly. What a
field answers, and the errors it raises, do not change.
"""

from collections.abc import Callable
from inspect import iscoroutinefunction
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo, GraphQLSchema
from strawberry import relay
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

DEFINITION = "strawberry-definition"
# Set on the resolvers made here: True when the resolver reads the info it is given.
_NEEDS_INFO = "shopgraph_needs_info"

Resolve = Callable[[Any, GraphQLResolveInfo], Any]
RELAY_ID = relay.Node._id.__func__  # the `id` a Node type does not define itself


def _plain(resolve: Resolve, *, reads_info: bool) -> Resolve:
    setattr(resolve, _NEEDS_INFO, reads_info)
    return resolve


def plain_resolver(resolve: object) -> bool:
    """A resolver that returns its value at once, reading only its parent (and, where
    `needs_info`, the info): one made here, or Strawberry's for a field without one."""
    return hasattr(resolve, _NEEDS_INFO) or (
        getattr(resolve, "__name__", "") == "_get_basic_result"
        and getattr(resolve, "_is_default", False)
    )


def needs_info(resolve: object) -> bool:
    return bool(getattr(resolve, _NEEDS_INFO, False))


def _plain_method(field: StrawberryField, info_class: type[Info]) -> Resolve | None:
    """`self.<method>()` (or `self.<method>(info=...)`) for a synchronous resolver taking
    no arguments, with nothing around it; None for any other field."""
    resolver = field.base_resolver
    if (
        resolver is None
        or resolver.is_async
        or resolver.arguments
        or resolver.root_parameter is not None
        or resolver.parent_parameter is not None
        or resolver.self_parameter is None
        or field.extensions
        or field.permission_classes
    ):
        return None
    method = resolver.wrapped_func
    if resolver.info_parameter is None:

        def resolve(source: Any, _info: GraphQLResolveInfo) -> Any:
            return method(source)

        return _plain(resolve, reads_info=False)
    info_name = resolver.info_parameter.name

    def resolve_with_info(source: Any, info: GraphQLResolveInfo) -> Any:
        return method(source, **{info_name: info_class(_raw_info=info, _field=field)})

    return _plain(resolve_with_info, reads_info=True)


def _node_id(type_name: str, origin: type) -> Resolve | None:
    """A node's global ID: its type name (known here, once) and its `resolve_id`, which
    is given graphql-core's info (ours read only `context` from it, if anything)."""
    resolve_id = getattr(origin, "resolve_id", None)
    if resolve_id is None or iscoroutinefunction(resolve_id):
        return None

    def resolve(source: Any, info: GraphQLResolveInfo) -> str:
        return relay.to_base64(type_name, resolve_id(source, info=info))

    return _plain(resolve, reads_info=True)


def _field_resolve(
    object_type: GraphQLObjectType, field: GraphQLField, info_class: type[Info]
) -> Resolve | None:
    definition = field.extensions.get(DEFINITION)
    if not isinstance(definition, StrawberryField):
        return None
    owner = object_type.extensions.get(DEFINITION)
    resolver = definition.base_resolver
    if (
        isinstance(owner, StrawberryObjectDefinition)
        and resolver is not None
        and getattr(resolver.wrapped_func, "__func__", None) is RELAY_ID
        and not definition.permission_classes
        and not definition.extensions
    ):
        return _node_id(object_type.name, owner.origin)
    return _plain_method(definition, info_class)


def plain_field_resolvers(schema: GraphQLSchema, info_class: type[Info] = Info) -> int:
    """Gives every plain field of every object type (not the root types, whose fields
    read the database) its direct resolver; returns how many fields it changed."""
    roots = {schema.query_type, schema.mutation_type, schema.subscription_type}
    changed = 0
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type in roots:
            continue
        for field in graphql_type.fields.values():
            resolve = _field_resolve(graphql_type, field, info_class)
            if resolve is not None:
                field.resolve = resolve
                changed += 1
    return changed

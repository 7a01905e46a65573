"""Executes the plain parts of a query through plans built once per request.

graphql-core executes every field the same general way: it looks the field up, builds
its resolve info and path, calls the resolver, checks for an awaitable, then completes
the value by its type. A storefront page is mostly objects whose fields are plain reads
of their parent (see plain_fields), and a page of 20 products with their variants has
hundreds of them. For such an object (every selected field plain, without arguments,
its subfields plain too) a plan is built the first time the request meets that
selection, and then completes each object of the list in one call.

A plan does only what graphql-core would do for the values it meets. When it meets
anything else (a null where the schema forbids it, a value a scalar cannot serialize,
an exception), it records nothing and gives up, and graphql-core executes that object
again from the start: it reports the error exactly as it always would. Plain resolvers
only read, so executing them twice changes nothing.
"""

from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from shopgraph.schema.plain_fields import needs_info, plain_resolver

# A completed value from a resolved one, at a path (None where no path is needed).
Complete = Callable[[Any, Path | None], Any]
Plan = Callable[[Any, Path], dict[str, Any]]


class GiveUp(Exception):
    """A value the plan leaves to graphql-core."""


def _leaf(leaf_type: GraphQLLeafType) -> Complete:
    serialize = leaf_type.serialize

    def complete(value: Any, _path: Path | None) -> Any:
        if value is Undefined or isinstance(value, Exception):
            raise GiveUp
        serialized = serialize(value)
        if serialized is None or serialized is Undefined:
            raise GiveUp  # graphql-core reports the value it could not serialize
        return serialized

    return complete


def _nullable(inner: Complete) -> Complete:
    def complete(value: Any, path: Path | None) -> Any:
        return None if value is None else inner(value, path)

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(value: Any, path: Path | None) -> Any:
        if value is None:
            raise GiveUp
        return inner(value, path)

    return complete


def _list(item: Complete, needs_path: bool) -> Complete:
    def complete(value: Any, path: Path | None) -> Any:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            raise GiveUp
        if needs_path:
            return [item(entry, Path(path, index, None)) for index, entry in enumerate(value)]
        return [item(entry, None) for entry in value]

    return complete


def _object(object_type: GraphQLObjectType, plan: Plan) -> Complete:
    is_type_of = object_type.is_type_of

    def complete(value: Any, path: Path | None) -> Any:
        if is_type_of is not None and not is_type_of(value, None):
            raise GiveUp
        assert path is not None
        return plan(value, path)

    return complete


def _named(type_name: str) -> Callable[[Any, Any], str]:
    return lambda _source, _info: type_name


def _as_is(value: Any, _path: Path | None) -> Any:
    return value


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain objects through plans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Keyed as graphql-core keys its collected fields: the field list is kept alive
        # with its plan so that its id cannot be reused within the request.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Plan | None]]
        self._plans = {}
        manager = self.middleware_manager  # middleware (tracing) must see every field
        self._planning = manager is None or manager.get_field_resolver(_as_is) is _as_is

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if self._planning:
            plan = self._plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return plan(result, path)
                except Exception:  # graphql-core executes it again, and reports what failed
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def _plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Plan | None:
        key = (object_type, id(field_details_list))
        known = self._plans.get(key)
        if known is not None:
            return known[1]
        self._plans[key] = (field_details_list, None)  # a selection met inside itself
        plan = self._build_plan(object_type, field_details_list)
        self._plans[key] = (field_details_list, plan)
        return plan

    def _build_plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Plan | None:
        grouped_field_set, new_defer_usages, *_ = self.collect_subfields(
            object_type, field_details_list
        )
        if new_defer_usages:
            return None
        type_name = object_type.name
        steps = []
        for response_name, field_details in grouped_field_set.items():
            node = field_details[0].node
            if node.name.value == "__typename":
                steps.append((response_name, _named(type_name), None, _as_is, False))
                continue
            field = self.schema.get_field(object_type, node.name.value)
            resolve = None if field is None else field.resolve
            if field is None or field.args or node.arguments or not plain_resolver(resolve):
                return None
            built = self._complete(field.type, field_details)
            if built is None:
                return None
            complete, completion_needs_path = built
            make_info = None
            if needs_info(resolve):
                nodes = [details.node for details in field_details]

                def make_info(
                    path: Path, field: Any = field, nodes: list[Any] = nodes
                ) -> GraphQLResolveInfo:
                    return self.build_resolve_info(field, nodes, object_type, path)

            steps.append(
                (response_name, resolve, make_info, complete, completion_needs_path or make_info)
            )

        def plan(source: Any, path: Path) -> dict[str, Any]:
            completed: dict[str, Any] = {}
            for response_name, resolve, make_info, complete, needs_path in steps:
                field_path = Path(path, response_name, type_name) if needs_path else None
                info = make_info(field_path) if make_info else None
                completed[response_name] = complete(resolve(source, info), field_path)
            return completed

        return plan

    def _complete(
        self, output_type: GraphQLOutputType, field_details: FieldDetailsList
    ) -> tuple[Complete, bool] | None:
        """How a value of this type is completed, and whether that needs its path; None
        when a plan does not complete such values."""
        if isinstance(output_type, GraphQLNonNull):
            inner = self._complete(output_type.of_type, field_details)
            return None if inner is None else (_non_null(inner[0]), inner[1])
        if isinstance(output_type, GraphQLList):
            item = self._complete(output_type.of_type, field_details)
            return None if item is None else (_nullable(_list(*item)), item[1])
        if is_leaf_type(output_type):
            return _nullable(_leaf(output_type)), False  # type: ignore[arg-type]
        if isinstance(output_type, GraphQLObjectType):
            plan = self._plan(output_type, field_details)
            return None if plan is None else (_nullable(_object(output_type, plan)), True)
        return None  # interfaces and unions: graphql-core resolves the type

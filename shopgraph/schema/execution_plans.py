"""Executes the plain parts of a query through plans built once per document.

graphql-core executes every field the same general way: it looks the field up, builds
its resolve info and path, calls the resolver, checks for an awaitable, then completes
the value by its type. A storefront page is mostly objects whose fields are plain reads
of their parent (see plain_fields), and a page of 20 products with their variants has
hundreds of them. For such an object (every selected field plain, without arguments,
its subfields plain too) a plan is built the first time a selection is met, and then
completes each object of a list in one call.

Plans are kept across requests (`PlanCache`) for documents without directives: the
parsed document is the parser cache's, and without `@skip`/`@include` its selections do
not depend on the variables. Documents with directives get plans for their request only.

A plan does only what graphql-core would do for the values it meets. When it meets
anything else (a null where the schema forbids it, a value a scalar cannot serialize,
an exception), it records nothing and gives up, and graphql-core executes that object
again from the start: it reports the error exactly as it always would. Plain resolvers
only read, so executing them twice changes nothing.
"""

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
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

from shopgraph.schema.document_walk import every_selection
from shopgraph.schema.plain_fields import needs_info, plain_resolver

# A completed value from a resolved one, in a request, at a path (None where none is needed).
Complete = Callable[["PlannedExecutionContext", Any, Path | None], Any]
Plan = Callable[["PlannedExecutionContext", Any, Path], dict[str, Any]]


class GiveUp(Exception):
    """A value the plan leaves to graphql-core."""


class PlanCache:
    """Plans of recent documents, by the identity of the parsed nodes they were built for.

    An entry keeps those nodes (and the schema) alive, so their ids cannot be reused for
    other nodes while it exists. Bounded: the oldest entries go first. A storefront's
    few dozen documents make a few hundred entries; an entry anchors at most one document,
    as the parser cache does."""

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._plans: OrderedDict[Hashable, tuple[object, Plan | None]] = OrderedDict()
        self._directives: OrderedDict[int, tuple[object, bool]] = OrderedDict()

    def get(self, key: Hashable) -> tuple[bool, Plan | None]:
        entry = self._plans.get(key)
        if entry is None:
            return False, None
        self._plans.move_to_end(key)
        return True, entry[1]

    def put(self, key: Hashable, anchors: object, plan: Plan | None) -> None:
        self._plans[key] = (anchors, plan)
        if len(self._plans) > self.max_entries:
            self._plans.popitem(last=False)

    def without_directives(self, operation: Any, fragments: dict[str, Any]) -> bool:
        """Whether the operation and its fragments use no directive anywhere."""
        known = self._directives.get(id(operation))
        if known is not None and known[0] is operation:
            return known[1]
        sets = [operation.selection_set, *(f.selection_set for f in fragments.values())]
        plain = not operation.directives and not any(
            node.directives for node in every_selection(sets)
        )
        self._directives[id(operation)] = (operation, plain)
        if len(self._directives) > self.max_entries:
            self._directives.popitem(last=False)
        return plain


def _leaf(leaf_type: GraphQLLeafType) -> Complete:
    serialize = leaf_type.serialize

    def complete(_executor: Any, value: Any, _path: Path | None) -> Any:
        if value is Undefined or isinstance(value, Exception):
            raise GiveUp
        serialized = serialize(value)
        if serialized is None or serialized is Undefined:
            raise GiveUp  # graphql-core reports the value it could not serialize
        return serialized

    return complete


def _nullable(inner: Complete) -> Complete:
    def complete(executor: Any, value: Any, path: Path | None) -> Any:
        return None if value is None else inner(executor, value, path)

    return complete


def _non_null(inner: Complete) -> Complete:
    def complete(executor: Any, value: Any, path: Path | None) -> Any:
        if value is None:
            raise GiveUp
        return inner(executor, value, path)

    return complete


def _list(item: Complete, needs_path: bool) -> Complete:
    def complete(executor: Any, value: Any, path: Path | None) -> Any:
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
            raise GiveUp
        if needs_path:
            return [
                item(executor, entry, Path(path, index, None)) for index, entry in enumerate(value)
            ]
        return [item(executor, entry, None) for entry in value]

    return complete


def _object(object_type: GraphQLObjectType, plan: Plan) -> Complete:
    is_type_of = object_type.is_type_of

    def complete(executor: Any, value: Any, path: Path | None) -> Any:
        if is_type_of is not None and not is_type_of(value, None):
            raise GiveUp
        assert path is not None
        return plan(executor, value, path)

    return complete


def _probe(_source: Any, _info: Any) -> None:
    """A resolver that middleware would wrap."""


def _named(type_name: str) -> Callable[[Any, Any], str]:
    return lambda _source, _info: type_name


def _as_is(_executor: Any, value: Any, _path: Path | None) -> Any:
    return value


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, completing plain objects through plans."""

    plan_cache: PlanCache | None = None  # set on a subclass per schema (see `planned`)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # This request's plans, keyed as graphql-core keys its collected fields: the field
        # list is kept alive with its plan so that its id cannot be reused meanwhile.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[FieldDetailsList, Plan | None]]
        self._plans = {}
        manager = self.middleware_manager  # middleware (tracing) must see every field
        self._planning = manager is None or manager.get_field_resolver(_probe) is _probe
        cache = self.plan_cache
        self._shared = (
            cache
            if cache is not None
            and cache.without_directives(self.operation, self.fragment_definitions)
            else None
        )

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
                    return plan(self, result, path)
                except Exception:  # graphql-core executes it again, and reports what failed
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def _plan(
        self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList
    ) -> Plan | None:
        local_key = (object_type, id(field_details_list))
        known = self._plans.get(local_key)
        if known is not None:
            return known[1]
        shared = self._shared
        if shared is None:
            plan = self._build_plan(object_type, field_details_list)
        else:
            nodes = tuple(details.node for details in field_details_list)
            shared_key = (object_type.name, tuple(map(id, nodes)))
            found, plan = shared.get(shared_key)
            if not found:
                plan = self._build_plan(object_type, field_details_list)
                shared.put(shared_key, (self.schema, self.operation, nodes), plan)
        self._plans[local_key] = (field_details_list, plan)
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
            field = object_type.fields.get(node.name.value)
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
                    executor: PlannedExecutionContext,
                    path: Path,
                    field: Any = field,
                    nodes: list[Any] = nodes,
                ) -> GraphQLResolveInfo:
                    return executor.build_resolve_info(field, nodes, object_type, path)

            steps.append(
                (response_name, resolve, make_info, complete, completion_needs_path or make_info)
            )

        def plan(executor: PlannedExecutionContext, source: Any, path: Path) -> dict[str, Any]:
            completed: dict[str, Any] = {}
            for response_name, resolve, make_info, complete, needs_path in steps:
                field_path = Path(path, response_name, type_name) if needs_path else None
                info = make_info(executor, field_path) if make_info else None
                completed[response_name] = complete(executor, resolve(source, info), field_path)
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


def planned(cache: PlanCache) -> type[PlannedExecutionContext]:
    """The execution context class of one schema, with that schema's plan cache."""
    return type("SchemaPlannedExecutionContext", (PlannedExecutionContext,), {"plan_cache": cache})

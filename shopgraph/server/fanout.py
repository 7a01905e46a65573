"""Shared `stockUpdated` subscriptions: each event executed and encoded once per distinct
subscription, its bytes sent to every subscriber of it.

Subscriptions over `graphql-transport-ws` with the same document, operation name,
variables and visibility (whether the viewer sees inactive products) form a `Group`. No
field reachable from `StockUpdate` depends on who asks, except whether an inactive
product's changes are sent at all, so these decide the answer. A group holds one broker
subscriber and one graphql-core `Executor` built from the already validated document (its
variables coerced once); for each change it executes the event once, encodes the response
payload once, and offers that string to each member. A member's message is the shared
payload wrapped with its own operation id.

Publishing never waits on a socket: each member keeps the newest payload per variant in a
bounded buffer (as `StockBroker`'s subscribers do), and each socket's `Outbox` sends from
its members' buffers in a task of its own that exists only while it has something to send.
An idle subscriber costs a `Member` and its `SharedSubscription`: the socket's handler
closes the operation's Strawberry pipeline once the subscription has joined its group.

The group is dropped with its executor and broker subscriber when its last member leaves.
"""

import asyncio
import contextlib
import dataclasses
import itertools
import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import orjson
from graphql import DocumentNode, Executor, GraphQLError, execute_subscription_event
from strawberry.execution import optimized_is_awaitable

from shopgraph.datasources.products import is_active
from shopgraph.live.broker import StockBroker, StockChange, Subscriber, Watched
from shopgraph.resolvers.context import Context, Info
from shopgraph.resolvers.loaders import Loaders
from shopgraph.schema.cost_limit import cost_report
from shopgraph.schema.errors import RequestErrorCode
from shopgraph.schema.masking import GENERIC_MESSAGE, is_unexpected
from shopgraph.schema.query_cost import CostLimits, operation_cost
from shopgraph.schema.stock import StockUpdate
from shopgraph.server.metrics.instruments import SUBSCRIPTION_EXECUTIONS, SUBSCRIPTION_GROUPS

logger = logging.getLogger("shopgraph.live")

ChangeKey = tuple[object, object]  # (product id, variant id)


@dataclass(frozen=True, slots=True)
class GroupKey:
    """What a subscription's answer depends on."""

    query: str
    operation_name: str | None
    variables: str  # canonical JSON
    sees_inactive: bool


def group_key(
    query: str, operation_name: str | None, variables: object, sees_inactive: bool
) -> GroupKey:
    # As a str: the bytes orjson returns keep a 4 KB buffer each, for as long as the key.
    canonical = orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS).decode()
    return GroupKey(query, operation_name, canonical, sees_inactive)


class Outbox:
    """One socket's sending: members with something to send wait their turn here, and a
    task sends while any does. A socket that reads slowly holds up only this task."""

    __slots__ = ("_ready", "_send", "_task")

    def __init__(self, send: Callable[[str], Awaitable[None]]) -> None:
        self._send = send
        self._ready: deque[Member] = deque()
        self._task: asyncio.Task[None] | None = None

    def wake(self, member: "Member") -> None:
        self._ready.append(member)
        if self._task is None:
            self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self._ready:
                message = self._next_message()
                if message is not None:
                    await self._send(message)
        except Exception:  # the socket went away: its handler cleans up
            for member in self._ready:
                member.drop()
            self._ready.clear()
        finally:
            self._task = None

    def _next_message(self) -> str | None:
        """Holds no member while the message is sent, so one that leaves meanwhile is freed."""
        member = self._ready.popleft()
        message = member.take()
        if member.has_pending():
            self._ready.append(member)
        else:
            member.queued = False
        return message

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._ready.clear()


class Member:
    """One subscription of a group: its operation id and the payloads it has yet to send,
    the newest per variant, at most `capacity` variants."""

    __slots__ = ("_capacity", "_pending", "_prefix", "active", "outbox", "queued")

    def __init__(self, operation_id: str, outbox: Outbox, capacity: int) -> None:
        self._prefix = '{"id":' + orjson.dumps(operation_id).decode() + ',"type":"next","payload":'
        self._capacity = capacity
        self._pending: OrderedDict[ChangeKey, str] | None = None  # None while idle
        self.outbox = outbox
        self.active = True
        self.queued = False

    def offer(self, key: ChangeKey, payload: str) -> None:
        if not self.active:
            return
        pending = self._pending
        if pending is None:
            pending = self._pending = OrderedDict()
        pending.pop(key, None)
        pending[key] = payload
        while len(pending) > self._capacity:
            pending.popitem(last=False)
        if not self.queued:
            self.queued = True
            self.outbox.wake(self)

    def has_pending(self) -> bool:
        return bool(self._pending)

    def take(self) -> str | None:
        """The message for the oldest pending change, if the subscription still runs."""
        if not self.active or not self._pending:
            self._pending = None
            return None
        _, payload = self._pending.popitem(last=False)
        if not self._pending:
            self._pending = None
        return self._prefix + payload + "}"

    def drop(self) -> None:
        self.active = False
        self._pending = None
        self.queued = False


class Group:
    def __init__(
        self,
        shared: "SharedSubscriptions",
        key: GroupKey,
        executor: Executor,
        request_id: str,
        extensions: dict[str, object],
        subscriber: Subscriber,
    ) -> None:
        self.shared = shared
        self.key = key
        self.executor = executor
        self.request_id = request_id
        self.extensions = extensions
        self.subscriber = subscriber
        self.members: set[Member] = set()
        self.executions = 0
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            change = await self.subscriber.next()
            if not (self.key.sees_inactive or is_active(change.product)):
                continue
            try:
                payload = await self._payload(change)
            except Exception:  # a bug: the group goes on with the next change
                logger.exception("request %s: could not execute a stock change", self.request_id)
                continue
            self._offer(change.key, payload)

    def _offer(self, key: ChangeKey, payload: str) -> None:
        """Apart from `_run`, whose frame lives as long as the group: a member that leaves
        must not stay referenced from it."""
        for member in tuple(self.members):
            member.offer(key, payload)

    async def _payload(self, change: StockChange) -> str:
        """The event executed once, with graphql-core, and encoded once."""
        event = StockUpdate(document=change.product, changed_variant_id=change.variant_id)
        result = execute_subscription_event(self.executor.build_per_event_executor(event))
        if optimized_is_awaitable(result):
            result = await result
        self.executions += 1
        self.shared.executions += 1
        SUBSCRIPTION_EXECUTIONS.inc()
        response: dict[str, object] = {"data": result.data}
        if result.errors:
            response["errors"] = [self._client_error(error).formatted for error in result.errors]
        if self.extensions:
            response["extensions"] = self.extensions
        return orjson.dumps(response).decode()

    def _client_error(self, error: GraphQLError) -> GraphQLError:
        """As `RequestErrorMasking` shows it, logged as `LoggingSchema` logs it."""
        if not is_unexpected(error):
            return error
        logger.error(
            "request %s: %s at %s",
            self.request_id,
            error.message,
            ".".join(map(str, error.path or ())),
            exc_info=error.original_error,
        )
        extensions = {"code": RequestErrorCode.INTERNAL_SERVER_ERROR, "requestId": self.request_id}
        return GraphQLError(
            GENERIC_MESSAGE, nodes=error.nodes, path=error.path, extensions=extensions
        )


class SharedSubscriptions:
    """The process's groups, by `GroupKey`."""

    def __init__(self, broker: StockBroker) -> None:
        self.broker = broker
        self.groups: dict[GroupKey, Group] = {}
        self.executions = 0  # events executed, all groups together
        self._numbers = itertools.count(1)

    def join(
        self, key: GroupKey, member: Member, info: Info, watched: Watched, variables: object
    ) -> None:
        group = self.groups.get(key)
        if group is None:
            group = self._new_group(key, info, watched, variables)
            self.groups[key] = group
            SUBSCRIPTION_GROUPS.inc()
        group.members.add(member)
        self.broker.joined()

    def leave(self, key: GroupKey, member: Member) -> None:
        member.drop()
        group = self.groups.get(key)
        if group is None or member not in group.members:
            return
        group.members.discard(member)
        self.broker.left()
        if not group.members:
            del self.groups[key]
            SUBSCRIPTION_GROUPS.dec()
            self.broker.close(group.subscriber)
            group.task.cancel()

    def _new_group(self, key: GroupKey, info: Info, watched: Watched, variables: object) -> Group:
        """Built from the first member's validated operation. Its context is the first
        member's with loaders of its own; nothing in the answer depends on the viewer
        beyond what the key holds."""
        context: Context = info.context
        request_id = f"fanout-{next(self._numbers)}"
        raw = variables if isinstance(variables, dict) else None
        group_context = dataclasses.replace(
            context, loaders=Loaders(context.datasources, cache=False), request_id=request_id
        )
        raw_info = info._raw_info
        document = DocumentNode(definitions=(raw_info.operation, *raw_info.fragments.values()))
        executor = Executor.build(
            info.schema._schema,
            document,
            context_value=group_context,
            raw_variable_values=raw,
            operation_name=key.operation_name,
            is_awaitable=optimized_is_awaitable,
        )
        if isinstance(executor, list):  # validated before: cannot happen
            raise executor[0]
        limits = CostLimits.of(context.settings)
        cost = operation_cost(info.schema._schema, document, key.operation_name, raw, limits)
        # What `QueryCostLimit` adds to each of the operation's results.
        extensions = {} if cost is None else {"cost": cost_report(cost, limits)}
        return Group(
            self, key, executor, request_id, extensions, self.broker.open(watched, shared=True)
        )


class SharedSubscription:
    """What the `stockUpdated` resolver of one graphql-transport-ws operation joins (see
    `SHARED_STOCK_STREAM`).

    Once it has joined its group, the socket's handler may take it over (`detach`): the
    operation's Strawberry pipeline (its task, extensions and executor, about 20 KB) is
    then closed, and the member stays in its group until the handler calls `leave` (the
    client completes the operation, or the socket ends)."""

    __slots__ = (
        "_joined",
        "_when_left",
        "detached",
        "key",
        "member",
        "operation_id",
        "operation_name",
        "outbox",
        "query",
        "shared",
        "variables",
    )

    def __init__(
        self,
        shared: SharedSubscriptions,
        outbox: Outbox,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: object,
    ) -> None:
        self.shared = shared
        self.outbox = outbox
        self.operation_id = operation_id
        self.query = query
        self.operation_name = operation_name
        self.variables = variables
        self.key: GroupKey | None = None
        self.member: Member | None = None
        self.detached = False
        self._joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._when_left: Callable[[], None] | None = None

    def joined(self) -> "asyncio.Future[None]":
        """Done once the subscription is in its group."""
        return self._joined

    async def follow(self, info: Info, watched: Watched, sees_inactive: bool) -> None:
        self.key = group_key(self.query, self.operation_name, self.variables, sees_inactive)
        self.member = Member(
            self.operation_id, self.outbox, self.shared.broker.capacity_per_subscriber
        )
        self.shared.join(self.key, self.member, info, watched, self.variables)
        self._joined.set_result(None)
        try:
            await asyncio.get_running_loop().create_future()  # until the operation ends
        finally:
            if not self.detached:
                self.leave()

    def detach(self) -> None:
        """The handler keeps the subscription from now on; ending `follow` leaves it be."""
        self.detached = True
        self.query = ""  # the group key holds what is needed
        self.variables = None

    def when_left(self, callback: Callable[[], None]) -> None:
        """Called once, when a detached subscription leaves (its operation's metrics)."""
        self._when_left = callback

    def leave(self) -> None:
        member, self.member = self.member, None
        if member is not None and self.key is not None:
            self.shared.leave(self.key, member)
        callback, self._when_left = self._when_left, None
        if callback is not None:
            callback()

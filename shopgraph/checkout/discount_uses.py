"""Counting uses of discount codes so that no race exceeds a limit, and giving them back.

A code limited to N uses has N slots, 0 to N-1; a use is one document (`_id` the order)
that holds a free slot, and the unique index on (code, slot) lets exactly one of any number
of racing checkouts hold each slot. So at most N uses exist, however many processes try at
once. A per-customer limit works alike with slots per (code, customer). Taking a use tries
the slots right after the number of uses (and a few at random, to spread racing takers),
then reads which are taken and tries the free ones; none free means the code is used up.
Giving a use back deletes the order's document: only one of any number of calls deletes it.

Limits change under uses: `fit_limits` moves uses into slots below a new limit, or says
why it cannot (more uses than the limit), so a lower limit holds for every later checkout.
"""

import random
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bson import ObjectId

from shopgraph.clock import utc_now
from shopgraph.datasources.discount_uses import Clash, DiscountUsesDatasource
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode, Problem

if TYPE_CHECKING:
    from shopgraph.checkout.discount_codes import DiscountCode

GUESSES = 4  # slots tried before reading which are taken
READS = 4  # readings of the taken slots before a take gives up
FIT_ROUNDS = 3  # passes of `fit_limits` over uses that moved meanwhile


class _Slots:
    """Free slots below `limit` to try, in order: guesses after the `used` count, then
    (when those are taken) the free ones of a fresh reading, shuffled. With `used` at the
    limit there are none, even if some uses sit outside the slots (taken under a higher
    limit while an admin lowered it)."""

    def __init__(self, limit: int, used: int, read: Callable[[], Awaitable[set[int]]]) -> None:
        self.limit = limit
        self.read = read
        self.full = used >= limit
        later = range(used + 1, limit)
        guesses = random.sample(later, min(GUESSES - 1, len(later)))
        self.candidates = [] if self.full else [used, *guesses]
        self.reads = 0
        self.busy = False  # gave up with slots free: others took each one first

    async def current(self) -> int | None:
        """The slot to try next; None when none is free."""
        while not self.candidates and not self.full:
            if self.reads == READS:
                self.busy = True
                return None
            self.reads += 1
            taken = await self.read()
            self.candidates = [slot for slot in range(self.limit) if slot not in taken]
            self.full = not self.candidates
            random.shuffle(self.candidates)
        return None if self.full else self.candidates[0]

    def taken(self) -> None:
        self.candidates.pop(0)


def _used_up(code: "DiscountCode") -> DomainError:
    message = f"The discount code {code.code} has been used as often as it may be."
    return DomainError(ErrorCode.DISCOUNT_CODE_EXHAUSTED, message)


def _times(count: int | None) -> str:
    return "once" if count == 1 else f"{count} times"


def _used_up_by_customer(code: "DiscountCode") -> DomainError:
    message = (
        f"The discount code {code.code} may be used {_times(code.usage_per_customer)} per customer."
    )
    return DomainError(ErrorCode.DISCOUNT_CODE_EXHAUSTED, message)


def _busy(code: "DiscountCode") -> DomainError:
    message = f"Too many checkouts are using the discount code {code.code} at once; try again."
    return DomainError(ErrorCode.DISCOUNT_CODE_EXHAUSTED, message)


@dataclass(frozen=True, slots=True)
class DiscountUses:
    uses: DiscountUsesDatasource

    async def take(self, code: "DiscountCode", order_id: ObjectId, customer: str) -> None:
        """Counts one use of the code for the order. `customer` is the caller's key for who
        buys ("user:<id>" or "email:<lowercased>"). Taking again for the same order is a
        no-op. Raises DomainError(DISCOUNT_CODE_EXHAUSTED) when the code's or the
        customer's limit is reached, having counted nothing."""
        total = per_customer = None
        if code.usage_limit is not None:
            used = await self.uses.count(code.id)
            total = _Slots(code.usage_limit, used, lambda: self.uses.slots(code.id))
        if code.usage_per_customer is not None:
            used = await self.uses.count(code.id, customer)
            per_customer = _Slots(
                code.usage_per_customer, used, lambda: self.uses.slots(code.id, customer)
            )
        refusal: DomainError | None = None
        while True:
            slot = customer_slot = None
            if total is not None and (slot := await total.current()) is None:
                refusal = _busy(code) if total.busy else _used_up(code)
                break
            if per_customer is not None and (customer_slot := await per_customer.current()) is None:
                refusal = _busy(code) if per_customer.busy else _used_up_by_customer(code)
                break
            clash = await self.uses.insert(
                order_id, code.id, customer, slot, customer_slot, utc_now()
            )
            if clash is None:
                return
            if clash is Clash.ORDER:
                break
            taken = total if clash is Clash.SLOT else per_customer
            if taken is None:
                raise RuntimeError(f"a use without a {clash.value} clashed on it")
            taken.taken()
        await self._taken_before(code, order_id, refusal)

    async def _taken_before(
        self, code: "DiscountCode", order_id: ObjectId, refusal: DomainError | None
    ) -> None:
        """A take that could not record a use: fine when the order has this code's use
        already (a retry), else `refusal`. Without `refusal`, the order's use was found in
        the way, and may have been given back since: counted once either way."""
        use = await self.uses.of_order(order_id)
        if use is None:
            if refusal is not None:
                raise refusal
            return
        if use["codeId"] != str(code.id):
            raise ValueError(f"order {order_id} used another discount code already")

    async def give_back(self, order_id: ObjectId) -> bool:
        """The order's use (if any) no longer counts. Any number of calls from any number of
        processes give it back once; True for the call that did."""
        return await self.uses.delete(order_id)

    async def used_by(self, code_id: ObjectId, customer: str) -> int:
        return await self.uses.count(code_id, customer)

    async def times_used(self, code_ids: Sequence[ObjectId]) -> dict[ObjectId, int]:
        """How many uses each code has, in one query."""
        return await self.uses.counts(code_ids)

    async def fit_limits(
        self, code_id: ObjectId, usage_limit: int | None, usage_per_customer: int | None
    ) -> list[Problem]:
        """Moves the code's uses into slots below these limits, or says which limit is
        below the uses taken (and moves nothing)."""
        for _ in range(FIT_ROUNDS):
            uses = await self.uses.of_code(code_id)
            problems, moves = _fitting(uses, usage_limit, usage_per_customer)
            if problems or not await self.uses.move(moves):
                return problems
        return []  # still moving: checkouts racing this change count under the old limit


def _fitting(
    uses: Sequence[Document], usage_limit: int | None, usage_per_customer: int | None
) -> tuple[list[Problem], list[tuple[Document, str, int]]]:
    """The moves that put every use below the limits, or the problems when there are more
    uses than a limit allows."""
    problems: list[Problem] = []
    moves: list[tuple[Document, str, int]] = []
    if usage_limit is not None:
        if len(uses) > usage_limit:
            message = f"The code was used {_times(len(uses))} already: the limit cannot be lower."
            problems.append(Problem("input.usageLimit", message))
        moves += _moves(uses, "slot", usage_limit)
    if usage_per_customer is not None:
        by_customer: dict[str, list[Document]] = defaultdict(list)
        for use in uses:
            by_customer[use["customer"]].append(use)
        most = max((len(group) for group in by_customer.values()), default=0)
        if most > usage_per_customer:
            message = (
                f"A customer used the code {_times(most)} already: the limit per customer "
                "cannot be lower."
            )
            problems.append(Problem("input.usagePerCustomer", message))
        for group in by_customer.values():
            moves += _moves(group, "customerSlot", usage_per_customer)
    return problems, [] if problems else moves


def _moves(uses: Sequence[Document], field: str, limit: int) -> list[tuple[Document, str, int]]:
    """Each use without a slot below `limit` goes to a free one (there are enough when the
    uses are at most `limit`)."""
    held = {use[field] for use in uses if isinstance(use.get(field), int) and use[field] < limit}
    free = (slot for slot in range(limit) if slot not in held)
    outside = [use for use in uses if not (isinstance(use.get(field), int) and use[field] < limit)]
    return [(use, field, slot) for use, slot in zip(outside, free, strict=False)]

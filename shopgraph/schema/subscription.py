"""The Subscription root."""

import strawberry

from shopgraph.resolvers import stock_updates


@strawberry.type
class Subscription:
    stock_updated = strawberry.subscription(
        resolver=stock_updates.stock_updated,
        description="Live stock changes; without `productIds`, of every product.",
    )

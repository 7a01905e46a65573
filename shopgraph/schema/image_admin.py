"""Payloads of the admin image mutations."""

import strawberry

from shopgraph.schema.images import Image
from shopgraph.schema.products import Product
from shopgraph.schema.user_errors import UserError


@strawberry.type
class ProductImagePayload:
    image: Image | None = None
    product: Product | None = strawberry.field(
        default=None, description="The image's product, its images in their order."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteProductImagePayload:
    deleted_id: strawberry.ID | None = None
    product: Product | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

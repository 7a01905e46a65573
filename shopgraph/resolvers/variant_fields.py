"""`ProductVariant.product`.

The Product type refers to ProductVariant, so the variant type cannot import it: the
field's type is named lazily, and the Product class is found by name in the running schema.
"""

from typing import TYPE_CHECKING, Annotated, Protocol

import strawberry
from strawberry.types.base import StrawberryObjectDefinition

from shopgraph.documents import Document
from shopgraph.resolvers.context import Info
from shopgraph.resolvers.loaders import DocumentKey

if TYPE_CHECKING:
    from shopgraph.schema.products import Product


class OfProduct(Protocol):
    product_document: Document


async def variant_product(
    root: OfProduct, info: Info
) -> Annotated["Product", strawberry.lazy("shopgraph.schema.products")]:
    """The whole product, through the request's product loader: the variant may have been
    read with only the fields its own selection needed."""
    definition = info.schema.get_type_by_name("Product")
    assert isinstance(definition, StrawberryObjectDefinition)
    product_id = root.product_document["_id"]
    document = await info.context.loaders.product.load(DocumentKey(product_id, None))
    return definition.origin(document=document or root.product_document)

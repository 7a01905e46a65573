"""Fields of Order and OrderItem that load other objects, through the request's DataLoaders:
a page of orders costs one query for its users and one for its products, however long,
each fetching only the fields the query selects."""

from shopgraph.datasources.product_variants import VARIANT_FIELDS
from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.products import visible_product, visible_variant, wanted_fields
from shopgraph.resolvers.projection import document_fields, selected_names
from shopgraph.schema.products import Product
from shopgraph.schema.users import User
from shopgraph.schema.variants import ProductVariant

# What a line's variant is built from, and `active`, which decides who may see it; its
# `product` field wants the whole document, read with the lines' products in one batch.
VARIANT_DOCUMENT_FIELDS = frozenset((*VARIANT_FIELDS, "active"))


async def order_user(root: HasDocument, info: Info) -> User | None:
    """Null for a guest's order, and when the account was deleted; the order stays."""
    if root.document.get("userId") is None:
        return None
    fields = document_fields(info, (), User.FIELDS)
    document = await info.context.loaders.user.load(DocumentKey(root.document["userId"], fields))
    return None if document is None else User(document=document)


async def item_product(root: HasDocument, info: Info) -> Product | None:
    """The product as it is now; null once deleted. The line keeps its own snapshot."""
    document = await info.context.loaders.product.load(
        DocumentKey(root.document["productId"], wanted_fields(info))
    )
    return await visible_product(info, document)


async def item_variant(root: HasDocument, info: Info) -> ProductVariant | None:
    """The variant as it is now; null once it or its product is gone. Lines ordered before
    variants ordered the product's default one, whose id is the product's."""
    product_id = root.document["productId"]
    fields = None if "product" in selected_names(info, ()) else VARIANT_DOCUMENT_FIELDS
    document = await info.context.loaders.product.load(DocumentKey(product_id, fields))
    return await visible_variant(info, document, root.document.get("variantId", product_id))

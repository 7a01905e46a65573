"""Fields of Order and OrderItem that load other objects, through the request's DataLoaders:
a page of orders costs one query for its users and one for its products, however long,
each fetching only the fields the query selects."""

from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.products import visible_product, visible_variant, wanted_fields
from shopgraph.resolvers.projection import document_fields
from shopgraph.schema.products import Product
from shopgraph.schema.users import User
from shopgraph.schema.variants import ProductVariant


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
    document = await info.context.loaders.product.load(DocumentKey(product_id, None))
    return await visible_variant(info, document, root.document.get("variantId", product_id))

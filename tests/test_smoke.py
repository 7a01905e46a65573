from tests.factories import global_id, product_document


async def test_product_by_sku_returns_its_fields(db, gql):
    document = product_document(sku="MUG-1", name="Mug", price=1250, stock=3)
    await db.products.insert_one(document)

    body = await gql('{ product(sku: "MUG-1") { id sku name price { amount currency } inStock } }')

    assert body == {
        "data": {
            "product": {
                "id": global_id("Product", document["_id"]),
                "sku": "MUG-1",
                "name": "Mug",
                "price": {"amount": "12.50", "currency": "USD"},
                "inStock": True,
            }
        }
    }

"""Product and order documents as other programs (and the seed) write them, and global IDs."""

import base64
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from bson import ObjectId

_sequence = count(1)
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def product_document(**overrides: Any) -> dict[str, Any]:
    """A valid product document; every field can be overridden."""
    n = next(_sequence)
    created_at = BASE_TIME + timedelta(minutes=n)
    document = {
        "_id": ObjectId(),
        "sku": f"SKU-{n:05d}",
        "name": f"Product {n:05d}",
        "description": f"Description of product {n}",
        "price": 1000 + n,
        "stock": 10,
        "category": "general",
        "tags": [],
        "active": True,
        "createdAt": created_at,
        "updatedAt": created_at,
    }
    document.update(overrides)
    return document


def paid_order_document(
    user_id: ObjectId, product: dict[str, Any], minutes: int, **overrides: Any
) -> dict[str, Any]:
    """A paid order of one unit of `product`, placed `minutes` after BASE_TIME and numbered
    `minutes + 1`, as the store keeps it."""
    created_at = BASE_TIME + timedelta(minutes=minutes)
    line = {
        "productId": product["_id"],
        "sku": product["sku"],
        "name": product["name"],
        "unitPrice": product["price"],
        "quantity": 1,
        "lineTotal": product["price"],
    }
    document = {
        "_id": ObjectId(),
        "number": minutes + 1,
        "userId": user_id,
        "items": [line],
        "subtotal": product["price"],
        "total": product["price"],
        "currency": "USD",
        "status": "PAID",
        "createdAt": created_at,
        "updatedAt": created_at,
    }
    document.update(overrides)
    return document


def global_id(type_name: str, object_id: ObjectId | str) -> str:
    return base64.b64encode(f"{type_name}:{object_id}".encode()).decode()


def object_id_of(global_id: str) -> ObjectId:
    return ObjectId(base64.b64decode(global_id).decode().split(":", 1)[1])

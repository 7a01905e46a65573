"""The `stray_charges` collection: charges that did not pay their order, to refund.

A card charged while its order was cancelled, or while another charge paid it, is
recorded here before the refund is asked for, so a refund the gateway could not make is
retried by the sweep instead of forgotten. Keyed by the gateway's charge reference.
"""

import contextlib

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource
from shopgraph.documents import Document

PENDING, REFUNDED = "PENDING", "REFUNDED"


class StrayChargesDatasource(CollectionDatasource):
    INDEXES = (IndexModel([("status", ASCENDING), ("recordedAtMs", ASCENDING)], name="status"),)

    async def record(self, order_id: ObjectId, payment: Document) -> None:
        """Idempotent: recording the same charge again keeps the first record."""
        with contextlib.suppress(DuplicateKeyError):
            await self.collection.insert_one(
                {
                    "_id": payment["reference"],
                    "reference": payment["reference"],
                    "orderId": order_id,
                    "gateway": payment["gateway"],
                    "amount": payment["amount"],
                    "currency": payment["currency"],
                    "status": PENDING,
                    "recordedAtMs": now_ms(),
                }
            )

    async def refunded(self, reference: str, refund_reference: str) -> None:
        await self.collection.update_one(
            {"_id": reference},
            {"$set": {"status": REFUNDED, "refund": refund_reference, "refundedAtMs": now_ms()}},
        )

    async def pending_before(self, cutoff_ms: int, limit: int = 100) -> list[Document]:
        cursor = self.collection.find(
            {"status": PENDING, "recordedAtMs": {"$lt": cutoff_ms}},
            sort=[("recordedAtMs", ASCENDING)],
            limit=limit,
        )
        return await cursor.to_list()

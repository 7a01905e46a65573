"""The `leases` collection: named leases that at most one server process holds at a time.

A lease is one document, `{_id: name, owner, leaseUntilMs}`. It is taken with
a conditional write: an update that matches only while the lease is this owner's or has
run out, else an insert that the `_id` makes unique. Its holder renews it the same way;
a holder that dies stops renewing, and the lease runs out. Times are epoch milliseconds
of each process's own clock, so the servers' clocks must agree to well within a lease.
"""

from pymongo.errors import DuplicateKeyError

from shopgraph.clock import now_ms
from shopgraph.datasources.base import CollectionDatasource


class LeasesDatasource(CollectionDatasource):
    async def take(self, name: str, owner: str, lease_ms: int) -> bool:
        """Takes or renews the lease for `lease_ms` from now; False while another owner
        holds it."""
        now = now_ms()
        renewed = await self.collection.update_one(
            {"_id": name, "$or": [{"owner": owner}, {"leaseUntilMs": {"$lt": now}}]},
            {"$set": {"owner": owner, "leaseUntilMs": now + lease_ms}},
        )
        if renewed.matched_count:
            return True
        try:
            await self.collection.insert_one(
                {"_id": name, "owner": owner, "leaseUntilMs": now + lease_ms}
            )
        except DuplicateKeyError:  # held by another owner, or taken by one just now
            return False
        return True

    async def release(self, name: str, owner: str) -> None:
        """Gives the lease up at once, if this owner still holds it."""
        await self.collection.delete_one({"_id": name, "owner": owner})

    async def holder(self, name: str) -> str | None:
        """Who holds the lease now, if anyone."""
        lease = await self.collection.find_one({"_id": name, "leaseUntilMs": {"$gte": now_ms()}})
        return None if lease is None else str(lease["owner"])

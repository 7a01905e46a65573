"""Addresses through the API: reading an AddressInput, and the caller's address book
(see `checkout.address_book`). Mutations are for logged-in callers (checked by the
Mutation fields) and change only the caller's own book.

A saved address's global ID is `SavedAddress:<user id>:<entry id>`, so `node(id)` finds
the book it belongs to with one read.
"""

from collections.abc import Sequence

import strawberry
from bson import ObjectId

from shopgraph.auth.permissions import may_see
from shopgraph.checkout import addresses
from shopgraph.checkout.address_book import saved_addresses
from shopgraph.resolvers.context import HasDocument, Info
from shopgraph.resolvers.ids import decode_input_id_pair, object_id_pair
from shopgraph.resolvers.loaders import DocumentKey
from shopgraph.resolvers.user_errors import refusals_as_user_errors
from shopgraph.schema.addresses import (
    AddAddressInput,
    AddressInput,
    AddressPayload,
    DeleteAddressPayload,
    SavedAddress,
    UpdateAddressInput,
)

TYPE_NAME = "SavedAddress"
AddressIds = tuple[ObjectId, ObjectId]  # (user, entry)


def address_of(input: AddressInput, field: str) -> addresses.Address:
    """The address an input gives; raises InvalidInput naming each bad field under
    `field` (e.g. "input.address.country")."""
    values = {spec.key: getattr(input, spec.attribute) for spec in addresses.FIELDS}
    return addresses.parse_address(values, field)


async def _own_entry(info: Info, id: strawberry.ID) -> AddressIds:
    """(caller, entry): only the caller's own book is ever looked in, so the ID of someone
    else's address is NOT_FOUND there, as a missing one is."""
    user = await info.context.viewer.require_user()
    _, entry = decode_input_id_pair(id, TYPE_NAME, "id")
    return user["_id"], entry


@refusals_as_user_errors
async def add_address(info: Info, input: AddAddressInput) -> AddressPayload:
    address = address_of(input.address, "input.address")
    user = await info.context.viewer.require_user()
    saved = await info.context.services.address_book.add(
        user["_id"], address, input.is_default_shipping, input.is_default_billing
    )
    return AddressPayload(address=SavedAddress(saved=saved))


@refusals_as_user_errors
async def update_address(
    info: Info, id: strawberry.ID, input: UpdateAddressInput
) -> AddressPayload:
    address = None if input.address is None else address_of(input.address, "input.address")
    user_id, entry_id = await _own_entry(info, id)
    saved = await info.context.services.address_book.update(
        user_id, entry_id, address, input.is_default_shipping, input.is_default_billing
    )
    return AddressPayload(address=SavedAddress(saved=saved))


@refusals_as_user_errors
async def delete_address(info: Info, id: strawberry.ID) -> DeleteAddressPayload:
    user_id, entry_id = await _own_entry(info, id)
    await info.context.services.address_book.delete(user_id, entry_id)
    return DeleteAddressPayload(deleted_id=id)


async def _books(info: Info, user_ids: Sequence[ObjectId]) -> list[list[SavedAddress]]:
    """Each user's saved addresses; the users of one tick cost one read together."""
    books = await info.context.loaders.address_book.load_many(
        [DocumentKey(user_id, None) for user_id in user_ids]
    )
    return [
        [SavedAddress(saved=saved) for saved in saved_addresses(user_id, book)]
        for user_id, book in zip(user_ids, books, strict=True)
    ]


async def user_addresses(root: HasDocument, info: Info) -> list[SavedAddress]:
    """`User.addresses`, oldest first."""
    (found,) = await _books(info, [root.document["_id"]])
    return found


async def saved_addresses_by_node_ids(
    info: Info, node_ids: Sequence[str]
) -> list[SavedAddress | None]:
    """`node(id)`: a saved address exists only for its owner and admins."""
    viewer = await info.context.viewer.user()
    ids = [object_id_pair(node_id, TYPE_NAME) for node_id in node_ids]
    if viewer is None:
        return [None for _ in ids]
    visible = [user_id for user_id, _ in ids if may_see(viewer, user_id)]
    books = dict(zip(visible, await _books(info, visible), strict=True))
    return [
        next((saved for saved in books.get(user_id, []) if saved.saved.id == entry_id), None)
        for user_id, entry_id in ids
    ]

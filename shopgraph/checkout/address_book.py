"""A customer's address book: saved addresses, one default shipping and one default
billing address, which a cart can be filled from.

Rules: a book holds at most MAX_SAVED_ADDRESSES; an address saved while the book has no
default shipping (billing) address becomes it, unless the caller says it must not (so a
customer's first address is both defaults); a default is one per book by construction;
deleting a default leaves the book without one until another is chosen or saved. Each
change is one atomic update of the book (see `datasources.address_books`), so racing
requests cannot break these rules. An id that is not one of the user's entries is
NOT_FOUND, whoever else it may belong to.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from bson import ObjectId

from shopgraph.checkout.addresses import Address
from shopgraph.datasources.address_books import (
    DEFAULT_BILLING,
    DEFAULT_FIELDS,
    DEFAULT_SHIPPING,
    ENTRIES,
    AddressBooksDatasource,
)
from shopgraph.documents import Document
from shopgraph.errors import DomainError, ErrorCode

MAX_SAVED_ADDRESSES = 20
# A deletion retries while the book's defaults change under it; each retry means another
# change of the same book succeeded meanwhile.
DELETE_ATTEMPTS = 10


@dataclass(frozen=True, slots=True)
class SavedAddress:
    id: ObjectId
    user_id: ObjectId
    address: Address
    is_default_shipping: bool
    is_default_billing: bool


def _entries(book: Document | None) -> dict[ObjectId, Document]:
    entries = (book or {}).get(ENTRIES) or {}
    return {ObjectId(key): entry for key, entry in entries.items()}


def _default(book: Document | None, name: str) -> ObjectId | None:
    """The entry the book names as this default; None when it names none that exists."""
    value = (book or {}).get(name)
    return value if isinstance(value, ObjectId) and value in _entries(book) else None


def saved_addresses(user_id: ObjectId, book: Document | None) -> list[SavedAddress]:
    """A book's entries, oldest first (by id); no book means no entries."""
    shipping, billing = _default(book, DEFAULT_SHIPPING), _default(book, DEFAULT_BILLING)
    return [
        SavedAddress(
            entry_id,
            user_id,
            Address.from_document(entry),
            entry_id == shipping,
            entry_id == billing,
        )
        for entry_id, entry in sorted(_entries(book).items())
    ]


def _saved(user_id: ObjectId, book: Document | None, entry_id: ObjectId) -> SavedAddress:
    for saved in saved_addresses(user_id, book):
        if saved.id == entry_id:
            return saved
    raise _not_found()


def _not_found() -> DomainError:
    return DomainError(ErrorCode.NOT_FOUND, "You have no saved address with this id.", "id")


def _chosen(
    default_shipping: bool | None, default_billing: bool | None, wanted: bool | None
) -> list[str]:
    """The default fields whose flag is `wanted` (True, False or None: not said)."""
    flags = ((DEFAULT_SHIPPING, default_shipping), (DEFAULT_BILLING, default_billing))
    return [name for name, flag in flags if flag is wanted]


@dataclass(frozen=True, slots=True)
class AddressBook:
    books: AddressBooksDatasource
    max_entries: int = MAX_SAVED_ADDRESSES

    async def entries(self, user_id: ObjectId) -> list[SavedAddress]:
        return saved_addresses(user_id, await self.books.book(user_id))

    async def entries_of(self, user_ids: Iterable[ObjectId]) -> dict[ObjectId, list[SavedAddress]]:
        """Many users' entries with one read; every user asked for is a key."""
        wanted = list(user_ids)
        books = await self.books.by_ids(wanted, None)
        return {user_id: saved_addresses(user_id, books.get(user_id)) for user_id in wanted}

    async def get(self, user_id: ObjectId, address_id: ObjectId) -> SavedAddress | None:
        for saved in await self.entries(user_id):
            if saved.id == address_id:
                return saved
        return None

    async def defaults(self, user_id: ObjectId) -> tuple[Address | None, Address | None]:
        """(default shipping, default billing) addresses, for filling a cart."""
        book = await self.books.book(user_id)
        entries = _entries(book)
        shipping, billing = _default(book, DEFAULT_SHIPPING), _default(book, DEFAULT_BILLING)
        return (
            None if shipping is None else Address.from_document(entries[shipping]),
            None if billing is None else Address.from_document(entries[billing]),
        )

    async def add(
        self,
        user_id: ObjectId,
        address: Address,
        default_shipping: bool | None = None,
        default_billing: bool | None = None,
    ) -> SavedAddress:
        """A flag True makes the address that default, False never does, None does only
        while the book has none. Raises TOO_MANY_ADDRESSES when the book is full."""
        entry_id = ObjectId()
        book = await self.books.add_entry(
            user_id,
            entry_id,
            address.to_document(),
            _chosen(default_shipping, default_billing, True),
            self.max_entries,
        )
        if book is None:
            raise DomainError(
                ErrorCode.TOO_MANY_ADDRESSES,
                f"An address book holds at most {self.max_entries} addresses: "
                "delete one before saving another.",
            )
        vacant = [
            name
            for name in _chosen(default_shipping, default_billing, None)
            if _default(book, name) is None
        ]
        if vacant:
            book = await self._take_vacant(user_id, entry_id, book, vacant)
        return _saved(user_id, book, entry_id)

    async def _take_vacant(
        self, user_id: ObjectId, entry_id: ObjectId, book: Document, vacant: list[str]
    ) -> Document | None:
        """Makes the entry each vacant default that is still vacant (a racing request may
        have filled it meanwhile); the book as it is afterwards."""
        seen = {name: book.get(name) for name in vacant}
        taken = await self.books.take_defaults(user_id, entry_id, seen)
        if taken is None and len(seen) > 1:
            for name, value in seen.items():
                taken = await self.books.take_defaults(user_id, entry_id, {name: value}) or taken
        return taken or await self.books.book(user_id)

    async def update(
        self,
        user_id: ObjectId,
        address_id: ObjectId,
        address: Address | None = None,
        default_shipping: bool | None = None,
        default_billing: bool | None = None,
    ) -> SavedAddress:
        """`address` replaces the saved one whole; a flag True makes the entry that
        default, False stops it being that default, None leaves it. Raises NOT_FOUND."""
        document = None if address is None else address.to_document()
        made = _chosen(default_shipping, default_billing, True)
        book = await self.books.change_entry(user_id, address_id, document, made)
        if book is None:
            raise _not_found()
        for name in _chosen(default_shipping, default_billing, False):
            if book.get(name) == address_id:
                book = await self.books.give_up_default(user_id, address_id, name)
                book = book or await self.books.book(user_id)
        return _saved(user_id, book, address_id)

    async def delete(self, user_id: ObjectId, address_id: ObjectId) -> None:
        """Removes the entry and, with it, the defaults it was. Raises NOT_FOUND."""
        for _ in range(DELETE_ATTEMPTS):
            book = await self.books.book(user_id)
            if address_id not in _entries(book):
                raise _not_found()
            seen = {name: (book or {}).get(name) for name in DEFAULT_FIELDS}
            if await self.books.remove_entry(user_id, address_id, seen):
                return
        raise RuntimeError(f"the address book of user {user_id} kept changing")


__all__ = ["MAX_SAVED_ADDRESSES", "AddressBook", "SavedAddress", "saved_addresses"]

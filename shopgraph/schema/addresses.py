"""Address types: a postal address, the input that gives one, and the saved addresses of a
customer's address book with the payloads of its mutations (see `checkout.address_book`)."""

from typing import Self

import strawberry
from strawberry import relay
from strawberry.types import Info

from shopgraph.checkout import address_book, addresses
from shopgraph.documents import Document
from shopgraph.schema.user_errors import UserError


@strawberry.type(description="A postal address.")
class Address:
    first_name: str
    last_name: str
    company: str | None
    line1: str
    line2: str | None
    city: str
    region: str | None = strawberry.field(description="State, province or county, as written.")
    postal_code: str
    country: str = strawberry.field(description='ISO 3166-1 alpha-2 code, e.g. "US".')
    phone: str | None

    @classmethod
    def from_value(cls, address: addresses.Address) -> Self:
        return cls(
            first_name=address.first_name,
            last_name=address.last_name,
            company=address.company,
            line1=address.line1,
            line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
            phone=address.phone,
        )

    @classmethod
    def from_stored(cls, document: Document | None) -> Self | None:
        """An address as a cart or an order stores it; None for none."""
        return (
            None if document is None else cls.from_value(addresses.Address.from_document(document))
        )


@strawberry.input(
    description="A postal address. firstName, lastName, line1, city, postalCode and country "
    "are required (a missing one is a userError naming it); values are trimmed, and an "
    "empty optional value counts as none."
)
class AddressInput:
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = strawberry.field(
        default=None, description='ISO 3166-1 alpha-2 code, e.g. "US"; any case.'
    )
    phone: str | None = None


@strawberry.type(description="An address in the caller's address book.")
class SavedAddress(relay.Node):
    saved: strawberry.Private[address_book.SavedAddress]

    @classmethod
    def resolve_id(cls, root: Self, *, info: Info) -> str:
        return f"{root.saved.user_id}:{root.saved.id}"

    @strawberry.field
    def address(self) -> Address:
        return Address.from_value(self.saved.address)

    @strawberry.field(description="Whether a new cart ships here unless told otherwise.")
    def is_default_shipping(self) -> bool:
        return self.saved.is_default_shipping

    @strawberry.field(description="Whether a new cart bills here unless told otherwise.")
    def is_default_billing(self) -> bool:
        return self.saved.is_default_billing


@strawberry.input
class AddAddressInput:
    address: AddressInput
    is_default_shipping: bool | None = strawberry.field(
        default=None,
        description="true: the default from now on; false: not the default; null: the "
        "default if there is none yet.",
    )
    is_default_billing: bool | None = strawberry.field(
        default=None,
        description="true: the default from now on; false: not the default; null: the "
        "default if there is none yet.",
    )


@strawberry.input(description="Only what is given changes.")
class UpdateAddressInput:
    address: AddressInput | None = strawberry.field(
        default=None, description="Replaces the saved address whole."
    )
    is_default_shipping: bool | None = strawberry.field(
        default=None,
        description="true: the default from now on; false: no longer the default (the book "
        "then has none).",
    )
    is_default_billing: bool | None = strawberry.field(
        default=None,
        description="true: the default from now on; false: no longer the default (the book "
        "then has none).",
    )


@strawberry.type
class AddressPayload:
    address: SavedAddress | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteAddressPayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

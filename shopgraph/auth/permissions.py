"""Who may do what, as plain predicates: the API's guards and the CLI apply them."""

from enum import StrEnum

from bson import ObjectId

from shopgraph.documents import Document


class Role(StrEnum):
    CUSTOMER = "CUSTOMER"
    ADMIN = "ADMIN"


ADMIN, CUSTOMER = Role.ADMIN, Role.CUSTOMER


def is_admin(user: Document) -> bool:
    return user.get("role") == ADMIN


def is_email_verified(user: Document) -> bool:
    """Accounts made before verification existed count as unverified until they verify."""
    return user.get("emailVerifiedAt") is not None


def may_see(user: Document, owner_id: ObjectId) -> bool:
    """What belongs to an account is for that account and for admins."""
    return is_admin(user) or owner_id == user["_id"]

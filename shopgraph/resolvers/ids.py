"""Global IDs: opaque base64 of `Type:ObjectId`, refetchable through `node(id)`.

A variant's is `ProductVariant:<product id>:<variant id>`, so it is found with one read.
"""

from bson import ObjectId
from bson.errors import InvalidId
from strawberry import relay

from shopgraph.errors import DomainError, ErrorCode, Problem
from shopgraph.schema.errors import BadUserInput


def object_id(raw: str, type_name: str) -> ObjectId:
    """The ObjectId inside one type's node id (the part after `Type:`)."""
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError) as error:
        raise BadUserInput(f"Invalid {type_name} ID.") from error


def _node_id(global_id: str, type_name: str) -> str:
    """The node id inside a global ID that must name `type_name`."""
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except relay.GlobalIDValueError as error:
        raise BadUserInput(f"Invalid {type_name} ID: not a global ID.") from error
    if decoded.type_name != type_name:
        raise BadUserInput(f"Invalid {type_name} ID: it is the ID of a {decoded.type_name}.")
    return decoded.node_id


def decode_global_id(global_id: str, type_name: str) -> ObjectId:
    """An ObjectId from a global ID that must name `type_name`."""
    return object_id(_node_id(global_id, type_name), type_name)


def input_id(global_id: str, type_name: str, field: str) -> ObjectId | Problem:
    """For mutation inputs, where a bad ID is a problem to report among others."""
    try:
        return decode_global_id(global_id, type_name)
    except BadUserInput as error:
        return Problem(field, error.message)


def decode_input_id(global_id: str, type_name: str, field: str) -> ObjectId:
    """For mutation arguments: a bad ID is a userError (INVALID), not a GraphQL error."""
    decoded = input_id(global_id, type_name, field)
    if isinstance(decoded, Problem):
        raise DomainError(ErrorCode.INVALID, decoded.message, field)
    return decoded


VariantIds = tuple[ObjectId, ObjectId]  # (product, variant)


def object_id_pair(raw: str, type_name: str) -> tuple[ObjectId, ObjectId]:
    """The two ObjectIds inside a node id of the form `<id>:<id>` (the parent's first)."""
    first, _, second = raw.partition(":")
    return object_id(first, type_name), object_id(second, type_name)


def decode_input_id_pair(global_id: str, type_name: str, field: str) -> tuple[ObjectId, ObjectId]:
    """For mutation arguments naming a `Type:<id>:<id>` object: a bad ID is a userError."""
    try:
        return object_id_pair(_node_id(global_id, type_name), type_name)
    except BadUserInput as error:
        raise DomainError(ErrorCode.INVALID, error.message, field) from None


def variant_object_ids(raw: str) -> VariantIds:
    """The product and variant ObjectIds inside a variant's node id."""
    return object_id_pair(raw, "ProductVariant")


def decode_variant_id(global_id: str) -> VariantIds:
    return variant_object_ids(_node_id(global_id, "ProductVariant"))


def input_variant_id(global_id: str, field: str) -> VariantIds | Problem:
    try:
        return decode_variant_id(global_id)
    except BadUserInput as error:
        return Problem(field, error.message)


def decode_input_variant_id(global_id: str, field: str) -> VariantIds:
    decoded = input_variant_id(global_id, field)
    if isinstance(decoded, Problem):
        raise DomainError(ErrorCode.INVALID, decoded.message, field)
    return decoded

"""Global IDs: opaque base64 of `Type:ObjectId`, refetchable through `node(id)`."""

from bson import ObjectId
from bson.errors import InvalidId
from strawberry import relay

from shopgraph.schema.errors import BadUserInput
from shopgraph.schema.user_errors import UserError, UserErrorCode, user_error


def object_id(raw: str, type_name: str) -> ObjectId:
    """The ObjectId inside one type's node id (the part after `Type:`)."""
    try:
        return ObjectId(raw)
    except (InvalidId, TypeError) as error:
        raise BadUserInput(f"Invalid {type_name} ID.") from error


def decode_global_id(global_id: str, type_name: str) -> ObjectId:
    """An ObjectId from a global ID that must name `type_name`."""
    try:
        decoded = relay.GlobalID.from_id(global_id)
    except relay.GlobalIDValueError as error:
        raise BadUserInput(f"Invalid {type_name} ID: not a global ID.") from error
    if decoded.type_name != type_name:
        raise BadUserInput(f"Invalid {type_name} ID: it is the ID of a {decoded.type_name}.")
    return object_id(decoded.node_id, type_name)


def decode_input_id(global_id: str, type_name: str, field: str) -> ObjectId | UserError:
    """For mutations, where a bad ID is a userError rather than a GraphQL error."""
    try:
        return decode_global_id(global_id, type_name)
    except BadUserInput as error:
        return user_error(field, error.message, UserErrorCode.INVALID)

"""GraphQL over HTTP: which media type an answer goes out in, and with what status.

A client that prefers `application/graphql-response+json` (the specification's media
type) gets it, and with it status codes that say what happened: a request error (the
document does not parse or validate, the operation cannot be chosen, the variables do not
coerce, a limit or a bad token refuses it) is a 4xx answer without `data`; a server fault
before execution a 500. Every other client gets `application/json` and 200, as
`application/json` clients always have (docs/graphql-over-http.md).
"""

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from shopgraph.schema.errors import RequestErrorCode

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

_STATUS_BY_CODE = {
    RequestErrorCode.UNAUTHENTICATED: 401,
    RequestErrorCode.FORBIDDEN: 403,
}
BAD_REQUEST = 400
SERVER_FAULT = 500


# How much a client wants a media type: the quality of the most specific range of its
# Accept header that matches it (RFC 9110, 12.5.1), then how specific that range is (2 for
# type/subtype, 1 for type/*, 0 for */*) and how early it was listed (minus its position),
# which break ties between equal qualities.
Preference = tuple[float, int, int]
UNACCEPTABLE: Preference = (0.0, -1, 0)


def _media_ranges(accept: str) -> list[tuple[str, float]]:
    """(media range, quality) in the order listed; a range with a malformed q is left out."""
    ranges = []
    for part in accept.split(","):
        name, *parameters = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        try:
            for parameter in parameters:
                key, _, value = parameter.partition("=")
                if key.strip().lower() == "q":
                    quality = min(max(float(value), 0.0), 1.0)
        except ValueError:
            continue
        if name:
            ranges.append((name.lower(), quality))
    return ranges


def _preference(media_type: str, ranges: list[tuple[str, float]]) -> Preference:
    patterns = {media_type: 2, media_type.split("/")[0] + "/*": 1, "*/*": 0}
    matches = [
        (patterns[name], quality, -position)
        for position, (name, quality) in enumerate(ranges)
        if name in patterns
    ]
    if not matches:
        return UNACCEPTABLE
    specificity, quality, earliness = max(matches)  # the first of the most specific
    return quality, specificity, earliness


def response_media_type(accept: str | None) -> str:
    """`application/graphql-response+json` when the Accept header prefers it to
    `application/json`: names it (a wildcard does not), with a higher quality, or an equal
    one from a range as specific and listed earlier. Anything else, no header or one that
    accepts neither type included, gets `application/json`, as before this media type."""
    ranges = _media_ranges(accept or "")
    wanted = _preference(GRAPHQL_RESPONSE_JSON, ranges)
    quality, specificity, _ = wanted
    if specificity < 2 or quality == 0:
        return JSON
    return GRAPHQL_RESPONSE_JSON if wanted > _preference(JSON, ranges) else JSON


def _status_of(error: GraphQLError) -> int:
    original = error.original_error
    if original is not None and not isinstance(original, GraphQLError):
        return SERVER_FAULT  # an exception escaped before execution: a bug or an outage
    code = (error.extensions or {}).get("code")
    return _STATUS_BY_CODE.get(code, BAD_REQUEST) if isinstance(code, str) else BAD_REQUEST


def request_error_status(result: ExecutionResult) -> int | None:
    """The 4xx or 5xx status of a result that a request error ended before execution, or
    None when the operation was executed (its `data` is then part of the answer, even
    null after a field error). Request errors concern the whole request and carry no
    `path`; field errors always do. Of several, the client's fault comes first."""
    errors = result.errors or []
    if result.data is not None or not errors or any(e.path is not None for e in errors):
        return None
    statuses = [_status_of(error) for error in errors]
    client_faults = [status for status in statuses if status < SERVER_FAULT]
    return min(client_faults) if client_faults else SERVER_FAULT

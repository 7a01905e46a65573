"""Label values that come from outside, kept few and short.

An operation name is the client's to choose: every new name would be a new time series in
every process, so a client could grow the metrics without end. A name is kept as it is
only while fewer than `limit` names are known to this process; later ones count as
`other`. Anything that is not a GraphQL name, or is longer than `MAX_LENGTH`, is `invalid`.
"""

import re

MAX_LENGTH = 64
ANONYMOUS = "anonymous"
OTHER = "other"
INVALID = "invalid"
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
COLLECTION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z.-]*")


def clean_name(name: str | None, pattern: re.Pattern[str] = GRAPHQL_NAME) -> str:
    """A name safe to log and to use as a label value: one that `pattern` matches, of at
    most `MAX_LENGTH` characters, or `anonymous`/`invalid`."""
    if not name:
        return ANONYMOUS
    if len(name) > MAX_LENGTH or not pattern.fullmatch(name):
        return INVALID
    return name


class BoundedLabels:
    """The first `limit` distinct names seen by this process, and `other` after them."""

    def __init__(self, limit: int, pattern: re.Pattern[str] = GRAPHQL_NAME) -> None:
        self.limit = limit
        self.pattern = pattern
        self._known: set[str] = set()

    def label(self, name: str | None) -> str:
        cleaned = clean_name(name, self.pattern)
        if cleaned in (ANONYMOUS, INVALID) or cleaned in self._known:
            return cleaned
        if len(self._known) >= self.limit:
            return OTHER
        self._known.add(cleaned)
        return cleaned

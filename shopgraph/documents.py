"""The shape every layer passes MongoDB documents around in."""

from typing import Any

Document = dict[str, Any]

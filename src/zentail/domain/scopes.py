"""The scope catalogue: ``<resource>:<access>`` (RFC 6749 §3.3 scope tokens).

Zentail publishes no scope names; these are ours, documented in ``docs/api.md``.
"""

from __future__ import annotations

from zentail.domain.errors import InvalidInput

SCOPES: dict[str, str] = {
    "salesOrder:read": "Read your sales orders",
    "salesOrder:write": "Create sales orders, mark them paid, cancel them and record shipments",
    "warehouse:read": "See your warehouses",
    "inventory:read": "Read inventory levels",
    "inventory:write": "Update inventory levels",
    "listing:read": "Read your product listings",
}

ALL_SCOPES = frozenset(SCOPES)


def parse_scopes(value: str | list[str] | tuple[str, ...], *, field: str = "scopes") -> list[str]:
    """Parse a space- or comma-separated scope list; unknown names are an error.

    Returns the scopes de-duplicated, in catalogue order.
    """
    names = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    unknown = sorted(set(names) - ALL_SCOPES)
    if unknown:
        raise InvalidInput(field, f"unknown scope(s): {', '.join(unknown)}")
    if not names:
        raise InvalidInput(field, "at least one scope is required")
    return [scope for scope in SCOPES if scope in names]


def join_scopes(scopes: list[str] | frozenset[str]) -> str:
    return " ".join(scope for scope in SCOPES if scope in scopes)


def describe(scopes: str) -> list[str]:
    """Plain-words descriptions of a stored scope string, for consent pages."""
    return [SCOPES[name] for name in scopes.split() if name in SCOPES]

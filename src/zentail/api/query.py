"""Query-parameter conventions shared by every resource (zentail-api.md §5, Q13 and the
array parameters): comma-separated lists, timestamps with a zone, and the two spellings
``lastUpdatedTs`` / ``lastUpdateTs`` that Zentail's own documentation mixes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from zentail.api import timestamps
from zentail.domain.errors import InvalidInput
from zentail.storage.models import MAX_ROW_ID

MAX_LIST_VALUES = 100


def split_list(value: str | None, name: str) -> tuple[str, ...]:
    """A comma-separated list (at most 100 values). Zentail's inventory guide wraps the list
    in single quotes (``skus='A,B'``); one pair of surrounding quotes is removed."""
    if not value:
        return ()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    parts = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    if len(parts) > MAX_LIST_VALUES:
        raise InvalidInput(name, f"takes at most {MAX_LIST_VALUES} values")
    return parts


def int_list(value: str | None, name: str) -> tuple[int, ...]:
    """A comma-separated list of integer ids."""
    parts = split_list(value, name)
    try:
        ids = tuple(int(part) for part in parts)
    except ValueError:
        raise InvalidInput(name, "must be comma-separated integers") from None
    if any(not 1 <= id_ <= MAX_ID for id_ in ids):
        raise InvalidInput(name, f"ids are between 1 and {MAX_ID}")
    return ids


# Declared on every timestamp parameter (OpenAPI ``format: date-time``, RFC 3339 §5.6);
# the parser (:func:`zentail.api.timestamps.parse`) also requires a zone and a year 1-9999.
TIMESTAMP_FORMAT: dict[str, str] = {"format": "date-time"}
# A timestamp field of a request or response body, declared the same way.
Timestamp = Annotated[str, Field(json_schema_extra=TIMESTAMP_FORMAT)]


def timestamp(value: str | None, name: str) -> dt.datetime | None:
    return timestamps.parse(value, name) if value else None


def last_updated(
    documented: str | None, other: str | None, *, names: tuple[str, str]
) -> str | None:
    """Either spelling of the last-update filter; both with different values is a 400."""
    if documented and other and documented != other:
        raise InvalidInput(names[1], f"conflicts with {names[0]}; send one of them")
    return documented or other


# Every text input refuses control characters (PostgreSQL cannot even store NUL), and every
# id is bounded to what its column holds, so odd input is a 400, never a database error.
NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = MAX_ROW_ID
MAX_ORDER_NUMBER = 9_223_372_036_854_775_807
MAX_QUANTITY = 1_000_000

Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NO_CONTROL_CHARS)]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=100, pattern=NO_CONTROL_CHARS)
]
OptionalText = Annotated[str, StringConstraints(max_length=200, pattern=NO_CONTROL_CHARS)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

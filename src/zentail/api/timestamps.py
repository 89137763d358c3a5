"""Zentail's timestamp convention: ISO 8601 with a zone, in and out (``Z`` out)."""

from __future__ import annotations

import datetime as dt
import re

from zentail.domain.errors import InvalidInput

# Zentail's documented pattern, with its two typos fixed (doubled backslashes, and `|`
# accepted as an offset sign); seconds may be 60 (leap second) and are then clamped to 59.
_PATTERN = re.compile(
    r"^(\d{4})-(0[1-9]|1[012])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)"
    r"(\.\d{1,9})?([Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)$"
)
# The instants every layer can hold and compute with: a day inside Python's datetime range
# (years 1 to 9999), so that converting to UTC, storing and comparing never overflow.
EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def parse(value: str, field: str) -> dt.datetime:
    """Parse an ISO 8601 timestamp that carries a zone, as an aware UTC datetime between
    :data:`EARLIEST` and :data:`LATEST`. Anything else, including a valid timestamp this
    server cannot represent (``0001-01-01T00:00:00+01:00`` is before year 1 in UTC), is
    ``InvalidInput`` (a 400), never an exception of another kind.

    The one timestamp parser of the API: every filter, body field and cursor goes through it.
    """
    match = _PATTERN.match(value.strip())
    if not match:
        raise InvalidInput(
            field, "must be an ISO 8601 timestamp with a zone, e.g. 2019-05-06T16:49:49.199Z"
        )
    text = match.group(0)
    if match.group(6) == "60":
        text = text[:17] + "59" + text[19:]
    fraction = match.group(7) or ""
    if len(fraction) > 7:  # fromisoformat takes at most microseconds
        text = text.replace(fraction, fraction[:7], 1)
    text = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        parsed = dt.datetime.fromisoformat(text.replace("t", "T")).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise InvalidInput(field, "is not a valid date") from None
    if not EARLIEST <= parsed <= LATEST:
        raise InvalidInput(field, f"must lie between {render(EARLIEST)} and {render(LATEST)}")
    return parsed


def render(value: dt.datetime) -> str:
    """UTC, ``Z`` suffix, millisecond precision: ``2019-05-06T16:49:49.199Z``."""
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_exact(value: dt.datetime) -> str:
    """Like :func:`render` but with microseconds, for cursors that must round-trip exactly."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")

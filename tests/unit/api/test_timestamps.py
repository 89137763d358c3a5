"""zentail.api.timestamps: Zentail's ISO 8601 timestamps with a zone, as the filters
(``orderTs``, ``lastUpdatedTs``, ``validAsOf``, …) read them and the API writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zentail.api import timestamps
from zentail.domain.errors import InvalidInput

UTC = dt.UTC
aware_datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(UTC)
)


def parse(value: str) -> dt.datetime:
    return timestamps.parse(value, "orderTs")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-05-06T16:49:49.199Z", dt.datetime(2019, 5, 6, 16, 49, 49, 199_000, UTC)),
        ("2019-05-06T16:49:49Z", dt.datetime(2019, 5, 6, 16, 49, 49, tzinfo=UTC)),
        ("2019-05-06t16:49:49z", dt.datetime(2019, 5, 6, 16, 49, 49, tzinfo=UTC)),
        ("2019-05-06T12:49:49-04:00", dt.datetime(2019, 5, 6, 16, 49, 49, tzinfo=UTC)),
        ("2019-05-06T18:49:49+02:00", dt.datetime(2019, 5, 6, 16, 49, 49, tzinfo=UTC)),
        ("2019-05-06T16:49:49.123456789Z", dt.datetime(2019, 5, 6, 16, 49, 49, 123_456, UTC)),
        ("2016-12-31T23:59:60Z", dt.datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (" 2019-05-06T16:49:49Z ", dt.datetime(2019, 5, 6, 16, 49, 49, tzinfo=UTC)),
    ],
)
def test_timestamps_with_a_zone_are_read_as_utc(value: str, expected: dt.datetime) -> None:
    """Offsets are converted, a leap second is clamped to :59, and fractions beyond
    microseconds are cut."""
    assert parse(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2019-05-06T16:49:49",  # no zone
        "2019-05-06",
        "2019-05-06 16:49:49Z",
        "2019-13-06T16:49:49Z",
        "2019-02-30T16:49:49Z",
        "2019-05-06T24:00:00Z",
        "2019-05-06T16:49:49|05:00",
        "2019-05-06T16:49:49+0500",
        "2019-05-06T16:49:49.Z",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:59:59-01:00",  # past the last representable instant in UTC
        "0001-01-01T00:00:00+01:00",  # before the first
        "",
    ],
)
def test_anything_else_is_invalid_input_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(value)
    assert raised.value.field == "orderTs"


@given(st.text())
@example("9999-12-31T23:59:59-23:59")
@example("٢٠١٩-05-06T16:49:49Z")
def test_any_text_is_a_utc_datetime_or_invalid_input(value: str) -> None:
    try:
        parsed = parse(value)
    except InvalidInput:
        return
    assert parsed.tzinfo is UTC


@given(aware_datetimes)
def test_the_exact_rendering_round_trips(value: dt.datetime) -> None:
    """``render_exact`` keeps microseconds (paging cursors); it reads back as the same instant."""
    assert parse(timestamps.render_exact(value)) == value


@given(aware_datetimes)
def test_the_rendering_is_utc_with_a_z_and_milliseconds(value: dt.datetime) -> None:
    rendered = timestamps.render(value)
    assert rendered.endswith("Z")
    assert len(rendered) == len("2019-05-06T16:49:49.199Z")
    assert parse(rendered) == value.replace(microsecond=value.microsecond // 1000 * 1000)

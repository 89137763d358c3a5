"""zentail.api.paging: Zentail's paging — ``pageLength`` bounds, and ``nextToken`` URLs that
carry the first request's filters and a keyset cursor, signed and bound to their endpoint."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from zentail.api import paging
from zentail.crypto import Keyring
from zentail.domain.errors import InvalidInput

KEYRING = Keyring("unit-test-secret-key-0123456789abcdef0123456789")
ISSUER = "http://testserver"


def request(path: str = "/v1/salesOrder", query: str = "", keyring: Keyring = KEYRING) -> Request:
    """A request as the paging code sees it: the app's keyring and issuer, the URL (no I/O)."""
    platform = SimpleNamespace(keyring=keyring, settings=SimpleNamespace(issuer=ISSUER))
    app = SimpleNamespace(state=SimpleNamespace(platform=platform))
    scope = {
        "type": "http",
        "app": app,
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver")],
    }
    return Request(scope)


def first_page(query: dict[str, Any], limit: int | None = None) -> paging.PageRequest:
    return paging.begin(request(), next_token=None, page_length_value=limit, query=query)


def next_token_of(page: paging.Page[Any]) -> str:
    assert page.pagination.nextToken is not None
    (token,) = parse_qs(urlsplit(page.pagination.nextToken).query)["nextToken"]
    return token


def respond(page: paging.PageRequest, rows: list[int], path: str = "/v1/salesOrder") -> Any:
    return paging.respond(
        request(path), page, rows, cursor=lambda row: [row], render=lambda row: {"n": row}
    )


# --- pageLength --------------------------------------------------------------------------


def test_the_default_page_length_is_25() -> None:
    assert paging.page_length(None) == 25


@given(st.integers())
def test_a_page_length_is_accepted_exactly_from_1_to_100(value: int) -> None:
    if 1 <= value <= 100:
        assert paging.page_length(value) == value
    else:
        with pytest.raises(InvalidInput) as raised:
            paging.page_length(value)
        assert raised.value.field == "pageLength"


# --- the first page and the next ---------------------------------------------------------


def test_the_first_page_keeps_only_the_filters_that_were_sent() -> None:
    page = first_page({"status": "PENDING", "orderTs": None}, limit=2)
    assert (dict(page.query), page.limit, page.after) == ({"status": "PENDING"}, 2, None)


def test_a_page_with_fewer_rows_than_its_length_is_the_last() -> None:
    page = respond(first_page({}, limit=3), [1, 2, 3])
    assert [row["n"] for row in page.results] == [1, 2, 3]
    assert (page.pagination.hasNext, page.pagination.nextToken) == (False, None)


def test_the_extra_row_only_says_that_a_next_page_exists() -> None:
    page = respond(first_page({}, limit=2), [1, 2, 3])
    assert [row["n"] for row in page.results] == [1, 2]
    assert page.pagination.hasNext is True


def test_the_next_token_is_this_endpoints_url_with_only_next_token_in_the_query() -> None:
    page = respond(first_page({"status": "PENDING"}, limit=2), [1, 2, 3])
    url = urlsplit(page.pagination.nextToken)
    assert (url.scheme, url.netloc, url.path) == ("http", "testserver", "/v1/salesOrder")
    assert list(parse_qs(url.query)) == ["nextToken"]


@given(
    st.dictionaries(st.sampled_from(["status", "orderTs", "skus"]), st.text(max_size=20)),
    st.integers(min_value=1, max_value=100),
    st.integers(min_value=1, max_value=2**62),
)
def test_the_next_token_carries_the_filters_the_length_and_the_cursor(
    query: dict[str, str], limit: int, last_row: int
) -> None:
    """The token overrides every other parameter, as Zentail's listing reference says."""
    rows = [*range(last_row - limit + 1, last_row + 1), last_row + 1]
    token = next_token_of(respond(first_page(query, limit), rows))
    later = paging.begin(request(), next_token=token, page_length_value=7, query={"x": "y"})
    assert (dict(later.query), later.limit, list(later.after or [])) == (query, limit, [last_row])


def test_a_token_of_another_endpoint_is_invalid_input_naming_next_token() -> None:
    token = next_token_of(respond(first_page({}, limit=1), [1, 2], path="/v1/listing"))
    with pytest.raises(InvalidInput) as raised:
        paging.begin(request("/v1/salesOrder"), next_token=token, page_length_value=None, query={})
    assert raised.value.field == "nextToken"


def test_a_token_signed_under_another_secret_key_is_invalid_input() -> None:
    token = next_token_of(respond(first_page({}, limit=1), [1, 2]))
    other = request(keyring=Keyring("another-secret-key-0123456789abcdef0123456789"))
    with pytest.raises(InvalidInput):
        paging.begin(other, next_token=token, page_length_value=None, query={})


@given(st.text(min_size=1))
def test_any_other_token_is_invalid_input_naming_next_token(token: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        paging.begin(request(), next_token=token, page_length_value=None, query={})
    assert raised.value.field == "nextToken"


# --- keyset cursors by (timestamp, id) ------------------------------------------------------


@given(
    st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.just(dt.UTC),
    ),
    st.integers(min_value=1, max_value=2**62),
)
def test_a_time_cursor_round_trips_to_the_microsecond(ts: dt.datetime, row_id: int) -> None:
    page = paging.PageRequest({}, 25, paging.time_key(ts, row_id))
    assert paging.time_cursor(page) == (ts, row_id)


def test_the_first_page_has_no_time_cursor() -> None:
    assert paging.time_cursor(paging.PageRequest({}, 25, None)) is None

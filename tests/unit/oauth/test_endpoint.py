"""zentail.oauth.endpoint: the steps every client-authenticated endpoint shares, before any
storage is touched — POST only, no query string, a form body, and the form's parameters
(RFC 6749 §3.2)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zentail.oauth.endpoint import (
    OAuthHttpRequest,
    parse_form,
    reject_query_parameters,
    require_form_body,
    require_post,
)
from zentail.oauth.errors import InvalidRequest, MethodNotAllowed


def request(
    method: str = "POST",
    content_type: str | None = "application/x-www-form-urlencoded",
    query_string: bytes = b"",
) -> OAuthHttpRequest:
    return OAuthHttpRequest(method, content_type, query_string, b"", None)


# --- require_post ----------------------------------------------------------------------


def test_post_passes() -> None:
    require_post(request("POST"))


@given(st.text().filter(lambda method: method != "POST"))
@example("post")
@example("GET")
@example("HEAD")
def test_any_other_method_is_405_with_allow_post(method: str) -> None:
    with pytest.raises(MethodNotAllowed) as raised:
        require_post(request(method))
    assert raised.value.status_code == 405
    assert raised.value.headers()["Allow"] == "POST"


# --- reject_query_parameters ------------------------------------------------------------


def test_no_query_string_passes() -> None:
    reject_query_parameters(request(query_string=b""))


@given(st.binary(min_size=1))
@example(b"client_secret=s")
@example(b"?")
def test_any_query_string_is_invalid_request(query_string: bytes) -> None:
    """Credentials and grant parameters never travel in the URL (OAuth 2.1 §3.2)."""
    with pytest.raises(InvalidRequest):
        reject_query_parameters(request(query_string=query_string))


# --- require_form_body -------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "Application/X-WWW-Form-Urlencoded",
        " application/x-www-form-urlencoded ;charset=utf-8",
    ],
)
def test_a_form_content_type_passes_whatever_its_case_and_parameters(content_type: str) -> None:
    require_form_body(request(content_type=content_type))


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "",
        "application/json",
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/x-www-form-urlencodedx",
        "application/x-www-form-urlencoded, application/json",
    ],
)
def test_anything_but_a_form_is_invalid_request(content_type: str | None) -> None:
    """RFC 6749 §4.1.3: the body is ``application/x-www-form-urlencoded``."""
    with pytest.raises(InvalidRequest, match="Content-Type"):
        require_form_body(request(content_type=content_type))


# --- parse_form ---------------------------------------------------------------------------

names = st.text(min_size=1, max_size=20)
values = st.text(max_size=40)


@given(st.dictionaries(names, values, max_size=8))
def test_distinct_parameters_round_trip_and_empty_ones_are_absent(params: dict[str, str]) -> None:
    """RFC 6749 §3.2: "Parameters sent without a value MUST be treated as if they were
    omitted from the request"."""
    parsed = parse_form(urlencode(params).encode())
    assert parsed == {name: value for name, value in params.items() if value != ""}


@pytest.mark.parametrize(
    ("body", "description"),
    [
        (b"code=a&code=b", "code is repeated"),
        (b"code=&code=b", "code is repeated"),
        (b"grant_type=x&code=1&grant_type=x", "grant_type is repeated"),
        (b"a%20b=1&a+b=2", "A parameter is repeated"),
        (b"%22=1&%22=2", "A parameter is repeated"),
    ],
)
def test_a_repeated_parameter_is_invalid_request(body: bytes, description: str) -> None:
    """RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once".
    The parameter is named only when its name is safe to show in ``error_description``."""
    with pytest.raises(InvalidRequest) as raised:
        parse_form(body)
    assert raised.value.description == description


def test_a_body_that_is_not_utf8_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="UTF-8"):
        parse_form(b"grant_type=authorization_code&code=\xff")


def test_a_percent_encoded_value_that_is_not_utf8_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest, match="UTF-8"):
        parse_form(b"code=%ff")


@given(st.binary(max_size=200))
@example(b"grant_type%0A=1&grant_type%0A=2")
def test_any_body_parses_or_is_invalid_request(body: bytes) -> None:
    try:
        parsed = parse_form(body)
    except InvalidRequest:
        return
    assert "" not in parsed.values()


def has_no_newline(body: bytes) -> bool:
    return b"\n" not in body and b"%0a" not in body.lower()


@given(st.binary(max_size=200).filter(has_no_newline))
def test_any_body_without_a_newline_parses_or_is_invalid_request(body: bytes) -> None:
    try:
        parsed = parse_form(body)
    except InvalidRequest:
        return
    assert "" not in parsed.values()

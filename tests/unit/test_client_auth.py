"""Client authentication parsing (RFC 6749 §2.3.1)."""

from __future__ import annotations

import base64

import pytest

from zentail.oauth.client_auth import extract, parse_basic
from zentail.oauth.errors import InvalidClient, InvalidRequest


def encode(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


def test_documented_example_header_with_trailing_newline_decodes_to_the_secret() -> None:
    header = (
        "Basic Njc3OWVmMjBlNzU4MTdiNzk2MDI6MzE0MDg0MjFmYjM5MzM0YTczMGZjOTJlNDFlOTY5ODZi"
        "NjBmNjUyMmExM2Y2MzFlYzkzYWZhNmY2YzRlMGNiMwo="
    )
    assert parse_basic(header) == (
        "6779ef20e75817b79602",
        "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3",
    )


def test_only_one_trailing_newline_is_tolerated() -> None:
    assert parse_basic(encode("id:secret\n\n")) == ("id", "secret\n")


def test_credentials_are_form_decoded_after_base64() -> None:
    assert parse_basic(encode("my%20client:a%2Bb%3Ac+d")) == ("my client", "a+b:c d")


@pytest.mark.parametrize("header", ["Bearer aWQ6c2VjcmV0", "Basic !!!", encode("no-colon")])
def test_malformed_or_non_basic_headers_do_not_authenticate(header: str) -> None:
    with pytest.raises(InvalidClient):
        parse_basic(header)


def test_two_authentication_methods_in_one_request_are_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        extract(encode("id:secret"), {"client_secret": "secret"})

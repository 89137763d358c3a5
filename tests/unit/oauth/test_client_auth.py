"""zentail.oauth.client_auth: which client credentials a request presents (RFC 6749 §2.3)."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zentail.oauth.client_auth import BASIC, POST, extract, parse_basic
from zentail.oauth.errors import InvalidClient, InvalidRequest

# Zentail's guide builds its example header with `echo id:secret | base64`.
DOCUMENTED_HEADER = (
    "Basic Njc3OWVmMjBlNzU4MTdiNzk2MDI6MzE0MDg0MjFmYjM5MzM0YTczMGZjOTJlNDFlOTY5ODZi"
    "NjBmNjUyMmExM2Y2MzFlYzkzYWZhNmY2YzRlMGNiMwo="
)
DOCUMENTED_ID = "6779ef20e75817b79602"
DOCUMENTED_SECRET = "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3"

client_ids = st.text(min_size=1)
secrets = st.text()
printable_ids = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=128
)


def encode(raw: str) -> str:
    return "Basic " + base64.b64encode(raw.encode()).decode()


def form_encoded(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-encode (Appendix B) each half, then base64 ``id:secret``."""
    return encode(f"{quote_plus(client_id)}:{quote_plus(secret)}")


# --- parse_basic: RFC 6749 §2.3.1 -------------------------------------------------------


def test_the_documented_header_with_echos_trailing_newline_decodes_to_the_secret() -> None:
    assert parse_basic(DOCUMENTED_HEADER) == (DOCUMENTED_ID, DOCUMENTED_SECRET)


@given(client_ids, secrets)
def test_each_half_is_form_decoded_after_base64(client_id: str, secret: str) -> None:
    assert parse_basic(form_encoded(client_id, secret)) == (client_id, secret)


@given(client_ids, secrets)
def test_one_trailing_newline_after_the_encoded_secret_is_dropped(
    client_id: str, secret: str
) -> None:
    """``echo id:secret | base64`` encodes echo's newline; form-encoding a real newline in a
    secret gives ``%0A``, so the raw one can only be echo's."""
    header = encode(f"{quote_plus(client_id)}:{quote_plus(secret)}\n")
    assert parse_basic(header) == (client_id, secret)


def test_only_one_trailing_newline_is_dropped() -> None:
    assert parse_basic(encode("id:secret\n\n")) == ("id", "secret\n")


def test_the_split_is_on_the_first_colon_so_the_secret_may_hold_colons() -> None:
    assert parse_basic(encode("id:a:b")) == ("id", "a:b")


def test_an_unencoded_plus_decodes_to_a_space() -> None:
    assert parse_basic(encode("my+client:a+b")) == ("my client", "a b")


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
def test_the_scheme_is_case_insensitive(scheme: str) -> None:
    """RFC 9110 §11.1: the authentication scheme is a case-insensitive token."""
    assert parse_basic(f"{scheme} {base64.b64encode(b'id:s').decode()}") == ("id", "s")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer aWQ6c2VjcmV0",
        "Basic2 aWQ6c2VjcmV0",
        "Basic",
        "Basic !!!",
        "Basic aWQ6c2VjcmV",  # not a multiple of four characters
        encode("no-colon"),
        encode(":secret-without-id"),
        "Basic " + base64.b64encode(b"\xff\xfe:secret").decode(),  # not UTF-8
    ],
)
def test_malformed_or_non_basic_headers_are_invalid_client(header: str) -> None:
    with pytest.raises(InvalidClient) as raised:
        parse_basic(header)
    assert raised.value.status_code == 401


@given(st.one_of(st.text(), st.builds("Basic {}".format, st.text())))
@example("Basic " + base64.b64encode(b"a:\x00\n").decode())
def test_any_header_parses_or_is_invalid_client(header: str) -> None:
    try:
        client_id, _ = parse_basic(header)
    except InvalidClient:
        return
    assert client_id


@given(st.binary())
def test_any_base64_payload_parses_or_is_invalid_client(payload: bytes) -> None:
    try:
        client_id, _ = parse_basic("Basic " + base64.b64encode(payload).decode())
    except InvalidClient:
        return
    assert client_id


# --- extract: RFC 6749 §2.3 --------------------------------------------------------------


def test_a_basic_header_is_client_secret_basic() -> None:
    presented = extract(form_encoded("id", "secret"), {"grant_type": "authorization_code"})
    assert (presented.client_id, presented.client_secret, presented.method) == (
        "id",
        "secret",
        BASIC,
    )


def test_body_credentials_are_client_secret_post() -> None:
    presented = extract(None, {"client_id": "id", "client_secret": "secret"})
    assert (presented.client_id, presented.client_secret, presented.method) == (
        "id",
        "secret",
        POST,
    )


def test_a_basic_header_with_the_same_client_id_in_the_body_is_client_secret_basic() -> None:
    """RFC 6749 §4.1.3 lets the client send ``client_id`` beside its authentication."""
    assert extract(form_encoded("id", "s"), {"client_id": "id"}).method == BASIC


def test_a_basic_header_and_a_body_secret_are_two_methods_and_invalid_request() -> None:
    """RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in each
    request"."""
    with pytest.raises(InvalidRequest):
        extract(form_encoded("id", "secret"), {"client_id": "id", "client_secret": "secret"})
    with pytest.raises(InvalidRequest):
        extract(form_encoded("id", "secret"), {"client_secret": "secret"})


def test_a_body_client_id_that_contradicts_the_header_is_invalid_request() -> None:
    with pytest.raises(InvalidRequest):
        extract(form_encoded("id", "secret"), {"client_id": "someone-else"})


@pytest.mark.parametrize(
    "params",
    [{}, {"client_id": "id"}, {"client_secret": "secret"}, {"grant_type": "authorization_code"}],
)
def test_no_complete_credentials_is_invalid_client(params: dict[str, str]) -> None:
    """There are no public clients: a client ID alone does not authenticate."""
    with pytest.raises(InvalidClient):
        extract(None, params)


@given(printable_ids)
def test_a_printable_ascii_client_id_up_to_128_characters_is_looked_up(client_id: str) -> None:
    assert extract(None, {"client_id": client_id, "client_secret": "s"}).client_id == client_id


def implausible(client_id: str) -> bool:
    return not (len(client_id) <= 128 and client_id.isascii() and client_id.isprintable())


@given(st.text(min_size=1).filter(implausible))
@example("abc\n")
@example("a" * 129)
@example("é")
def test_any_other_client_id_is_invalid_client_without_a_lookup(client_id: str) -> None:
    """Only printable ASCII, at most 128 characters, reaches the database (PostgreSQL would
    refuse a NUL; nothing this server issues looks otherwise)."""
    with pytest.raises(InvalidClient):
        extract(None, {"client_id": client_id, "client_secret": "s"})

"""zentail.oauth.authorize: the authorization request (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636
§4.3) and the response's location (RFC 6749 §4.1.2, RFC 9207)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zentail.oauth.authorize import (
    AuthorizationRequest,
    RedirectedError,
    RegisteredClient,
    UntrustedRedirect,
    response_location,
    success_location,
    validate,
)
from zentail.oauth.pkce import s256

REDIRECT_URI = "https://partner.example/oauth_callback"
ISSUER = "https://zentail.example"
CHALLENGE = s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
CLIENT = RegisteredClient("client-1", REDIRECT_URI, ("salesOrder:read", "inventory:read"), True)
VALID = {
    "response_type": "code",
    "client_id": "client-1",
    "redirect_uri": REDIRECT_URI,
    "scope": "salesOrder:read",
    "state": "xyz",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def pairs(**changes: str | None) -> list[tuple[str, str]]:
    params = VALID | changes
    return [(name, value) for name, value in params.items() if value is not None]


def refused(params: list[tuple[str, str]], client: RegisteredClient = CLIENT) -> RedirectedError:
    with pytest.raises(RedirectedError) as raised:
        validate(params, client)
    return raised.value


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def test_a_valid_request_names_the_client_uri_scopes_state_and_challenge() -> None:
    assert validate(pairs(), CLIENT) == AuthorizationRequest(
        "client-1", REDIRECT_URI, ("salesOrder:read",), "xyz", CHALLENGE
    )


def test_an_omitted_scope_grants_every_registered_scope() -> None:
    assert validate(pairs(scope=None), CLIENT).scopes == CLIENT.scopes


def test_requested_scopes_come_back_in_registered_order_without_duplicates() -> None:
    request = validate(pairs(scope="inventory:read salesOrder:read inventory:read"), CLIENT)
    assert request.scopes == ("salesOrder:read", "inventory:read")


def test_an_unknown_client_is_not_redirected() -> None:
    with pytest.raises(UntrustedRedirect):
        validate(pairs(), None)


def test_a_request_for_another_client_is_not_redirected() -> None:
    with pytest.raises(UntrustedRedirect):
        validate(pairs(client_id="client-2"), CLIENT)


@pytest.mark.parametrize(
    "redirect_uri",
    [
        None,
        REDIRECT_URI + "/",
        REDIRECT_URI.upper(),
        REDIRECT_URI + "?x=1",
        REDIRECT_URI + "#f",
        "https://partner.example:443/oauth_callback",
        "https://evil.example/oauth_callback",
        "http://partner.example/oauth_callback",
    ],
)
def test_a_redirect_uri_other_than_the_registered_one_is_not_redirected(
    redirect_uri: str | None,
) -> None:
    with pytest.raises(UntrustedRedirect):
        validate(pairs(redirect_uri=redirect_uri), CLIENT)


def test_a_repeated_client_id_or_redirect_uri_is_not_redirected() -> None:
    for name, value in (("client_id", "client-1"), ("redirect_uri", REDIRECT_URI)):
        with pytest.raises(UntrustedRedirect):
            validate([*pairs(), (name, value)], CLIENT)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "salesOrder:write"}, "invalid_scope"),
        ({"scope": "not-a-scope"}, "invalid_scope"),
        ({"scope": " "}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "s256"}, "invalid_request"),
        ({"code_challenge": CHALLENGE[:-1]}, "invalid_request"),
    ],
)
def test_other_errors_are_redirected_with_their_code_and_the_state(
    changes: dict[str, str | None], error: str
) -> None:
    failure = refused(pairs(**changes))
    assert (failure.error.error, failure.redirect_uri, failure.state) == (
        error,
        REDIRECT_URI,
        "xyz",
    )


def test_a_suspended_client_is_unauthorized_client() -> None:
    suspended = RegisteredClient(CLIENT.client_id, REDIRECT_URI, CLIENT.scopes, False)
    assert refused(pairs(), suspended).error.error == "unauthorized_client"


def test_a_repeated_parameter_is_invalid_request_and_a_repeated_state_is_not_echoed() -> None:
    failure = refused([*pairs(), ("state", "other")])
    assert (failure.error.error, failure.state) == ("invalid_request", None)


def test_unknown_parameters_are_ignored_even_when_repeated() -> None:
    assert validate([*pairs(), ("prompt", "a"), ("prompt", "b")], CLIENT).state == "xyz"


def test_the_error_location_carries_error_description_state_and_iss() -> None:
    location = refused(pairs(code_challenge_method="plain")).location(ISSUER)
    assert location.startswith(REDIRECT_URI + "?")
    assert query(location) == {
        "error": "invalid_request",
        "error_description": "code_challenge_method must be S256",
        "state": "xyz",
        "iss": ISSUER,
    }


def test_without_state_the_response_carries_none() -> None:
    request = validate(pairs(state=None), CLIENT)
    assert query(success_location(request, "ztc_1", ISSUER)) == {"code": "ztc_1", "iss": ISSUER}


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1))
def test_any_state_is_echoed_exactly(state: str) -> None:
    request = validate(pairs(state=state), CLIENT)
    assert query(success_location(request, "ztc_1", ISSUER)) == {
        "code": "ztc_1",
        "state": state,
        "iss": ISSUER,
    }


def test_a_registered_query_is_kept_and_the_response_appended_to_it() -> None:
    location = response_location(REDIRECT_URI + "?shop=1", {"code": "c", "state": None})
    assert location == REDIRECT_URI + "?shop=1&code=c"


def test_the_consent_form_parameters_validate_to_the_same_request() -> None:
    request = validate(pairs(scope=None), CLIENT)
    assert validate(list(request.parameters().items()), CLIENT) == request

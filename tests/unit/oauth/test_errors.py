"""zentail.oauth.errors: RFC 6749 §5.2 error responses — codes, statuses, headers, and the
character set of ``error_description``."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from zentail.oauth import errors

# RFC 6749 §5.2: error-description = *( %x20-21 / %x23-5B / %x5D-7E )
ALLOWED = {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

CODES_AND_STATUSES = [
    (errors.InvalidRequest(), "invalid_request", 400),
    (errors.MethodNotAllowed(), "invalid_request", 405),
    (errors.RequestTooLarge(), "invalid_request", 413),
    (errors.InvalidClient(), "invalid_client", 401),
    (errors.InvalidGrant(), "invalid_grant", 400),
    (errors.UnauthorizedClient(), "unauthorized_client", 400),
    (errors.UnsupportedGrantType(), "unsupported_grant_type", 400),
    (errors.InvalidScope(), "invalid_scope", 400),
    (errors.ServerError(), "server_error", 500),
    (errors.SlowDown(3), "slow_down", 429),
]


@pytest.mark.parametrize(("error", "code", "status"), CODES_AND_STATUSES)
def test_each_error_has_its_code_and_status_and_is_no_store(
    error: errors.OAuth2Error, code: str, status: int
) -> None:
    """RFC 6749 §5.1: error responses too carry ``Cache-Control: no-store``."""
    assert (error.body()["error"], error.status_code) == (code, status)
    assert error.headers().items() >= NO_STORE.items()


def test_invalid_client_challenges_with_basic() -> None:
    """RFC 6749 §5.2: a 401 for a client that used the Authorization header must carry
    ``WWW-Authenticate`` with the scheme it used."""
    assert errors.InvalidClient().headers()["WWW-Authenticate"] == 'Basic realm="zentail"'


def test_method_not_allowed_names_post_in_allow() -> None:
    assert errors.MethodNotAllowed().headers()["Allow"] == "POST"


@pytest.mark.parametrize(("retry_after", "header"), [(30, "30"), (1, "1"), (0, "1"), (-5, "1")])
def test_slow_down_tells_when_to_retry_at_least_one_second_ahead(
    retry_after: int, header: str
) -> None:
    assert errors.SlowDown(retry_after).headers()["Retry-After"] == header


def test_the_body_has_a_description_only_when_one_was_given() -> None:
    assert errors.InvalidGrant().body() == {"error": "invalid_grant"}
    assert errors.InvalidGrant("Code expired").body() == {
        "error": "invalid_grant",
        "error_description": "Code expired",
    }
    assert errors.InvalidClient(None).body() == {"error": "invalid_client"}


@given(st.text())
@example("trailing newline\n")
@example('a "quoted" word')
@example("back\\slash")
def test_a_description_is_accepted_exactly_when_every_character_is_in_rfc6749s_set(
    description: str,
) -> None:
    if set(description) <= ALLOWED:
        assert errors.InvalidRequest(description).description == description
    else:
        with pytest.raises(ValueError, match="RFC 6749"):
            errors.InvalidRequest(description)

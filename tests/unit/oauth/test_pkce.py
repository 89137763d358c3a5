"""zentail.oauth.pkce: S256 challenges and the token endpoint's verifier check (RFC 7636)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from zentail.oauth.pkce import is_s256_challenge, is_verifier, s256, verifies

# RFC 7636 Appendix B.
RFC_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
verifiers = st.text(st.sampled_from(UNRESERVED), min_size=43, max_size=128)


def test_s256_of_the_rfc_7636_example_verifier_is_its_example_challenge() -> None:
    assert s256(RFC_VERIFIER) == RFC_CHALLENGE


def test_the_rfc_example_verifier_verifies_its_challenge() -> None:
    assert verifies(RFC_VERIFIER, RFC_CHALLENGE)


@given(verifiers)
def test_every_well_formed_verifier_verifies_its_own_s256_challenge(verifier: str) -> None:
    challenge = s256(verifier)
    assert is_verifier(verifier)
    assert is_s256_challenge(challenge)
    assert verifies(verifier, challenge)


@given(verifiers, verifiers)
def test_a_different_verifier_does_not_verify(verifier: str, other: str) -> None:
    assert verifies(other, s256(verifier)) == (other == verifier)


def test_a_missing_verifier_does_not_verify_a_challenge() -> None:
    assert not verifies(None, RFC_CHALLENGE)


def test_a_verifier_for_a_code_without_challenge_is_refused_as_a_downgrade() -> None:
    assert not verifies(RFC_VERIFIER, None)


def test_no_verifier_and_no_challenge_is_the_install_buttons_flow() -> None:
    assert verifies(None, None)


def test_the_challenge_itself_presented_as_verifier_does_not_verify() -> None:
    """What a client using ``plain`` would send: the challenge string (43 characters)."""
    assert not verifies(RFC_CHALLENGE, RFC_CHALLENGE)


def test_verifier_length_bounds_are_43_and_128() -> None:
    assert not is_verifier("a" * 42)
    assert is_verifier("a" * 43)
    assert is_verifier("a" * 128)
    assert not is_verifier("a" * 129)


@given(st.text(min_size=43, max_size=128).filter(lambda v: any(c not in UNRESERVED for c in v)))
def test_a_verifier_with_a_reserved_character_is_malformed_and_never_verifies(
    verifier: str,
) -> None:
    assert not is_verifier(verifier)
    assert not verifies(verifier, RFC_CHALLENGE)


def test_an_s256_challenge_is_43_base64url_characters() -> None:
    assert not is_s256_challenge(RFC_CHALLENGE[:-1])
    assert not is_s256_challenge(RFC_CHALLENGE + "A")
    assert not is_s256_challenge(RFC_CHALLENGE[:-1] + "=")
    assert not is_s256_challenge(RFC_CHALLENGE[:-1] + "+")

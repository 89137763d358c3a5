"""zentail.domain.redemption.redeem_script, driven without a database: a PostgreSQL
redemption is one statement, which consumes the code and, only if it passes every check, issues
the token; the PKCE check is in that statement, and a refused verifier burns the code
(docs/decisions/0063)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from zentail.domain import redemption
from zentail.domain.actors import Actor
from zentail.oauth import stores
from zentail.oauth.pkce import s256
from zentail.oauth.stores import CodeRedemption
from zentail.storage.gateway import Row, Statement

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REDIRECT_URI = "https://partner.example/oauth_callback"


def redeemed_row(challenge: str | None, token_id: int | None) -> Row:
    """A row of REDEEM_POSTGRESQL: the consumed code's grant, the token (None: refused)."""
    expires = NOW + dt.timedelta(minutes=10)
    issued = NOW - dt.timedelta(minutes=1)
    grant = (7, 1, 3, REDIRECT_URI, "salesOrder:read", expires, None, challenge, issued)
    return (*grant, token_id, "[]")


def run(
    challenge: str | None, verifier: str | None, token_id: int | None
) -> tuple[list[tuple[Statement, dict[str, Any]]], str]:
    """Drive the script against the database's answer; the statements it ran and its outcome."""
    attempt = CodeRedemption("code-digest", 2, REDIRECT_URI, "token-digest", NOW, verifier)
    script = redemption.redeem_script(attempt, Actor(label="test"))
    ran = []
    try:
        statement, params = next(script)
        while True:
            ran.append((statement, params))
            statement, params = script.send([redeemed_row(challenge, token_id)])
    except StopIteration as stop:
        return ran, stop.value.outcome


def test_a_verified_pkce_code_is_one_statement_given_the_verifiers_s256() -> None:
    ran, outcome = run(s256(VERIFIER), VERIFIER, 11)
    assert [statement for statement, _ in ran] == [redemption.REDEEM_POSTGRESQL]
    assert ran[0][1]["verifier_s256"] == s256(VERIFIER)
    assert outcome == stores.REDEEMED


def test_an_install_button_code_without_verifier_is_one_statement_with_no_s256() -> None:
    ran, outcome = run(None, None, 11)
    assert ran[0][1]["verifier_s256"] is None
    assert outcome == stores.REDEEMED


def test_a_malformed_verifier_is_sent_as_a_value_no_challenge_equals() -> None:
    ran, _ = run(None, "short", None)
    assert ran[0][1]["verifier_s256"] == redemption.UNMATCHABLE


@pytest.mark.parametrize(
    ("challenge", "verifier"),
    [(s256(VERIFIER), "b" * 43), (s256(VERIFIER), None), (None, VERIFIER)],
    ids=["wrong verifier", "missing verifier", "verifier without challenge"],
)
def test_a_refused_verifier_consumes_the_code_in_the_one_statement_and_issues_nothing(
    challenge: str | None, verifier: str | None
) -> None:
    ran, outcome = run(challenge, verifier, None)
    assert [statement for statement, _ in ran] == [redemption.REDEEM_POSTGRESQL]
    assert outcome == stores.VERIFIER_MISMATCH


def test_a_statement_that_issued_what_python_refuses_is_an_error_not_a_token() -> None:
    with pytest.raises(AssertionError, match="judged"):
        run(s256(VERIFIER), "b" * 43, 11)


def test_an_opted_in_redemption_stores_its_refresh_token_in_the_same_statement() -> None:
    refresh = stores.NewRefreshToken("refresh-digest", "family", NOW + dt.timedelta(days=90))
    attempt = CodeRedemption(
        "code-digest", 2, REDIRECT_URI, "token-digest", NOW, None, NOW, refresh
    )
    statement, params = next(redemption.redeem_script(attempt, Actor(label="test")))
    assert statement is redemption.REDEEM_POSTGRESQL
    assert (params["refresh_digest"], params["family"], params["expires_at"]) == (
        "refresh-digest",
        "family",
        NOW,
    )

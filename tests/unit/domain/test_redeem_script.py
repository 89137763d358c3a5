"""zentail.domain.redemption.redeem_script, driven without a database: the PKCE check adds
no statement (BEGIN, CONSUME, ISSUE, COMMIT on PostgreSQL) and runs only after the code is
consumed, so a refused verifier burns the code (docs/decisions/0063)."""

from __future__ import annotations

import datetime as dt

from zentail.domain import redemption
from zentail.domain.actors import Actor
from zentail.oauth import stores
from zentail.oauth.pkce import s256
from zentail.oauth.stores import CodeRedemption
from zentail.storage.gateway import Row, Statement

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REDIRECT_URI = "https://partner.example/oauth_callback"


def consumed_row(challenge: str | None) -> Row:
    expires = NOW + dt.timedelta(minutes=10)
    issued = NOW - dt.timedelta(minutes=1)
    return (7, 1, 3, REDIRECT_URI, "salesOrder:read", expires, None, challenge, issued)


def run(challenge: str | None, verifier: str | None) -> tuple[list[Statement], str]:
    """Drive the PostgreSQL script; return the statements it ran and its outcome."""
    attempt = CodeRedemption("code-digest", 2, REDIRECT_URI, "token-digest", NOW, verifier)
    script = redemption.redeem_script(attempt, Actor(label="test"))
    ran: list[Statement] = []
    answers = [
        (redemption.CONSUME, [consumed_row(challenge)]),
        (redemption.ISSUE_POSTGRESQL, [(11, "[]")]),
    ]
    try:
        statement, _ = next(script)
        while True:
            ran.append(statement)
            rows = next(rows for known, rows in answers if known is statement)
            statement, _ = script.send(rows)
    except StopIteration as stop:
        return ran, stop.value.outcome


def test_a_verified_pkce_code_is_consume_then_issue() -> None:
    ran, outcome = run(s256(VERIFIER), VERIFIER)
    assert (ran, outcome) == ([redemption.CONSUME, redemption.ISSUE_POSTGRESQL], "redeemed")


def test_an_install_button_code_without_verifier_is_consume_then_issue() -> None:
    ran, outcome = run(None, None)
    assert (ran, outcome) == ([redemption.CONSUME, redemption.ISSUE_POSTGRESQL], "redeemed")


def test_a_wrong_verifier_consumes_the_code_and_issues_nothing() -> None:
    assert run(s256(VERIFIER), "b" * 43) == ([redemption.CONSUME], stores.VERIFIER_MISMATCH)


def test_a_missing_verifier_consumes_the_code_and_issues_nothing() -> None:
    assert run(s256(VERIFIER), None) == ([redemption.CONSUME], stores.VERIFIER_MISMATCH)


def test_a_verifier_for_a_code_without_challenge_consumes_it_and_issues_nothing() -> None:
    assert run(None, VERIFIER) == ([redemption.CONSUME], stores.VERIFIER_MISMATCH)


def test_an_opted_in_redemption_stores_its_refresh_token_in_the_same_issue_statement() -> None:
    refresh = stores.NewRefreshToken("refresh-digest", "family", NOW + dt.timedelta(days=90))
    attempt = CodeRedemption(
        "code-digest", 2, REDIRECT_URI, "token-digest", NOW, None, NOW, refresh
    )
    script = redemption.redeem_script(attempt, Actor(label="test"))
    statement, _ = next(script)
    assert statement is redemption.CONSUME
    statement, params = script.send([consumed_row(None)])
    assert statement is redemption.ISSUE_POSTGRESQL
    assert (params["refresh_digest"], params["family"], params["expires_at"]) == (
        "refresh-digest",
        "family",
        NOW,
    )

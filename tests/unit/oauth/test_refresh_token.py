"""zentail.oauth.grants.refresh_token.verdict and the token response of
zentail.oauth.grants.issuance, without storage (docs/decisions/0065)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from zentail.crypto import Keyring
from zentail.oauth.grants import refresh_token as grant
from zentail.oauth.grants.issuance import new_tokens, response_body
from zentail.oauth.stores import Client, RefreshState

NOW = dt.datetime(2026, 12, 4, 3, 0, tzinfo=dt.UTC)
LIVE = RefreshState(
    token_id=1,
    app_id=2,
    account_id=3,
    installation_id=4,
    family="f",
    scopes="salesOrder:read",
    expires_at=NOW + dt.timedelta(days=1),
    rotated_at=None,
    revoked=False,
    installed=True,
    successor_used=False,
)
KEYRING = Keyring("k" * 32)


def state(**changes: object) -> RefreshState:
    return dataclasses.replace(LIVE, **changes)  # type: ignore[arg-type]


def test_a_token_never_redeemed_rotates() -> None:
    assert grant.verdict(LIVE, NOW) == grant.ROTATE


def test_a_redeemed_token_whose_successor_was_used_is_reuse() -> None:
    assert grant.verdict(state(rotated_at=NOW, successor_used=True), NOW) == grant.REUSED


def test_a_redeemed_token_presented_again_at_once_is_a_race() -> None:
    assert grant.verdict(state(rotated_at=NOW), NOW) == grant.RACE


def test_a_redeemed_token_presented_after_the_race_window_with_unused_successors_is_grace() -> None:
    rotated = NOW - dt.timedelta(seconds=grant.RACE_SECONDS)
    assert grant.verdict(state(rotated_at=rotated), NOW) == grant.GRACE


def test_an_uninstalled_app_s_token_is_uninstalled_even_when_revoked() -> None:
    assert grant.verdict(state(installed=False, revoked=True), NOW) == grant.UNINSTALLED


def test_an_expired_token_is_expired_not_rotated() -> None:
    assert grant.verdict(state(expires_at=NOW), NOW) == grant.EXPIRED


@given(
    rotated_ago=st.one_of(st.none(), st.integers(0, 10**7)),
    revoked=st.booleans(),
    installed=st.booleans(),
    used=st.booleans(),
    expires_in=st.integers(-(10**7), 10**7),
)
def test_only_a_live_unexpired_token_without_used_successors_ever_issues(
    rotated_ago: int | None, revoked: bool, installed: bool, used: bool, expires_in: int
) -> None:
    rotated = None if rotated_ago is None else NOW - dt.timedelta(seconds=rotated_ago)
    presented = state(
        rotated_at=rotated,
        revoked=revoked,
        installed=installed,
        successor_used=used and rotated is not None,
        expires_at=NOW + dt.timedelta(seconds=expires_in),
    )
    issues = grant.verdict(presented, NOW) in grant.ISSUING
    assert issues == (
        installed
        and not revoked
        and expires_in > 0
        and not (rotated is not None and (used or rotated_ago < grant.RACE_SECONDS))  # type: ignore[operator]
    )


def client(lifetime: int | None) -> Client:
    return Client(1, "c", "https://p.example/cb", True, (), (), lifetime)


def test_an_app_without_a_lifetime_gets_exactly_access_token_and_token_type() -> None:
    tokens = new_tokens(client(None), KEYRING, NOW)
    assert list(response_body(tokens)) == ["access_token", "token_type"]
    assert tokens.refresh is None
    assert tokens.access_expires_at is None


def test_an_opted_in_app_gets_expires_in_and_a_ztr_refresh_token_in_a_new_family() -> None:
    tokens = new_tokens(client(900), KEYRING, NOW)
    body = response_body(tokens)
    assert list(body) == ["access_token", "token_type", "expires_in", "refresh_token"]
    assert body["expires_in"] == 900
    assert body["refresh_token"].startswith("ztr_")
    assert tokens.access_expires_at == NOW + dt.timedelta(seconds=900)
    assert tokens.refresh is not None
    assert tokens.refresh.digest == KEYRING.digest(body["refresh_token"])
    assert tokens.refresh.family != new_tokens(client(900), KEYRING, NOW).refresh.family  # type: ignore[union-attr]

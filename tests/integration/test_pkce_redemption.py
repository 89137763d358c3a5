"""POST /v1/token with PKCE (RFC 7636 §4.5, §4.6): a code minted with an S256 challenge needs
its verifier; a code from the Install button is redeemed as documented, without one, and a
verifier sent for it is refused (RFC 9700 §2.1.1). A refused verifier burns the code
(docs/decisions/0063)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import TestApp, World, exchange, exchange_body
from zentail.oauth.pkce import s256

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
OTHER_VERIFIER = "a" * 43
MISMATCH = (
    "code_verifier is missing or does not match the code_challenge, "
    "or was sent for a code issued without one"
)


def exchange_with_verifier(
    client: TestClient, app: TestApp, code: str, verifier: str
) -> tuple[int, dict[str, str]]:
    response = client.post(
        "/v1/token",
        data={**exchange_body(code, app.redirect_uri), "code_verifier": verifier},
        headers={"Authorization": app.basic},
    )
    return response.status_code, response.json()


def test_a_code_with_a_challenge_and_its_verifier_gets_a_token_for_its_scopes(
    client: TestClient, world: World
) -> None:
    app, account = world.app(scopes="salesOrder:read salesOrder:write"), world.account()
    code = world.pkce_code(app, account, s256(VERIFIER), scopes="salesOrder:read")
    status, body = exchange_with_verifier(client, app, code, VERIFIER)
    assert status == 200
    assert body.keys() == {"access_token", "token_type"}
    token = {"Authorization": body["access_token"]}
    assert client.get("/v1/salesOrder", headers=token).status_code == 200
    new_order = client.post("/v1/salesOrder", json={}, headers=token)
    assert new_order.status_code == 403


@pytest.mark.parametrize(
    "verifier",
    [OTHER_VERIFIER, VERIFIER[:-1], s256(VERIFIER)],
    ids=["another-verifier", "too-short", "the-challenge-itself"],
)
def test_a_wrong_verifier_is_invalid_grant_and_burns_the_code(
    client: TestClient, world: World, verifier: str
) -> None:
    app, account = world.app(), world.account()
    code = world.pkce_code(app, account, s256(VERIFIER))
    assert exchange_with_verifier(client, app, code, verifier) == (
        400,
        {"error": "invalid_grant", "error_description": MISMATCH},
    )
    status, body = exchange_with_verifier(client, app, code, VERIFIER)
    assert (status, body["error"]) == (400, "invalid_grant")


def test_a_missing_verifier_is_invalid_grant_and_burns_the_code(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.pkce_code(app, account, s256(VERIFIER))
    missing = exchange(client, app, code)
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_grant", "error_description": MISMATCH}
    status, _ = exchange_with_verifier(client, app, code, VERIFIER)
    assert status == 400


def test_a_verifier_sent_for_an_install_button_code_is_invalid_grant(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    status, body = exchange_with_verifier(client, app, world.code(app, account), VERIFIER)
    assert (status, body) == (400, {"error": "invalid_grant", "error_description": MISMATCH})


def test_an_empty_code_verifier_counts_as_absent_for_an_install_button_code(
    client: TestClient, world: World
) -> None:
    """An empty value is an absent parameter at the token endpoint (checklist item 6)."""
    app, account = world.app(), world.account()
    status, body = exchange_with_verifier(client, app, world.code(app, account), "")
    assert status == 200
    assert body.keys() == {"access_token", "token_type"}


def test_a_pkce_code_replayed_after_its_exchange_revokes_its_token(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.pkce_code(app, account, s256(VERIFIER))
    status, body = exchange_with_verifier(client, app, code, VERIFIER)
    assert status == 200
    replay_status, replay = exchange_with_verifier(client, app, code, VERIFIER)
    assert (replay_status, replay["error"]) == (400, "invalid_grant")
    orders = client.get("/v1/salesOrder", headers={"Authorization": body["access_token"]})
    assert orders.status_code == 401

"""Checklist §2.C — issuing the code through the platform-initiated Install (items 22–32).

Items 28–29 (303 after the Install form, CSRF and anti-framing on the Install page) belong
to the web UI and items 30–31 (``state``, PKCE) to a partner-initiated flow this server does
not have; docs/security.md says where each stands.
"""

from __future__ import annotations

import base64
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.security.helpers import assert_oauth_error, expire_code, introspect, token_request
from tests.support import ACTOR, World, query_params
from zentail import crypto
from zentail.domain import apps
from zentail.domain.errors import InvalidInput
from zentail.oauth import callback_signature
from zentail.platform import Platform


def test_item_22_codes_carry_256_random_bits_and_never_repeat() -> None:
    codes = {crypto.new_authorization_code() for _ in range(10_000)}
    assert len(codes) == 10_000
    for code in codes:
        body = code.removeprefix(crypto.AUTHORIZATION_CODE_PREFIX)
        assert code.startswith("ztc_")
        assert len(base64.urlsafe_b64decode(body + "=")) == 32  # 256 bits


def test_item_22_install_issues_a_full_entropy_code(world: World) -> None:
    app = world.app()
    code = world.code(app, world.account())
    assert len(base64.urlsafe_b64decode(code.removeprefix("ztc_") + "=")) == 32


def test_item_23_expired_code_is_invalid_grant(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    expire_code(platform, code)
    assert_oauth_error(token_request(client, app, code), 400, "invalid_grant")


def test_item_23_code_lifetime_is_at_most_ten_minutes_by_default(platform: Platform) -> None:
    assert platform.settings.authorization_code_ttl <= 600


def test_item_24_code_is_bound_to_its_client(client: TestClient, world: World) -> None:
    owner, other, account = world.app(), world.app(), world.account()
    code = world.code(owner, account)
    stolen = token_request(client, other, code, redirect_uri=owner.redirect_uri)
    assert_oauth_error(stolen, 400, "invalid_grant")


def test_item_24_code_is_bound_to_its_account_and_install_time_scopes(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(scopes="salesOrder:read"), world.account()
    code = world.code(app, account)
    with platform.db.session(write=True) as session:
        apps.update_app(
            session,
            apps.get_app(session, app.client_id),
            scopes="salesOrder:read salesOrder:write inventory:write",
            actor=ACTOR,
        )
    token = token_request(client, app, code).json()["access_token"]
    described = introspect(client, app, token)
    assert described["account_id"] == account.id
    assert described["scope"] == "salesOrder:read"


def test_item_24_code_is_bound_to_the_registered_redirect_uri(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    install_url = world.install(app, account)
    assert install_url.startswith(app.redirect_uri + "?")
    response = token_request(
        client, app, query_params(install_url)["code"], redirect_uri="https://evil.example/cb"
    )
    assert_oauth_error(response, 400, "invalid_grant")


REGISTERED = "https://partner-{s}.example/cb/done?shop=1&v=2"
NEAR_MISSES = {
    "trailing slash": "https://partner-{s}.example/cb/done/?shop=1&v=2",
    "host case": "https://PARTNER-{s}.example/cb/done?shop=1&v=2",
    "scheme case": "HTTPS://partner-{s}.example/cb/done?shop=1&v=2",
    "path case": "https://partner-{s}.example/CB/done?shop=1&v=2",
    "extra query": "https://partner-{s}.example/cb/done?shop=1&v=2&x=1",
    "reordered query": "https://partner-{s}.example/cb/done?v=2&shop=1",
    "fragment": "https://partner-{s}.example/cb/done?shop=1&v=2#f",
    "different port": "https://partner-{s}.example:8443/cb/done?shop=1&v=2",
    "explicit default port": "https://partner-{s}.example:443/cb/done?shop=1&v=2",
    "dot-dot segment": "https://partner-{s}.example/cb/x/../done?shop=1&v=2",
    "userinfo": "https://user@partner-{s}.example/cb/done?shop=1&v=2",
    "percent-encoded path": "https://partner-{s}.example/cb/%64one?shop=1&v=2",
    "percent-encoded slash": "https://partner-{s}.example/cb%2Fdone?shop=1&v=2",
    "http scheme": "http://partner-{s}.example/cb/done?shop=1&v=2",
}


@pytest.mark.parametrize("variant", sorted(NEAR_MISSES))
def test_item_25_redirect_uri_must_match_exactly(
    client: TestClient, world: World, variant: str
) -> None:
    suffix = uuid.uuid4().hex[:8]
    app = world.app(redirect_uri=REGISTERED.format(s=suffix))
    code = world.code(app, world.account())
    response = token_request(client, app, code, redirect_uri=NEAR_MISSES[variant].format(s=suffix))
    assert_oauth_error(response, 400, "invalid_grant")


def test_item_25_the_exact_redirect_uri_succeeds(client: TestClient, world: World) -> None:
    app = world.app(redirect_uri=REGISTERED.format(s=uuid.uuid4().hex[:8]))
    assert token_request(client, app, world.code(app, world.account())).status_code == 200


@pytest.mark.parametrize(
    "uri",
    [
        "http://partner.example/cb",
        "https://partner.example/cb#fragment",
        "https://partner.example/cb#",
        "/oauth_callback",
        "partner.example/cb",
        "https://*.partner.example/cb",
        "https://partner.example/*",
        "https://user:pass@partner.example/cb",
        "javascript:alert(1)",
        "ftp://partner.example/cb",
        "https://partner.example/cb?code=1",
        "https://partner.example/cb?hmac=1",
        "https://partner.example/cb?shop=a&shop=b",
    ],
)
def test_item_26_registration_refuses_unsafe_redirect_uris(uri: str) -> None:
    with pytest.raises(InvalidInput):
        apps.validate_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri",
    [
        "https://partner.example/cb",
        "http://127.0.0.1:8001/oauth_callback",
        "http://localhost/cb",
        "http://[::1]:9000/cb",
    ],
)
def test_item_26_registration_accepts_https_and_loopback_http(uri: str) -> None:
    assert apps.validate_redirect_uri(uri) == uri


def test_item_27_install_redirects_only_to_the_registered_uri(world: World) -> None:
    """The Install flow takes no redirect URI from the request: there is nothing to inject."""
    app = world.app()
    for _ in range(3):
        assert world.install(app, world.account()).startswith(app.redirect_uri + "?client_id=")


def test_item_32_install_callback_carries_a_verifiable_signature(world: World) -> None:
    app = world.app()
    params = query_params(world.install(app, world.account()))
    assert set(params) == {"client_id", "code", "timestamp", "hmac"}
    now = time.time()
    assert callback_signature.is_valid(params, [app.client_secret], now=now, max_age=300)
    assert not callback_signature.is_valid(params, ["0" * 64], now=now, max_age=300)


def test_item_32_signature_covers_the_registered_uris_own_query(world: World) -> None:
    app = world.app(redirect_uri=f"https://partner-{uuid.uuid4().hex[:8]}.example/cb?shop=7")
    params = query_params(world.install(app, world.account()))
    assert params["shop"] == "7"
    assert callback_signature.is_valid(params, [app.client_secret], now=time.time(), max_age=300)
    params["shop"] = "8"
    assert not callback_signature.is_valid(
        params, [app.client_secret], now=time.time(), max_age=300
    )


@pytest.mark.parametrize("field", ["client_id", "code", "timestamp", "hmac"])
def test_item_32_tampered_callback_fails_verification(world: World, field: str) -> None:
    app = world.app()
    params = query_params(world.install(app, world.account()))
    params[field] = params[field][:-1] + ("1" if params[field][-1] != "1" else "2")
    assert not callback_signature.is_valid(
        params, [app.client_secret], now=time.time(), max_age=300
    )


def test_item_32_stale_callback_fails_verification(world: World) -> None:
    app = world.app()
    params = query_params(world.install(app, world.account()))
    later = int(params["timestamp"]) + 301
    assert not callback_signature.is_valid(params, [app.client_secret], now=later, max_age=300)


def test_item_32_during_rotation_the_callback_is_signed_with_the_old_secret(
    world: World, platform: Platform
) -> None:
    """A partner that has not deployed the new secret yet can still verify callbacks."""
    app = world.app()
    with platform.db.session(write=True) as session:
        new_secret, _ = apps.rotate_secret(
            session,
            platform.keyring,
            apps.get_app(session, app.client_id),
            grace_seconds=3600,
            actor=ACTOR,
        )
    params = query_params(world.install(app, world.account()))
    now = time.time()
    assert callback_signature.is_valid(params, [app.client_secret], now=now, max_age=300)
    assert not callback_signature.is_valid(params, [new_secret], now=now, max_age=300)


@pytest.mark.parametrize("path", ["/", "/healthz", "/v1/token", "/v1/salesOrder"])
def test_item_29_every_response_forbids_framing(client: TestClient, path: str) -> None:
    """Anti-framing is platform-wide (the Install page included, whatever renders it)."""
    response = client.get(path)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

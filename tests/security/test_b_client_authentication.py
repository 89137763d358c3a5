"""Checklist §2.B — client authentication (items 11–21)."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import math
import re
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.integration.test_credentials_at_rest import dump_database
from tests.security.conftest import STRICT_PER_ADDRESS, STRICT_PER_CLIENT
from tests.security.helpers import Client, assert_oauth_error, events, token_request, wrong_secret
from tests.support import ACTOR, LiveServer, TestApp, World, basic
from zentail import crypto, generations
from zentail.domain import apps
from zentail.platform import Platform
from zentail.storage.models import AppSecret

SPECIAL_ID = "partner client+id/1:%"
SPECIAL_SECRET = "s3cr+t/with:colon%20and space"


def form_encoded_basic(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-encode each part, then base64 ``id:secret``."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def special_app(platform: Platform) -> TestApp:
    """An app whose credentials need escaping (registered with fixed credentials)."""
    suffix = uuid.uuid4().hex[:8]
    redirect_uri = f"https://special-{suffix}.example/cb"
    with platform.db.session(write=True) as session:
        row, credentials = apps.register_app(
            session,
            platform.keyring,
            name=f"Special {suffix}",
            contact_email=f"dev-{suffix}@example.com",
            redirect_uri=redirect_uri,
            scopes="salesOrder:read",
            actor=ACTOR,
            fixed_credentials=apps.Credentials(f"{SPECIAL_ID}{suffix}", SPECIAL_SECRET + suffix),
        )
    return TestApp(row.id, credentials.client_id, credentials.client_secret, redirect_uri, row.name)


def exchange_with(client: Client, app: TestApp, code: str, authorization: str) -> httpx.Response:
    response: httpx.Response = client.post(
        "/v1/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri},
        headers={"Authorization": authorization},
    )
    return response


def test_item_11_client_secret_basic_authenticates(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = exchange_with(client, app, world.code(app, account), app.basic)
    assert response.status_code == 200


def test_item_11_client_secret_post_authenticates(client: TestClient, world: World) -> None:
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": world.code(app, account),
            "redirect_uri": app.redirect_uri,
            "client_id": app.client_id,
            "client_secret": app.client_secret,
        },
    )
    assert response.status_code == 200


def test_item_12_basic_credentials_are_form_decoded_after_base64(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = special_app(platform), world.account()
    authorization = form_encoded_basic(app.client_id, app.client_secret)
    response = exchange_with(client, app, world.code(app, account), authorization)
    assert response.status_code == 200, response.text


def test_item_12_unencoded_plus_in_basic_credentials_means_space(
    client: TestClient, world: World, platform: Platform
) -> None:
    """A ``+`` sent without form-encoding decodes to a space, so the secret does not match."""
    app, account = special_app(platform), world.account()
    response = exchange_with(client, app, world.code(app, account), app.basic)
    assert_oauth_error(response, 401, "invalid_client")


def test_item_12_generated_credentials_need_no_escaping() -> None:
    for _ in range(1000):
        for value in (crypto.new_client_id(), crypto.new_client_secret()):
            assert quote_plus(value) == value


def test_item_13_failed_basic_authentication_is_401_with_basic_challenge(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    response = exchange_with(client, app, world.code(app, account), wrong_secret(app))
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_item_14_two_authentication_methods_in_one_request_are_invalid_request(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    response = token_request(client, app, code, client_secret=app.client_secret)
    assert_oauth_error(response, 400, "invalid_request")
    assert token_request(client, app, code).status_code == 200


@pytest.mark.parametrize("payload", [b"\xc3\xa9t\xc3\xa9", b"\x80", b"aWQ6c2VjcmV0\xff"])
def test_item_13_a_basic_payload_outside_ascii_is_401_invalid_client(
    client: TestClient, world: World, payload: bytes
) -> None:
    """Header bytes outside ASCII reach the parser as Latin-1 text; still a clean 401."""
    app, account = world.app(), world.account()
    response = client.post(
        "/v1/token",
        data={"grant_type": "authorization_code", "code": world.code(app, account)},
        headers={"Authorization": b"Basic " + payload},
    )
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize("scheme", ["Bearer", "Digest", "Token", "Basic2"])
def test_item_15_non_basic_scheme_with_basic_payload_does_not_authenticate(
    client: TestClient, world: World, scheme: str
) -> None:
    app, account = world.app(), world.account()
    payload = app.basic.removeprefix("Basic ")
    response = exchange_with(client, app, world.code(app, account), f"{scheme} {payload}")
    assert_oauth_error(response, 401, "invalid_client")


FAILURES = ("wrong secret", "unknown client")


def fail_authentication(client: TestClient, app: TestApp, code: str, failure: str) -> None:
    """A wrong secret for ``app``, or any secret for an unknown (plausible) client ID."""
    if failure == "wrong secret":
        authorization = wrong_secret(app)
    else:
        authorization = basic("no-such-client-" + uuid.uuid4().hex, app.client_secret)
    assert exchange_with(client, app, code, authorization).status_code == 401


def test_item_16_secret_comparison_is_constant_time_for_known_and_unknown_clients(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The comparator is :func:`hmac.compare_digest`, and an unknown client costs the same
    keyed digest and the same number of comparisons (against a dummy digest) as a known
    client with one secret."""
    compared: list[tuple[bytes, bytes]] = []
    digested: list[str] = []
    real_compare, real_digest = hmac.compare_digest, crypto.Keyring.digest

    def recording_compare_digest(left: bytes, right: bytes) -> bool:
        compared.append((left, right))
        return real_compare(left, right)

    def recording_digest(keyring: crypto.Keyring, value: str) -> str:
        digested.append(value)
        return real_digest(keyring, value)

    monkeypatch.setattr(hmac, "compare_digest", recording_compare_digest)
    monkeypatch.setattr(crypto.Keyring, "digest", recording_digest)
    app, account = world.app(), world.account()
    code = world.code(app, account)
    work: dict[str, tuple[int, int]] = {}
    for failure in FAILURES:
        compared.clear()
        digested.clear()
        fail_authentication(client, app, code, failure)
        work[failure] = (len(compared), len(digested))
    assert work["wrong secret"] == work["unknown client"]
    assert work["wrong secret"][0] == 1


def test_item_16_known_and_unknown_clients_cost_the_same_database_statements(
    client: TestClient, world: World, platform: Platform
) -> None:
    """The same SQL statements (parameters aside) run for a wrong secret and for an unknown
    client — through the ORM and through the request path's gateway alike — so the database
    round trips do not tell the two apart either."""
    statements: list[str] = []
    gateway = client.app.state.platform.gateway  # type: ignore[attr-defined]

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    app, account = world.app(), world.account()
    code = world.code(app, account)
    engine = platform.db.engine
    work: dict[str, list[str]] = {}
    event.listen(engine, "before_cursor_execute", record)
    try:
        for failure in FAILURES:
            statements.clear()
            before = gateway.counter.count
            fail_authentication(client, app, code, failure)
            work[failure] = [*statements, f"gateway statements: {gateway.counter.count - before}"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert work["wrong secret"]
    assert work["wrong secret"] == work["unknown client"]


def test_item_17_client_secrets_are_not_stored_in_the_clear(
    world: World, platform: Platform
) -> None:
    app = world.app()
    dump = dump_database(platform)
    assert app.client_secret not in dump
    assert app.client_secret.encode().hex() not in dump


def test_item_17_presenting_the_stored_digest_as_the_secret_fails(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    with platform.db.session() as session:
        digest = session.scalar(select(AppSecret.digest).where(AppSecret.app_id == app.id))
    assert digest is not None
    response = exchange_with(client, app, world.code(app, account), basic(app.client_id, digest))
    assert_oauth_error(response, 401, "invalid_client")


SAMPLE = 10_000


def test_item_18_generated_secrets_have_256_random_bits() -> None:
    """64 lowercase hex digits, never repeated, and every digit of every position uniformly
    used: each position holds 4 random bits, so a constant or biased bit anywhere (fewer
    than 256 random bits) puts some count far outside 6 standard deviations."""
    secrets = [crypto.new_client_secret() for _ in range(SAMPLE)]
    assert len(set(secrets)) == SAMPLE
    assert all(re.fullmatch(r"[0-9a-f]{64}", secret) for secret in secrets)
    expected = SAMPLE / 16
    spread = 6 * math.sqrt(SAMPLE * (1 / 16) * (15 / 16))
    for position in range(64):
        counts = Counter(secret[position] for secret in secrets)
        assert set(counts) == set("0123456789abcdef"), position
        assert all(abs(n - expected) < spread for n in counts.values()), (position, counts)


def test_item_19_failures_per_client_id_are_throttled_with_429_and_retry_after(
    client_from: Callable[[str], TestClient], world: World, platform: Platform
) -> None:
    """Failures from many addresses against one client ID lock that client ID, even for
    the right secret, until the bucket drains."""
    app, account = world.app(), world.account()
    code = world.code(app, account)
    for attempt in range(STRICT_PER_CLIENT):
        attacker = client_from(f"198.51.100.{attempt + 1}")
        assert exchange_with(attacker, app, code, wrong_secret(app)).status_code == 401
    refused = exchange_with(client_from("192.0.2.200"), app, code, app.basic)
    assert_oauth_error(refused, 429, "slow_down")
    assert int(refused.headers["retry-after"]) >= 1
    throttled = events(platform, "client.throttled", app_id=app.id)
    assert [(e.source_ip, e.detail["bucket"]) for e in throttled] == [("192.0.2.200", "client_id")]


def test_item_19_failures_per_source_address_are_throttled(
    client_from: Callable[[str], TestClient], world: World, platform: Platform
) -> None:
    """Guessing many client IDs from one address locks that address for every client."""
    app, account = world.app(), world.account()
    code = world.code(app, account)
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    attacker = client_from(address)
    for _ in range(STRICT_PER_ADDRESS):
        guess = basic(f"guess-{uuid.uuid4().hex}", "0" * 64)
        assert exchange_with(attacker, app, code, guess).status_code == 401
    assert_oauth_error(exchange_with(attacker, app, code, app.basic), 429, "slow_down")
    elsewhere = exchange_with(client_from("192.0.2.201"), app, code, app.basic)
    assert elsewhere.status_code == 200


def test_item_19_failed_authentications_are_audited_with_source_address(
    client_from: Callable[[str], TestClient], world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    exchange_with(client_from("192.0.2.55"), app, world.code(app, account), wrong_secret(app))
    failed = events(platform, "client.auth_failed", app_id=app.id)
    assert [(e.source_ip, e.actor, e.detail["reason"]) for e in failed] == [
        ("192.0.2.55", f"client:{app.client_id}", "wrong secret")
    ]


def test_item_20_during_rotation_both_secrets_work_then_only_the_new_one(
    live_server: LiveServer, world: World, platform: Platform
) -> None:
    """Over HTTP against a real server: rotate with the CLI (new secret shown once), both
    secrets authenticate during the grace period, only the new one after it."""
    app, account = world.app(), world.account()
    rotated = live_server.cli("apps", "rotate-secret", app.client_id, "--grace", "3600", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_secret = json.loads(rotated.stdout)["client_secret"]
    new = TestApp(app.id, app.client_id, new_secret, app.redirect_uri, app.name)
    with httpx.Client(base_url=live_server.base_url) as http:
        assert exchange_with(http, app, world.code(app, account), app.basic).status_code == 200
        assert exchange_with(http, new, world.code(app, account), new.basic).status_code == 200
        end_grace_now(platform, app)
        old = exchange_with(http, app, world.code(app, account), app.basic)
        assert_oauth_error(old, 401, "invalid_client")
        assert exchange_with(http, new, world.code(app, account), new.basic).status_code == 200
    shown = live_server.cli("apps", "show", app.client_id, "--json")
    assert shown.returncode == 0
    assert new_secret not in shown.stdout
    assert new_secret not in dump_database(platform)


def end_grace_now(platform: Platform, app: TestApp) -> None:
    """Move the old secret's expiry into the past (no sleeping), as a change of the
    credential (so cached clients are re-read, as after any change the platform makes)."""
    with platform.db.session(write=True) as session:
        generations.after_commit(session)
        for secret in session.scalars(
            select(AppSecret).where(AppSecret.app_id == app.id, AppSecret.expires_at.is_not(None))
        ):
            secret.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)


def test_item_20_rotation_without_grace_stops_the_old_secret_at_once(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    with platform.db.session(write=True) as session:
        new_secret, _ = apps.rotate_secret(
            session,
            platform.keyring,
            apps.get_app(session, app.client_id),
            grace_seconds=0,
            actor=ACTOR,
        )
    new = TestApp(app.id, app.client_id, new_secret, app.redirect_uri, app.name)
    old = exchange_with(client, app, world.code(app, account), app.basic)
    assert_oauth_error(old, 401, "invalid_client")
    assert exchange_with(client, new, world.code(app, account), new.basic).status_code == 200


def test_item_21_unknown_client_and_wrong_secret_get_the_same_answer(
    client: TestClient, world: World
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    wrong = exchange_with(client, app, code, wrong_secret(app))
    unknown = exchange_with(client, app, code, basic(f"nobody{uuid.uuid4().hex[:14]}", "0" * 64))
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.content == unknown.content
    # Every header alike, except the per-request id (random each time, whatever the case).
    assert without_request_id(wrong.headers) == without_request_id(unknown.headers)


def without_request_id(headers: httpx.Headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name != "x-request-id"}


# --- items 55–57: private_key_jwt (RFC 7523 §2.2; docs/decisions/0066) -------------------


def _assertion_exchange(client: TestClient, world: World, platform: Platform, **claims: Any) -> Any:
    from tests.integration.test_client_assertion import exchange, register_keys, sign

    app = world.app()
    register_keys(platform, app)
    assertion = sign(app.client_id, **claims)
    first = exchange(client, app, world.code(app, world.account()), assertion)
    return app, assertion, first


def test_item_55_an_assertion_is_accepted_once(
    client: TestClient, world: World, platform: Platform
) -> None:
    from tests.integration.test_client_assertion import exchange

    app, assertion, first = _assertion_exchange(client, world, platform)
    replay = exchange(client, app, world.code(app, world.account()), assertion)
    assert first.status_code == 200
    assert_oauth_error(replay, 401, "invalid_client")


def test_item_56_hs256_keyed_with_the_registered_public_key_is_refused(
    client: TestClient, world: World, platform: Platform
) -> None:
    from tests.integration.test_client_assertion import KEYS, claims, exchange, register_keys

    app = world.app()
    register_keys(platform, app)
    header = {"alg": "HS256", "kid": "rsa-1"}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in (header, claims(app.client_id))
    )
    key = KEYS["RS256"].as_pem(private=False)
    mac = hmac.new(key, signing_input.encode(), "sha256").digest()
    forged = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    response = exchange(client, app, world.code(app, world.account()), forged)
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    "aud", ["https://elsewhere.example/v1/token", "http://testserver/v1/revoke"]
)
def test_item_57_an_assertion_for_another_audience_is_refused(
    client: TestClient, world: World, platform: Platform, aud: str
) -> None:
    _, _, response = _assertion_exchange(client, world, platform, aud=aud)
    assert_oauth_error(response, 401, "invalid_client")

"""``private_key_jwt`` client authentication (RFC 7523 §2.2) at the token, revocation,
introspection and diagnostics endpoints, on both databases."""

from __future__ import annotations

import datetime as dt
import json
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey
from sqlalchemy import select

from tests.security.helpers import token_request
from tests.support import ACTOR, TestApp, World, WriteLockProbe, free_port
from zentail.app import create_app
from zentail.domain import apps, client_keys
from zentail.oauth.client_assertion import ASSERTION_TYPE
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.models import App, AuditEvent

TOKEN_URL = "http://testserver/v1/token"
KEYS = {
    "RS256": RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
    "ES256": ECKey.generate_key("P-256", parameters={"kid": "ec-1"}),
    "EdDSA": OKPKey.generate_key("Ed25519", parameters={"kid": "okp-1"}),
}
PUBLIC_JWKS = json.dumps(KeySet(list(KEYS.values())).as_dict(private=False))


def claims(client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_URL,
        "exp": now + 120,
        "iat": now,
        "jti": uuid.uuid4().hex,
    }
    return {k: v for k, v in {**base, **overrides}.items() if v is not None}


def sign(client_id: str, alg: str = "ES256", **overrides: Any) -> str:
    key = KEYS[alg]
    header = {"alg": alg, "kid": key.kid}
    return jwt.encode(header, claims(client_id, **overrides), key, algorithms=[alg])


def register_keys(platform: Platform, app: TestApp, *, assertions_only: bool = False) -> None:
    with platform.db.session(write=True) as session:
        row = apps.get_app(session, app.client_id)
        client_keys.set_keys(session, row, jwks=PUBLIC_JWKS, actor=ACTOR, production=False)
        if assertions_only:
            client_keys.set_secrets_accepted(session, row, accepted=False, actor=ACTOR)


def exchange(client: TestClient, app: TestApp, code: str, assertion: str, **extra: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": app.redirect_uri,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    return client.post("/v1/token", data=data)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client at its own source address: this module's many refusals, and other modules',
    never fill one per-address throttle bucket (100 failures) for the next test."""
    octets = uuid.uuid4().bytes[:3]
    address = "10." + ".".join(str(b) for b in octets)
    with TestClient(app, base_url="http://testserver", client=(address, 50000)) as test_client:
        yield test_client


@pytest.fixture
def keyed(platform: Platform, world: World) -> TestApp:
    app = world.app()
    register_keys(platform, app)
    return app


@pytest.mark.parametrize("alg", ["RS256", "ES256", "EdDSA"])
def test_a_signed_assertion_exchanges_a_code(
    client: TestClient, world: World, keyed: TestApp, alg: str
) -> None:
    response = exchange(
        client, keyed, world.code(keyed, world.account()), sign(keyed.client_id, alg)
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


def test_the_issuer_is_an_accepted_audience(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    assertion = sign(keyed.client_id, aud=["http://testserver"])
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert response.status_code == 200, response.text


def test_a_replayed_assertion_is_invalid_client(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    assertion = sign(keyed.client_id)
    account = world.account()
    assert exchange(client, keyed, world.code(keyed, account), assertion).status_code == 200
    replay = exchange(client, keyed, world.code(keyed, account), assertion)
    assert (replay.status_code, replay.json()["error"]) == (401, "invalid_client")


def test_a_replay_is_refused_by_another_app_instance_sharing_redis(
    client: TestClient, settings: Settings, world: World, keyed: TestApp
) -> None:
    if settings.redis_url is None:
        pytest.skip("needs Redis: the jti store is shared through it")
    other = create_app(settings)  # another node: its own process-local caches
    assertion = sign(keyed.client_id)
    account = world.account()
    try:
        with TestClient(other, base_url="http://testserver") as second:
            first = exchange(second, keyed, world.code(keyed, account), assertion)
    finally:
        other.state.platform.close()
    again = exchange(client, keyed, world.code(keyed, account), assertion)
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]) == (401, "invalid_client")


def test_an_assertion_is_answered_503_while_redis_cannot_say_whether_its_jti_is_new(
    settings: Settings, world: World, keyed: TestApp
) -> None:
    """Fail closed: with Redis configured but down, no node can know whether another already
    accepted the jti, so the exchange is a 503 to retry, never a success; the code survives."""
    if settings.redis_url is None:
        pytest.skip("needs a Redis-configured platform")
    down = create_app(
        settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    code = world.code(keyed, world.account())
    try:
        with TestClient(down, base_url="http://testserver") as outage:
            refused = exchange(outage, keyed, code, sign(keyed.client_id))
    finally:
        down.state.platform.close()
    assert refused.status_code == 503
    assert refused.json()["error"] == "temporarily_unavailable"
    assert refused.headers["retry-after"]
    recovered = create_app(settings)
    try:
        with TestClient(recovered, base_url="http://testserver") as back:
            answer = exchange(back, keyed, code, sign(keyed.client_id))
    finally:
        recovered.state.platform.close()
    assert answer.status_code == 200, answer.text


REFUSED = {
    "wrong audience": {"aud": "https://elsewhere.example/v1/token"},
    "expired": {"exp": int(time.time()) - 120},
    "too far ahead": {"exp": int(time.time()) + 3600},
    "not yet valid": {"nbf": int(time.time()) + 600},
    "issued in the future": {"iat": int(time.time()) + 600},
    "no jti": {"jti": None},
    "no exp": {"exp": None},
    "iss is another client": {"iss": "someone-else"},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_wrong_claim_is_invalid_client(
    client: TestClient, world: World, keyed: TestApp, case: str
) -> None:
    overrides = dict(REFUSED[case])
    if case in ("expired", "too far ahead"):  # computed now, not at import
        overrides["exp"] = int(time.time()) + (-120 if case == "expired" else 3600)
    assertion = sign(keyed.client_id, **overrides)
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def _unsigned(header: dict[str, Any], payload: dict[str, Any]) -> str:
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}"


def test_alg_none_is_invalid_client(client: TestClient, world: World, keyed: TestApp) -> None:
    assertion = _unsigned({"alg": "none"}, claims(keyed.client_id)) + "."
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_hs256_keyed_with_the_public_key_is_invalid_client(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    """Algorithm confusion: an HMAC "signature" keyed with the registered public key."""
    import hashlib
    import hmac as hmac_module

    public_pem = KEYS["RS256"].as_pem(private=False)
    signing_input = _unsigned({"alg": "HS256", "kid": "rsa-1"}, claims(keyed.client_id))
    mac = hmac_module.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    import base64

    assertion = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_an_unknown_kid_is_invalid_client(client: TestClient, world: World, keyed: TestApp) -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "not-registered"})
    assertion = jwt.encode(
        {"alg": "ES256", "kid": "not-registered"},
        claims(keyed.client_id),
        other,
        algorithms=["ES256"],
    )
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


IMPOSTOR = ECKey.generate_key("P-256", parameters={"kid": "ec-1"})  # the registered kid


def forged(client_id: str) -> str:
    """An assertion naming the registered ``ec-1`` key, signed with another key."""
    return jwt.encode(
        {"alg": "ES256", "kid": "ec-1"}, claims(client_id), IMPOSTOR, algorithms=["ES256"]
    )


def test_a_wrong_signature_is_invalid_client(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    assertion = forged(keyed.client_id)
    response = exchange(client, keyed, world.code(keyed, world.account()), assertion)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_an_assertion_with_a_secret_is_invalid_request(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    code = world.code(keyed, world.account())
    with_post = exchange(
        client, keyed, code, sign(keyed.client_id), client_secret=keyed.client_secret
    )
    with_basic = client.post(
        "/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": keyed.redirect_uri,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": sign(keyed.client_id),
        },
        headers={"Authorization": keyed.basic},
    )
    for response in (with_post, with_basic):
        assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


def test_an_app_without_keys_refuses_assertions_diagnosed_as_no_keys_registered(
    client: TestClient, world: World
) -> None:
    app = world.app()
    response = exchange(client, app, world.code(app, world.account()), sign(app.client_id))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    diagnosed = client.get("/v1/diagnostics/token", headers={"Authorization": app.basic})
    assert [r["reason"] for r in diagnosed.json()["results"]] == ["no_keys_registered"]


def test_an_assertion_with_a_secret_is_diagnosed_for_the_client_it_names(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    assertion = sign(keyed.client_id)
    exchange(client, keyed, "x", assertion, client_secret=keyed.client_secret)
    diagnosed = client.get("/v1/diagnostics/token", headers={"Authorization": keyed.basic})
    assert [r["reason"] for r in diagnosed.json()["results"]] == ["malformed_request"]


def test_an_unknown_client_is_invalid_client(client: TestClient, world: World) -> None:
    app = world.app()
    response = exchange(client, app, world.code(app, world.account()), sign("no-such-client"))
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_an_assertions_only_app_refuses_its_secret(
    client: TestClient, platform: Platform, world: World
) -> None:
    app = world.app()
    register_keys(platform, app, assertions_only=True)
    account = world.account()
    refused = token_request(client, app, world.code(app, account))
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    accepted = exchange(client, app, world.code(app, account), sign(app.client_id))
    assert accepted.status_code == 200


def test_a_refused_assertion_is_audited_and_diagnosed_without_the_assertion(
    client: TestClient, platform: Platform, world: World, keyed: TestApp
) -> None:
    assertion = sign(keyed.client_id, aud="https://elsewhere.example/")
    exchange(client, keyed, world.code(keyed, world.account()), assertion)
    with platform.db.session() as session:
        app_id = session.scalar(select(App.id).where(App.client_id == keyed.client_id))
        details = [
            e.detail
            for e in session.scalars(
                select(AuditEvent).where(
                    AuditEvent.app_id == app_id, AuditEvent.event == "client.auth_failed"
                )
            )
        ]
    assert details == [
        {"client_id": keyed.client_id, "reason": "assertion refused: assertion_invalid"}
    ]
    assert assertion not in json.dumps(details)
    diagnosed = client.get("/v1/diagnostics/token", headers={"Authorization": keyed.basic})
    assert [r["reason"] for r in diagnosed.json()["results"]] == ["assertion_invalid"]


def test_diagnostics_are_read_with_an_assertion_in_a_posted_form(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    exchange(client, keyed, "no-such-code", sign(keyed.client_id))
    form = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": sign(keyed.client_id)}
    posted = client.post("/v1/diagnostics/token", data=form)
    assert posted.status_code == 200, posted.text
    assert [r["reason"] for r in posted.json()["results"]] == ["code_unknown"]
    replayed = client.post("/v1/diagnostics/token", data=form)
    assert (replayed.status_code, replayed.json()["error"]) == (401, "invalid_client")
    in_the_url = client.post("/v1/diagnostics/token?client_assertion=x", data=form)
    assert (in_the_url.status_code, in_the_url.json()["error"]) == (400, "invalid_request")


def test_repeated_failed_assertions_are_throttled(
    client: TestClient, world: World, keyed: TestApp, platform: Platform
) -> None:
    limit = platform.settings.client_auth_max_failures
    code = world.code(keyed, world.account())
    statuses = [
        exchange(client, keyed, code, sign(keyed.client_id, aud="https://x.example")).status_code
        for _ in range(limit + 1)
    ]
    assert statuses == [401] * limit + [429]


def test_revocation_and_introspection_accept_an_assertion(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    token = exchange(
        client, keyed, world.code(keyed, world.account()), sign(keyed.client_id)
    ).json()["access_token"]
    form = {"token": token, "client_assertion_type": ASSERTION_TYPE}
    active = client.post("/v1/introspect", data={**form, "client_assertion": sign(keyed.client_id)})
    assert active.json()["active"] is True
    revoked = client.post("/v1/revoke", data={**form, "client_assertion": sign(keyed.client_id)})
    assert revoked.status_code == 200
    after = client.post("/v1/introspect", data={**form, "client_assertion": sign(keyed.client_id)})
    assert after.json() == {"active": False}


def test_revocation_fetches_a_jwks_uri_before_taking_the_sqlite_write_lock(
    client: TestClient, platform: Platform, world: World, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the write lock is SQLite's")
    probe = WriteLockProbe(database_url)
    app = world.app()
    client_keys.URI_CACHE.clear()  # the fetch below must not be answered from the cache
    with jwks_server(probe) as (uri, asked):
        with platform.db.session(write=True) as session:
            row = apps.get_app(session, app.client_id)
            client_keys.set_keys(session, row, jwks_uri=uri, actor=ACTOR, production=False)
        form = {"token": "ztk_unknown", "client_assertion_type": ASSERTION_TYPE}
        revoked = client.post("/v1/revoke", data={**form, "client_assertion": sign(app.client_id)})
    assert revoked.status_code == 200, revoked.text
    assert asked == ["/jwks.json"]
    assert probe.held == [False]


def test_introspection_refuses_a_replayed_assertion(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    form = {
        "token": "x",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": sign(keyed.client_id),
    }
    assert client.post("/v1/introspect", data=form).status_code == 200
    replay = client.post("/v1/introspect", data=form)
    assert (replay.status_code, replay.json()["error"]) == (401, "invalid_client")


def test_an_invalid_jwks_is_refused_on_input(platform: Platform, world: World) -> None:
    from zentail.domain.errors import InvalidInput

    app = world.app()
    private = json.dumps(KeySet([KEYS["ES256"]]).as_dict(private=True))
    with platform.db.session(write=True) as session:
        row = apps.get_app(session, app.client_id)
        with pytest.raises(InvalidInput, match="public keys only"):
            client_keys.set_keys(session, row, jwks=private, actor=ACTOR, production=False)


@contextmanager
def jwks_server(
    on_request: Callable[[], object] = lambda: None,
) -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on loopback answering ``GET /jwks.json`` with :data:`PUBLIC_JWKS`
    (after calling ``on_request``); yields its URL and the paths it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            on_request()
            asked.append(self.path)
            body = PUBLIC_JWKS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_jwks_uri_is_fetched_over_http_and_cached(
    client: TestClient, platform: Platform, world: World
) -> None:
    app = world.app()
    with jwks_server() as (uri, asked):
        with platform.db.session(write=True) as session:
            row = apps.get_app(session, app.client_id)
            client_keys.set_keys(session, row, jwks_uri=uri, actor=ACTOR, production=False)
        account = world.account()
        for _ in range(2):
            response = exchange(client, app, world.code(app, account), sign(app.client_id))
            assert response.status_code == 200, response.text
    assert asked == ["/jwks.json"]


def test_the_jti_is_remembered_until_the_assertion_expires() -> None:
    seconds = client_keys._seconds_until(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90))
    assert 89 <= seconds <= 90


# --- the same work for an unknown client ---------------------------------------------------


def _from_webhook_delivery() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(("webhook_delivery.py", "domain/webhooks.py")):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _refused_work(client: TestClient, platform: Platform, app: TestApp, assertion: str) -> Any:
    """The signature checks and SQL statements a refused assertion costs."""
    from sqlalchemy import event

    from zentail.oauth import client_assertion

    statements: list[str] = []
    verified: list[str] = []
    real = client_assertion.jws.deserialize_compact

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        # The in-process webhook delivery loop uses the same engine meanwhile (it polls, and
        # loads the app of a delivery another test queued): its statements are not ours.
        if statement.startswith("BEGIN") or _from_webhook_delivery():
            return
        statements.append(statement)

    def counting(value: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        verified.append(type(key).__name__)
        return real(value, key, *args, **kwargs)

    gateway = platform.gateway
    before = gateway.counter.count
    event.listen(platform.db.engine, "before_cursor_execute", record)
    client_assertion.jws.deserialize_compact = counting  # type: ignore[assignment]
    try:
        response = exchange(client, app, "no-such-code", assertion)
    finally:
        client_assertion.jws.deserialize_compact = real
        event.remove(platform.db.engine, "before_cursor_execute", record)
    assert response.status_code == 401
    return verified, statements, gateway.counter.count - before


def test_an_unknown_client_costs_the_same_work_as_a_wrong_signature(
    client: TestClient, platform: Platform, keyed: TestApp
) -> None:
    wrong = forged(keyed.client_id)
    unknown = forged("no-such-client-" + uuid.uuid4().hex)
    unknown_work = _refused_work(client, platform, keyed, unknown)
    known_work = _refused_work(client, platform, keyed, wrong)  # the app's first request
    assert known_work[0] == ["ECKey"]
    assert known_work == unknown_work


# --- registration through the CLI ----------------------------------------------------------


def test_set_jwks_registers_public_keys_and_refuses_private_ones(
    live_server: Any, world: World, tmp_path: Any
) -> None:
    app = world.app()
    public, private = tmp_path / "public.json", tmp_path / "private.json"
    public.write_text(PUBLIC_JWKS)
    private.write_text(json.dumps(KeySet([KEYS["ES256"]]).as_dict(private=True)))
    refused = live_server.cli("apps", "set-jwks", app.client_id, "--jwks", str(private))
    assert refused.returncode == 2
    assert "public keys only" in refused.stderr
    assert '"d"' not in refused.stderr
    result = live_server.cli(
        "apps", "set-jwks", app.client_id, "--jwks", str(public), "--assertions-only", "--json"
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert (shown["jwks_kids"], shown["secrets_accepted"]) == (["rsa-1", "ec-1", "okp-1"], False)


def test_set_jwks_uri_refuses_plain_http_to_a_remote_host(live_server: Any, world: World) -> None:
    app = world.app()
    result = live_server.cli(
        "apps", "set-jwks", app.client_id, "--jwks-uri", "http://keys.example/jwks.json"
    )
    assert (result.returncode, "must use https" in result.stderr) == (2, True)


def test_assertions_only_needs_registered_keys(live_server: Any, world: World) -> None:
    app = world.app()
    result = live_server.cli("apps", "set-jwks", app.client_id, "--assertions-only")
    assert (result.returncode, "register public keys" in result.stderr) == (2, True)


def test_the_secret_flow_answers_the_same_bytes_for_an_app_that_did_not_opt_in(
    client: TestClient, world: World, keyed: TestApp
) -> None:
    """Registering keys (secrets still accepted) changes nothing in the secret flow's
    answers: a wrong secret gets the same status, headers and body as for any app."""
    from tests.security.helpers import wrong_secret

    plain = world.app()
    answers = []
    for app in (plain, keyed):
        response = client.post(
            "/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": "x",
                "redirect_uri": app.redirect_uri,
            },
            headers={"Authorization": wrong_secret(app)},
        )
        headers = {k: v for k, v in response.headers.items() if k not in ("date", "x-request-id")}
        answers.append((response.status_code, headers, response.content))
    assert answers[0] == answers[1]
    assert (
        answers[0][2]
        == b'{"error":"invalid_client","error_description":"Client authentication failed"}'
    )
    account = world.account()
    accepted = token_request(client, keyed, world.code(keyed, account))
    assert (accepted.status_code, sorted(accepted.json())) == (200, ["access_token", "token_type"])

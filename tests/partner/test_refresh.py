"""The SDK's refresh of expiring tokens, against canned answers: before expiry, on a 401,
and every new pair handed to ``on_tokens`` (docs/sdk.md, docs/decisions/0065)."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs

import httpx
import pytest

import zentail_partner as partner
from tests.partner.canned import BASE_URL, Recorder, page, problem

APP = partner.AppCredentials("6779ef20e75817b79602", "s3cret", "http://127.0.0.1:8001/cb")


def pair(n: int, expires_in: int = 3600) -> dict[str, object]:
    return {
        "access_token": f"ztk_{n}",
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": f"ztr_{n}",
    }


def tokens(n: int, expires_in: int = 3600) -> partner.AccessToken:
    return partner.AccessToken(
        f"ztk_{n}", "bearer", None, expires_in, f"ztr_{n}", time.time() + expires_in
    )


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


def test_an_opted_in_answer_reads_its_lifetime_and_refresh_token() -> None:
    recorder = Recorder(httpx.Response(200, json=pair(1, 900)))
    with partner.Client(BASE_URL, transport=recorder.transport) as client:
        token = client.call(partner.exchange_code(APP, "code"))
    assert (token.expires_in, token.refresh_token) == (900, "ztr_1")
    assert token.expires_at is not None
    assert 899 <= token.expires_at - time.time() <= 900
    assert "ztr_1" not in repr(token)


def test_the_documented_answer_has_no_expiry() -> None:
    answer = httpx.Response(200, json={"access_token": "ztk_1", "token_type": "bearer"})
    recorder = Recorder(answer)
    with partner.Client(BASE_URL, transport=recorder.transport) as client:
        token = client.call(partner.exchange_code(APP, "code"))
    assert (token.expires_at, token.refresh_token) == (None, None)
    assert not token.expires_within(10**9)


def test_the_refresh_is_the_rfc6749_form_post_with_basic_auth() -> None:
    recorder = Recorder(httpx.Response(200, json=pair(2)))
    with partner.Client(BASE_URL, transport=recorder.transport) as client:
        client.call(partner.refresh_access_token(APP, "ztr_1"))
    assert form(recorder.last) == {"grant_type": ["refresh_token"], "refresh_token": ["ztr_1"]}
    assert recorder.last.headers["authorization"] == partner.basic_authorization(
        APP.client_id, APP.client_secret
    )


def test_a_token_about_to_expire_is_refreshed_before_the_call() -> None:
    stored: list[partner.AccessToken] = []
    recorder = Recorder(httpx.Response(200, json=pair(2)), page([]))
    with partner.Client(
        BASE_URL, tokens(1, 30), app=APP, on_tokens=stored.append, transport=recorder.transport
    ) as client:
        client.call(partner.list_warehouses())
    refresh, call = recorder.requests
    assert form(refresh)["refresh_token"] == ["ztr_1"]
    assert call.headers["authorization"] == "ztk_2"
    assert [t.refresh_token for t in stored] == ["ztr_2"]


def test_a_401_is_answered_by_one_refresh_and_one_retry() -> None:
    stored: list[partner.AccessToken] = []
    recorder = Recorder(
        problem(401, "expired"), httpx.Response(200, json=pair(2)), page([]), page([])
    )
    with partner.Client(
        BASE_URL, tokens(1), app=APP, on_tokens=stored.append, transport=recorder.transport
    ) as client:
        client.call(partner.list_warehouses())
    assert [r.headers.get("authorization") for r in recorder.requests][::2] == ["ztk_1", "ztk_2"]
    assert [t.access_token for t in stored] == ["ztk_2"]


def test_a_dead_refresh_token_raises_invalid_grant() -> None:
    dead = httpx.Response(400, json={"error": "invalid_grant"})
    recorder = Recorder(problem(401, "revoked"), dead)
    with (
        partner.Client(BASE_URL, tokens(1), app=APP, transport=recorder.transport) as client,
        pytest.raises(partner.InvalidGrant),
    ):
        client.call(partner.list_warehouses())


def test_without_app_credentials_a_401_is_raised_as_is() -> None:
    recorder = Recorder(problem(401, "expired"))
    with (
        partner.Client(BASE_URL, tokens(1, 30), transport=recorder.transport) as client,
        pytest.raises(partner.ApiError),
    ):
        client.call(partner.list_warehouses())
    assert len(recorder.requests) == 1


def test_the_async_client_refreshes_the_same_way() -> None:
    stored: list[partner.AccessToken] = []
    recorder = Recorder(httpx.Response(200, json=pair(2)), page([]))

    async def run() -> None:
        async with partner.AsyncClient(
            BASE_URL,
            tokens(1, 30),
            app=APP,
            on_tokens=stored.append,
            transport=httpx.MockTransport(recorder),
        ) as client:
            await client.call(partner.list_warehouses())

    asyncio.run(run())
    assert recorder.last.headers["authorization"] == "ztk_2"
    assert [t.access_token for t in stored] == ["ztk_2"]

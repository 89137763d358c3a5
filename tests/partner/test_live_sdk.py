"""The SDK against a real ``zentail serve``: install callback → exchange → Open API calls."""

from __future__ import annotations

import pytest

import zentail_partner as partner
from tests.partner import aio
from tests.partner.live import install, new_app, new_order
from tests.support import LiveServer, World

pytestmark = pytest.mark.server
REDIRECT_URI = "https://partner.example/oauth_callback"


def test_sdk_verifies_exchanges_and_pages_through_pending_orders(
    live_server: LiveServer, world: World
) -> None:
    account = world.account()
    app = new_app(world, REDIRECT_URI)
    callback = partner.verify_callback(install(live_server, app, account), app)
    with partner.Client(live_server.base_url) as client:
        token = client.call(partner.exchange_code(app, callback.code))
    with partner.Client(live_server.base_url, token.access_token) as client:
        created = [client.call(partner.create_sales_order(new_order(f"SDK-{n}"))) for n in range(3)]
        client.call(partner.create_sales_order(new_order("SDK-unpaid", "PENDING_PAYMENT")))
        pages = list(client.pages(partner.list_sales_orders(status="PENDING", page_length=2)))
        one = client.call(partner.get_sales_order(created[1]["orderNumber"]))
    assert [len(page.results) for page in pages] == [2, 1]
    listed = [order["channelOrderId"] for page in pages for order in page.results]
    assert listed == ["SDK-0", "SDK-1", "SDK-2"]
    assert one["channelOrderId"] == "SDK-1"
    assert one["products"][0]["requestedSku"] == "MUG-WHITE"


def test_a_replayed_code_and_a_wrong_secret_raise_typed_errors(
    live_server: LiveServer, world: World
) -> None:
    account = world.account()
    app = new_app(world, REDIRECT_URI)
    code = partner.verify_callback(install(live_server, app, account), app).code
    wrong = partner.AppCredentials(app.client_id, "not-the-secret", REDIRECT_URI)
    with partner.Client(live_server.base_url) as client:
        with pytest.raises(partner.InvalidClient) as refused:
            client.call(partner.exchange_code(wrong, code))
        client.call(partner.exchange_code(app, code))
        with pytest.raises(partner.InvalidGrant) as replayed:
            client.call(partner.exchange_code(app, code))
    assert (refused.value.status, replayed.value.status) == (401, 400)


def test_api_errors_from_the_live_server_name_the_problem(
    live_server: LiveServer, world: World
) -> None:
    token = world.account_token(world.account())
    with partner.Client(live_server.base_url, token) as client:
        with pytest.raises(partner.ApiError) as missing:
            client.call(partner.get_sales_order(99_999_999))
        with pytest.raises(partner.ApiError) as invalid:
            client.call(partner.list_sales_orders(page_length=500))
    assert missing.value.status == 404
    assert invalid.value.status == 400
    assert [e.field for e in invalid.value.errors] == ["pageLength"]


def test_a_token_from_another_account_does_not_see_these_orders(
    live_server: LiveServer, world: World
) -> None:
    mine, theirs = world.account(), world.account()
    with partner.Client(live_server.base_url, world.account_token(mine)) as client:
        client.call(partner.create_sales_order(new_order("MINE-1")))
    with partner.Client(live_server.base_url, world.account_token(theirs)) as client:
        assert list(client.paginate(partner.list_sales_orders())) == []


def test_async_client_completes_the_same_flow(live_server: LiveServer, world: World) -> None:
    account = world.account()
    app = new_app(world, REDIRECT_URI)
    callback = partner.verify_callback(install(live_server, app, account), app)

    async def flow() -> list[str]:
        async with partner.AsyncClient(live_server.base_url) as client:
            token = await client.call(partner.exchange_code(app, callback.code))
        async with partner.AsyncClient(live_server.base_url, token.access_token) as client:
            for n in range(3):
                await client.call(partner.create_sales_order(new_order(f"ASYNC-{n}")))
            operation = partner.list_sales_orders(status=["PENDING"], page_length=1)
            return [order["channelOrderId"] async for order in client.paginate(operation)]

    assert aio.run(flow()) == ["ASYNC-0", "ASYNC-1", "ASYNC-2"]

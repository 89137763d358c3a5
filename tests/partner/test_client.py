"""The API client against canned answers (httpx.MockTransport): what it sends for each
endpoint, how it reads answers, pages, errors and 429s."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

import zentail_partner as partner
from tests.partner import aio
from tests.partner.canned import BASE_URL, ORDER, TOKEN, Recorder, page, problem


def run(recorder: Recorder, operation: partner.Operation[Any], token: str | None = TOKEN) -> Any:
    with partner.Client(BASE_URL, token, transport=recorder.transport) as client:
        return client.call(operation)


def sent_json(request: httpx.Request) -> Any:
    return json.loads(request.content)


WAREHOUSE = {"warehouseId": 3, "warehouseUniqueId": "WH-A", "name": "East"}
INVENTORY = {"SKU": "MUG", "totalAvailableQuantity": 4, "warehouses": []}
LISTING = {"id": 7, "sku": "MUG", "title": "Mug", "created_at": "x", "updated_at": "y"}
NEW_ORDER: partner.NewSalesOrder = {
    "channelOrderId": "CH-1",
    "status": "PENDING",
    "orderTs": "2026-01-02T03:04:05Z",
    "shippingAddress": ORDER["shippingAddress"],
    "products": [{"requestedSku": "MUG", "quantity": 1, "unitPrice": 9.5}],
}
SHIPMENT: partner.Shipment = {
    "orderNumber": 10000001,
    "fulfillmentPackageId": "PKG-1",
    "warehouseId": 3,
    "carrier": "UPS",
    "tracking": "1Z999",
    "service_level": "Ground",
    "products": [{"sku": "MUG", "quantity": 1}],
}
SINCE = dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))

ENDPOINTS = [
    (
        partner.list_sales_orders(
            status=["PENDING", "PENDING_PAYMENT"],
            last_updated_ts=SINCE,
            order_ts="2026-01-01T00:00:00Z",
            channel_order_ids=["A", "B"],
            warehouse_id=3,
            page_length=100,
        ),
        page([ORDER]),
        "GET /v1/salesOrder?status=PENDING%2CPENDING_PAYMENT"
        "&lastUpdatedTs=2026-01-02T08%3A04%3A05.123Z&orderTs=2026-01-01T00%3A00%3A00Z&channelOrderIds=A%2CB&warehouseId=3&pageLength=100",
        None,
    ),
    (
        partner.get_sales_order(10000001),
        httpx.Response(200, json=ORDER),
        "GET /v1/salesOrder/10000001",
        None,
    ),
    (
        partner.create_sales_order(NEW_ORDER),
        httpx.Response(201, json=ORDER),
        "POST /v1/salesOrder",
        NEW_ORDER,
    ),
    (
        partner.mark_paid(10000001),
        httpx.Response(200, json=ORDER),
        "POST /v1/salesOrder/markPaid/10000001",
        None,
    ),
    (
        partner.cancel_sales_order(10000001, "BuyerCanceled"),
        httpx.Response(200, json=ORDER),
        "POST /v1/salesOrder/cancel/10000001",
        {"reason": "BuyerCanceled"},
    ),
    (
        partner.create_shipments([SHIPMENT]),
        httpx.Response(200, json={"results": []}),
        "POST /v1/salesOrder/shipments",
        {"packages": [SHIPMENT]},
    ),
    (
        partner.list_warehouses(page_length=50),
        page([WAREHOUSE]),
        "GET /v1/warehouses?pageLength=50",
        None,
    ),
    (
        partner.get_inventory("MUG/RED #1"),
        httpx.Response(200, json=INVENTORY),
        "GET /v1/inventory/MUG%2FRED%20%231",
        None,
    ),
    (
        partner.list_inventory(skus=["A", "B"], warehouses=[3, 4], active_only=True),
        page([INVENTORY]),
        "GET /v1/inventory?skus=A%2CB&warehouses=3%2C4&activeOnly=true",
        None,
    ),
    (
        partner.update_inventory(
            [{"SKU": "MUG", "warehouseId": 3, "delta_quantity": -2}], valid_as_of=SINCE
        ),
        httpx.Response(200, json={}),
        "POST /v1/inventory",
        {
            "products": [{"SKU": "MUG", "warehouseId": 3, "delta_quantity": -2}],
            "validAsOf": "2026-01-02T08:04:05.123Z",
        },
    ),
    (
        partner.list_listings(last_update_ts="2026-01-01T00:00:00Z", skus="MUG", page_length=5),
        page([LISTING]),
        "GET /v1/listing?lastUpdateTs=2026-01-01T00%3A00%3A00Z&skus=MUG&pageLength=5",
        None,
    ),
    (partner.get_listing(7), httpx.Response(200, json=LISTING), "GET /v1/listing/7", None),
]


@pytest.mark.parametrize(("operation", "answer", "request_line", "body"), ENDPOINTS)
def test_each_endpoint_sends_the_documented_request_with_the_token(
    operation: partner.Operation[Any], answer: httpx.Response, request_line: str, body: Any
) -> None:
    recorder = Recorder(answer)
    run(recorder, operation)
    request = recorder.last
    assert f"{request.method} {request.url.raw_path.decode()}" == request_line
    assert request.headers["Authorization"] == TOKEN
    assert request.headers["Accept"] == "application/json"
    if body is not None:
        assert sent_json(request) == body


def test_results_are_the_decoded_json() -> None:
    assert run(Recorder(httpx.Response(200, json=ORDER)), partner.get_sales_order(1)) == ORDER
    next_url = f"{BASE_URL}/v1/warehouses?nextToken=n"
    warehouses = run(Recorder(page([WAREHOUSE], next_url)), partner.list_warehouses())
    assert warehouses == partner.Page([WAREHOUSE], has_next=True, next_url=next_url)


def test_a_naive_datetime_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        partner.list_sales_orders(last_updated_ts=dt.datetime(2026, 1, 1))


def test_an_api_call_without_a_token_is_refused_locally() -> None:
    recorder = Recorder(page([]))
    with pytest.raises(ValueError, match="needs an access token"):
        run(recorder, partner.list_sales_orders(), token=None)
    assert recorder.requests == []


def test_paginate_follows_next_token_urls_verbatim_until_has_next_is_false() -> None:
    second = f"{BASE_URL}/v1/salesOrder?nextToken=abc"
    third = f"{BASE_URL}/v1/salesOrder?nextToken=def"
    recorder = Recorder(
        page([{**ORDER, "orderNumber": 1}], second),
        page([{**ORDER, "orderNumber": 2}], third),
        page([{**ORDER, "orderNumber": 3}]),
    )
    with partner.Client(BASE_URL, TOKEN, transport=recorder.transport) as client:
        numbers = [
            o["orderNumber"] for o in client.paginate(partner.list_sales_orders(status="PENDING"))
        ]
    assert numbers == [1, 2, 3]
    assert [str(r.url) for r in recorder.requests[1:]] == [second, third]
    assert all(r.headers["Authorization"] == TOKEN for r in recorder.requests)


def test_a_next_page_on_another_origin_is_refused_and_gets_no_token() -> None:
    recorder = Recorder(page([ORDER], "https://evil.example/v1/salesOrder?nextToken=x"))
    with partner.Client(BASE_URL, TOKEN, transport=recorder.transport) as client:
        pages = client.pages(partner.list_sales_orders())
        assert next(pages).results == [ORDER]
        with pytest.raises(partner.UnexpectedResponse, match="another origin"):
            next(pages)
    assert len(recorder.requests) == 1


def test_a_problem_document_becomes_an_api_error_naming_each_field() -> None:
    answer = problem(
        400,
        "Invalid request: pageLength",
        [{"field": "pageLength", "message": "must be between 1 and 100"}],
    )
    with pytest.raises(partner.ApiError) as caught:
        run(Recorder(answer), partner.list_sales_orders(page_length=500))
    error = caught.value
    assert (error.status, error.detail) == (400, "Invalid request: pageLength")
    assert error.errors == (partner.FieldError("pageLength", "must be between 1 and 100"),)
    assert "pageLength: must be between 1 and 100" in str(error)


def test_an_answer_that_is_not_from_the_platform_is_unexpected() -> None:
    html = httpx.Response(502, text="<html><body>Bad gateway</body></html>")
    with pytest.raises(partner.UnexpectedResponse, match="HTTP 502: not a problem document"):
        run(Recorder(html), partner.get_sales_order(1))
    with pytest.raises(partner.UnexpectedResponse, match="no pagination"):
        run(Recorder(httpx.Response(200, json={"results": []})), partner.list_sales_orders())


def test_a_network_failure_is_a_transport_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    with pytest.raises(
        partner.TransportError, match=r"no answer from http://zentail\.test/v1/salesOrder/1"
    ) as caught:
        run(Recorder(refuse), partner.get_sales_order(1))
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def test_429_is_retried_after_retry_after_then_succeeds() -> None:
    limited = problem(429, "Too many requests")
    limited.headers["Retry-After"] = "0"
    recorder = Recorder(limited, limited, httpx.Response(200, json=ORDER))
    assert run(recorder, partner.get_sales_order(1)) == ORDER
    assert len(recorder.requests) == 3


def test_429_gives_up_after_the_bounded_retries() -> None:
    limited = problem(429, "Too many requests")
    limited.headers["Retry-After"] = "0"
    recorder = Recorder(limited)
    policy = partner.RetryPolicy(max_retries=2)
    client = partner.Client(BASE_URL, TOKEN, retry=policy, transport=recorder.transport)
    with client, pytest.raises(partner.RateLimited, match="Too many requests") as caught:
        client.call(partner.get_sales_order(1))
    assert caught.value.retry_after == 0
    assert len(recorder.requests) == 3


def test_a_retry_after_longer_than_max_wait_is_raised_at_once() -> None:
    limited = problem(429, "Too many requests")
    limited.headers["Retry-After"] = "120"
    recorder = Recorder(limited)
    with pytest.raises(partner.RateLimited, match="retry after 120 s") as caught:
        run(recorder, partner.get_sales_order(1))
    assert caught.value.retry_after == 120
    assert len(recorder.requests) == 1


def test_async_client_calls_pages_and_retries_like_the_sync_one() -> None:
    limited = problem(429, "Too many requests")
    limited.headers["Retry-After"] = "0"
    second = f"{BASE_URL}/v1/salesOrder?nextToken=abc"
    recorder = Recorder(
        limited, page([{**ORDER, "orderNumber": 1}], second), page([{**ORDER, "orderNumber": 2}])
    )

    async def scenario() -> list[int]:
        async with partner.AsyncClient(BASE_URL, TOKEN, transport=recorder.transport) as client:
            return [o["orderNumber"] async for o in client.paginate(partner.list_sales_orders())]

    assert aio.run(scenario()) == [1, 2]
    assert [r.url.query.decode() for r in recorder.requests] == ["", "", "nextToken=abc"]


def test_async_client_raises_the_same_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async def scenario(recorder: Recorder) -> None:
        async with partner.AsyncClient(BASE_URL, TOKEN, transport=recorder.transport) as client:
            await client.call(partner.get_sales_order(1))

    with pytest.raises(partner.TransportError, match="ReadTimeout"):
        aio.run(scenario(Recorder(refuse)))
    with pytest.raises(partner.ApiError, match="HTTP 404"):
        aio.run(scenario(Recorder(problem(404, "No sales order 1"))))


def test_the_client_repr_hides_the_token() -> None:
    with partner.Client(BASE_URL, TOKEN) as client:
        assert TOKEN not in repr(client)

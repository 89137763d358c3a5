"""Inventory updates under 50-way concurrency, through the real app, on both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.factories import Seller

CONCURRENT = 50
VALID_AS_OF = "2026-01-01T00:00:00Z"


def in_parallel(app: FastAPI, call: Callable[[TestClient], httpx.Response]) -> list[int]:
    """``CONCURRENT`` threads calling the app at once. They share one client, so one event
    loop runs the app (as in a server process), with its thread pool of 40 and its database
    pool of 30: more writers than either, each of which must still get through."""
    start = threading.Barrier(CONCURRENT)
    with TestClient(app, base_url="http://testserver") as client:

        def one() -> int:
            start.wait()
            return call(client).status_code

        with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
            return [f.result() for f in [pool.submit(one) for _ in range(CONCURRENT)]]


def post_update(seller: Seller, item: dict[str, object]) -> Callable[[TestClient], httpx.Response]:
    body = {"products": [item], "validAsOf": VALID_AS_OF}
    return lambda client: client.post("/v1/inventory", json=body, headers=seller.headers)


def available(seller: Seller, sku: str) -> int:
    return int(seller.get("/v1/inventory", skus=sku).json()["results"][0]["totalAvailableQuantity"])


def test_fifty_concurrent_deltas_of_one_sku_all_count(
    unthrottled_app: FastAPI, seller: Seller
) -> None:
    warehouse = seller.warehouse()
    seller.product("RACE-DELTA")
    first = seller.post(
        "/v1/inventory",
        {
            "products": [{"SKU": "RACE-DELTA", "warehouseId": warehouse, "quantity": 1000}],
            "validAsOf": VALID_AS_OF,
        },
    )
    assert first.status_code == 200, first.text
    item = {"SKU": "RACE-DELTA", "warehouseId": warehouse, "delta_quantity": -3}
    statuses = in_parallel(unthrottled_app, post_update(seller, item))
    assert statuses == [200] * CONCURRENT, statuses
    assert available(seller, "RACE-DELTA") == 1000 - 3 * CONCURRENT


def test_fifty_concurrent_first_writes_of_a_level_give_no_error(
    unthrottled_app: FastAPI, seller: Seller
) -> None:
    warehouse = seller.warehouse()
    seller.product("RACE-FIRST")
    item = {"SKU": "RACE-FIRST", "warehouseId": warehouse, "delta_quantity": 2}
    statuses = in_parallel(unthrottled_app, post_update(seller, item))
    assert statuses == [200] * CONCURRENT, statuses
    assert available(seller, "RACE-FIRST") == 2 * CONCURRENT

"""The fast lane (``zentail.api.fast_lane``) answers its reads exactly as the FastAPI
application does: same status, same headers that matter, same bytes — for every shape it
takes (first pages, later pages, filters, missing rows, bad tokens), and it leaves every other
shape to FastAPI.

A request the fast lane does not take goes to FastAPI unchanged; an unknown query parameter
(``_lane=reference``, which FastAPI ignores) is how these tests ask for the reference answer.
"""

from __future__ import annotations

import httpx
import pytest

from tests.api.factories import Seller, new_order
from tests.api.test_shipments import package, two_line_order

MATTERING_HEADERS = (
    "content-type",
    "x-ratelimit-limit",
    "www-authenticate",
    "retry-after",
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "referrer-policy",
)


def both_lanes(seller: Seller, url: str, token: str | None = None) -> tuple[httpx.Response, ...]:
    """The answer of each lane. For an authenticated read, also proves which lane answered:
    the fast lane reads through the request path's gateway (one statement more than the
    FastAPI endpoint, which reads through the ORM), or answers from its cache of bodies."""
    headers = {"AUTHORIZATION": token if token is not None else seller.token}
    joiner = "&" if "?" in url else "?"
    platform = seller.platform_of_client()
    counter = platform.gateway.counter
    seller.client.get("/v1/warehouses", headers=headers)  # the token's first use is recorded
    before, hits = counter.count, platform.responses.hits
    fast = seller.client.get(url, headers=headers)
    fast_statements, before = counter.count - before, counter.count
    cached = platform.responses.hits - hits
    reference = seller.client.get(f"{url}{joiner}_lane=reference", headers=headers)
    reference_statements = counter.count - before
    if token is None and fast.status_code in (200, 404) and "nextToken=not" not in url:
        answered = fast_statements == reference_statements + 1 or cached == 1
        assert answered, "the fast lane did not answer"
    return fast, reference


def assert_same(fast: httpx.Response, reference: httpx.Response) -> None:
    assert fast.status_code == reference.status_code, (fast.text, reference.text)
    assert fast.content == reference.content
    for name in MATTERING_HEADERS:
        assert fast.headers.get(name) == reference.headers.get(name), name


@pytest.fixture
def shipped_order(seller: Seller) -> int:
    """An order with two lines, one of them partly cancelled by nothing, and two packages."""
    warehouse = seller.warehouse()
    number = two_line_order(seller, warehouse)
    for package_id, products in (("P1", {"MUG": 1}), ("P2", {"MUG": 1, "CAP": 1})):
        shipped = seller.post(
            "/v1/salesOrder/shipments",
            {"packages": [package(number, warehouse, package_id, **products)]},
        )
        assert shipped.status_code == 200, shipped.text
    return number


def test_one_order_with_lines_and_packages_is_the_same_in_both_lanes(
    seller: Seller, shipped_order: int
) -> None:
    fast, reference = both_lanes(seller, f"/v1/salesOrder/{shipped_order}")
    assert_same(fast, reference)
    order = fast.json()
    assert [p["fulfillmentPackageId"] for p in order["packages"]] == ["P1", "P2"]
    assert [line["requestedSku"] for line in order["products"]] == ["MUG", "CAP"]
    assert order["packages"][1]["products"] == [
        {"sku": "MUG", "quantity": 1},
        {"sku": "CAP", "quantity": 1},
    ]


def test_a_missing_order_is_the_same_404_in_both_lanes(seller: Seller) -> None:
    fast, reference = both_lanes(seller, "/v1/salesOrder/999999999")
    assert fast.status_code == 404
    assert_same(fast, reference)


def test_every_page_of_orders_is_the_same_in_both_lanes(seller: Seller) -> None:
    for n in range(5):
        seller.create_order(new_order(f"CH-{n}", "PENDING_PAYMENT" if n % 2 else "PENDING"))
    url: str | None = "/v1/salesOrder?pageLength=2&status=PENDING,PENDING_PAYMENT"
    pages = 0
    while url is not None:
        fast, reference = both_lanes(seller, url)
        assert_same(fast, reference)
        assert fast.status_code == 200
        pages += 1
        url = fast.json()["pagination"]["nextToken"]
    assert pages == 3


def test_a_status_filter_is_the_same_in_both_lanes(seller: Seller) -> None:
    seller.create_order(new_order("CH-A", "PENDING"))
    seller.create_order(new_order("CH-B", "PENDING_PAYMENT"))
    for status in ("PENDING", "pending_payment", "CANCELED", "PARTIALLY_CANCELLED", "BOGUS"):
        fast, reference = both_lanes(seller, f"/v1/salesOrder?status={status}")
        assert_same(fast, reference)
    fast, _ = both_lanes(seller, "/v1/salesOrder?status=PENDING")
    assert [o["channelOrderId"] for o in fast.json()["results"]] == ["CH-A"]


def test_warehouse_pages_are_the_same_in_both_lanes(seller: Seller) -> None:
    for n in range(3):
        seller.warehouse(f"Warehouse {n}")
    first, reference = both_lanes(seller, "/v1/warehouses?pageLength=2")
    assert_same(first, reference)
    later, reference = both_lanes(seller, first.json()["pagination"]["nextToken"])
    assert_same(later, reference)
    assert len(first.json()["results"]) + len(later.json()["results"]) == 3


def test_errors_before_the_read_are_the_same_in_both_lanes(seller: Seller) -> None:
    for url in ("/v1/warehouses", "/v1/salesOrder/1", "/v1/salesOrder"):
        for token in ("", "ztk_unknown", "Bearer two words"):
            assert_same(*both_lanes(seller, url, token))
    altered = "/v1/warehouses?nextToken=not-a-token"
    assert_same(*both_lanes(seller, altered))


def test_a_later_page_is_built_on_the_platforms_own_base_url(seller: Seller) -> None:
    for n in range(2):
        seller.create_order(new_order(f"CH-{n}"))
    response = seller.client.get(
        "/v1/salesOrder?pageLength=1", headers={**seller.headers, "Host": "evil.example"}
    )
    assert response.json()["pagination"]["nextToken"].startswith("http://testserver/")

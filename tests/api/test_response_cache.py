"""The fast lane's cached bodies (``zentail.response_cache``): reused only for the same
account and request while the account's data is unchanged, whichever code path changed it."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import update

from tests.api.factories import Seller
from zentail.response_cache import ResponseCache
from zentail.storage.models import SalesOrder
from zentail.storage.tenancy import AccountScope


@pytest.fixture
def shared_generations(seller: Seller) -> None:
    if seller.platform.settings.redis_url is None:
        pytest.skip("bodies are cached only while Redis vouches for them")


def served_from_cache(seller: Seller, url: str) -> tuple[bytes, bool]:
    responses = seller.platform_of_client().responses
    hits = responses.hits
    response = seller.client.get(url, headers=seller.headers)
    assert response.status_code == 200, response.text
    return response.content, responses.hits == hits + 1


def warm(seller: Seller, url: str) -> None:
    """The token's principal cached (so its account is known before the read), then the body."""
    for _ in range(2):
        served_from_cache(seller, url)


@pytest.mark.usefixtures("shared_generations")
def test_a_repeated_read_is_served_from_the_cache(seller: Seller) -> None:
    seller.create_order()
    for url in ("/v1/warehouses", "/v1/salesOrder/10000001", "/v1/salesOrder?pageLength=25"):
        first, _ = served_from_cache(seller, url)
        second, hit = served_from_cache(seller, url)
        assert hit
        assert second == first


@pytest.mark.usefixtures("shared_generations")
def test_a_change_made_outside_the_api_is_seen_on_the_next_read(seller: Seller) -> None:
    # Written by another Platform (as the web UI or CLI of another process would).
    seller.create_order()
    warm(seller, "/v1/warehouses")
    assert served_from_cache(seller, "/v1/warehouses")[1]
    seller.warehouse("Added elsewhere")
    body, hit = served_from_cache(seller, "/v1/warehouses")
    assert not hit
    assert b"Added elsewhere" in body

    served_from_cache(seller, "/v1/salesOrder/10000001")
    with seller.platform.db.session(write=True) as session:
        order = AccountScope(session, seller.account_id).get(SalesOrder, order_number=10000001)
        assert order is not None
        order.cancel_reason = "Changed elsewhere"
    body, hit = served_from_cache(seller, "/v1/salesOrder/10000001")
    assert not hit
    assert b"Changed elsewhere" in body


@pytest.mark.usefixtures("shared_generations")
def test_a_bulk_statement_over_orders_is_seen_on_the_next_read(seller: Seller) -> None:
    seller.create_order()
    warm(seller, "/v1/salesOrder/10000001")
    with seller.platform.db.session(write=True) as session:
        session.execute(
            update(SalesOrder)
            .where(SalesOrder.account_id == seller.account_id)
            .values(cancel_reason="Changed in bulk")
        )
    body, hit = served_from_cache(seller, "/v1/salesOrder/10000001")
    assert not hit
    assert b"Changed in bulk" in body


@pytest.mark.usefixtures("shared_generations")
def test_a_cached_body_is_never_served_to_another_account(
    seller: Seller, other_seller: Seller
) -> None:
    seller.warehouse("Only the first seller's")
    warm(seller, "/v1/warehouses")
    mine, hit = served_from_cache(seller, "/v1/warehouses")
    assert hit
    assert b"Only the first seller's" in mine
    warm(other_seller, "/v1/warehouses")
    theirs, hit = served_from_cache(other_seller, "/v1/warehouses")
    assert hit
    assert b"Only the first seller's" not in theirs


@pytest.mark.usefixtures("shared_generations")
def test_a_write_of_another_account_keeps_this_accounts_bodies(
    seller: Seller, other_seller: Seller
) -> None:
    warm(seller, "/v1/warehouses")
    other_seller.warehouse()
    assert served_from_cache(seller, "/v1/warehouses")[1]


STAMP = (b"epoch", b"1")


def test_a_body_is_reused_only_under_the_stamp_it_was_filled_under() -> None:
    cache = ResponseCache(max_bytes=1000, max_age=60)
    assert cache.put((1, "/v1/warehouses", b""), STAMP, b"body")
    assert cache.get((1, "/v1/warehouses", b""), STAMP) == b"body"
    assert cache.get((1, "/v1/warehouses", b""), (b"epoch", b"2")) is None
    assert cache.get((1, "/v1/warehouses", b""), STAMP) is None  # the stale entry is gone
    assert cache.get((2, "/v1/warehouses", b""), STAMP) is None


def test_a_body_older_than_max_age_is_not_reused() -> None:
    cache = ResponseCache(max_bytes=1000, max_age=0.05)
    cache.put((1, "/p", b""), STAMP, b"body")
    time.sleep(0.06)
    assert cache.get((1, "/p", b""), STAMP) is None


def test_the_cache_holds_at_most_max_bytes_dropping_the_least_recently_used() -> None:
    cache = ResponseCache(max_bytes=400, max_age=60)
    for n in range(4):
        assert cache.put((1, f"/{n}", b""), STAMP, b"x" * 100)
    assert cache.get((1, "/0", b""), STAMP) is not None  # now the most recently used
    cache.put((1, "/4", b""), STAMP, b"x" * 100)
    assert cache.get((1, "/1", b""), STAMP) is None
    assert all(cache.get((1, f"/{n}", b""), STAMP) for n in (0, 2, 3, 4))
    assert not cache.put((1, "/big", b""), STAMP, b"x" * 101)  # over a quarter: not kept


def test_a_cache_of_zero_bytes_keeps_nothing() -> None:
    cache = ResponseCache(max_bytes=0, max_age=60)
    assert not cache.enabled
    assert not cache.put((1, "/p", b""), STAMP, b"body")

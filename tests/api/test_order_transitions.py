"""markPaid and cancel: the allowed transitions, and 409 for the rest."""

from __future__ import annotations

from tests.api.factories import Seller, new_order


def test_mark_paid_moves_pending_payment_to_pending_and_bumps_last_update(
    seller: Seller,
) -> None:
    order = seller.create_order(new_order(status="PENDING_PAYMENT"))
    paid = seller.post(f"/v1/salesOrder/markPaid/{order['orderNumber']}")
    assert paid.status_code == 200
    assert paid.json()["status"] == "PENDING"
    assert paid.json()["lastUpdatedTs"] >= order["lastUpdatedTs"]


def test_mark_paid_on_a_pending_order_is_a_409_naming_the_status(seller: Seller) -> None:
    order = seller.create_order()
    response = seller.post(f"/v1/salesOrder/markPaid/{order['orderNumber']}")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "is PENDING" in response.json()["detail"]


def test_cancel_records_the_reason_and_cancels_every_unit(seller: Seller) -> None:
    order = seller.create_order(
        new_order(products=[{"requestedSku": "A", "quantity": 3, "unitPrice": 1}])
    )
    response = seller.post(
        f"/v1/salesOrder/cancel/{order['orderNumber']}", {"reason": "BuyerCanceled"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "CANCELLED"
    assert body["cancelReason"] == "BuyerCanceled"
    assert body["products"][0]["cancelQuantity"] == 3
    assert body["products"][0]["status"] == "CANCELLED"


def test_cancelling_twice_is_a_409(seller: Seller) -> None:
    number = seller.create_order()["orderNumber"]
    seller.post(f"/v1/salesOrder/cancel/{number}", {"reason": "customer asked"})
    again = seller.post(f"/v1/salesOrder/cancel/{number}", {"reason": "customer asked"})
    assert again.status_code == 409
    assert "is CANCELLED" in again.json()["detail"]


def test_mark_paid_after_cancel_is_a_409(seller: Seller) -> None:
    number = seller.create_order(new_order(status="PENDING_PAYMENT"))["orderNumber"]
    seller.post(f"/v1/salesOrder/cancel/{number}", {"reason": "OUT_OF_STOCK"})
    assert seller.post(f"/v1/salesOrder/markPaid/{number}").status_code == 409


def test_cancel_reason_is_required_and_validated_by_name(seller: Seller) -> None:
    number = seller.create_order()["orderNumber"]
    for body in ({}, {"reason": ""}, {"reason": "x" * 201}, {"reason": "bad\nreason"}):
        response = seller.post(f"/v1/salesOrder/cancel/{number}", body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["field"] == "reason"
    blank = seller.post(f"/v1/salesOrder/cancel/{number}", {"reason": "   "})
    assert blank.status_code == 400
    assert blank.json()["errors"] == [{"field": "reason", "message": "must be 1 to 200 characters"}]
    assert seller.get(f"/v1/salesOrder/{number}").json()["status"] == "PENDING"


def test_transitions_on_an_unknown_order_are_404(seller: Seller) -> None:
    assert seller.post("/v1/salesOrder/markPaid/99999999").status_code == 404
    response = seller.post("/v1/salesOrder/cancel/99999999", {"reason": "x"})
    assert response.status_code == 404

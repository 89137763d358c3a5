"""Every Open API endpoint the server offers, through the SDK, against a demo sandbox
(``zentail serve --demo``: warehouses, inventory, listings and orders to work on).

Each test first checks that the server's ``/openapi.json`` still lists the endpoints it
drives, so a removed or renamed endpoint fails here, naming itself.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

import zentail_partner as partner
from tests.partner.live import new_order
from tests.support import free_port, running_process

# One worker starts the demo sandbox once for all of this module's tests.
pytestmark = [pytest.mark.server, pytest.mark.xdist_group("demo-sandbox")]


@dataclass(frozen=True)
class Sandbox:
    base_url: str
    token: str
    paths: frozenset[str]

    def require(self, *paths: str) -> None:
        missing = sorted(set(paths) - self.paths)
        assert not missing, f"the server no longer serves {', '.join(missing)}"

    def client(self) -> partner.Client:
        return partner.Client(self.base_url, self.token)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A demo sandbox on a free port with its own SQLite file, and a token for account 1."""
    folder = tmp_path_factory.mktemp("sandbox")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    env |= {
        "ZENTAIL_DATABASE_URL": f"sqlite:///{folder / 'zentail.db'}",
        "ZENTAIL_ISSUER": base_url,
    }
    command = [sys.executable, "-m", "zentail", "serve", "--demo", "--port", str(port)]
    with running_process(command, env, folder / "server.log", f"{base_url}/healthz"):
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "zentail",
                "tokens",
                "create",
                "--account",
                "1",
                "--label",
                "sdk",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        paths = frozenset(httpx.get(f"{base_url}/openapi.json").json()["paths"])
        yield Sandbox(base_url, json.loads(created.stdout)["token"], paths)


def first_updatable_warehouse(client: partner.Client) -> partner.Warehouse:
    warehouses = list(client.paginate(partner.list_warehouses()))
    return next(w for w in warehouses if w.get("canUpdateInventory", True))


def test_warehouses_are_listed(sandbox: Sandbox) -> None:
    sandbox.require("/v1/warehouses")
    with sandbox.client() as client:
        warehouses = list(client.paginate(partner.list_warehouses(page_length=1)))
    assert warehouses
    assert all(isinstance(w["warehouseId"], int) and w["name"] for w in warehouses)


def test_inventory_is_read_and_updated(sandbox: Sandbox) -> None:
    sandbox.require("/v1/warehouses", "/v1/inventory", "/v1/inventory/{SKU}")
    with sandbox.client() as client:
        warehouse_id = first_updatable_warehouse(client)["warehouseId"]
        stocked = client.call(partner.list_inventory(warehouses=[warehouse_id])).results
        sku = stocked[0]["SKU"]
        before = client.call(partner.get_inventory(sku))["totalAvailableQuantity"]
        update = {"SKU": sku, "warehouseId": warehouse_id, "delta_quantity": -1}
        result = client.call(
            partner.update_inventory([update], valid_as_of=dt.datetime.now(dt.UTC))  # type: ignore[list-item]
        )
        after = client.call(partner.get_inventory(sku))["totalAvailableQuantity"]
        with pytest.raises(partner.ApiError) as missing:
            client.call(partner.get_inventory("NO/SUCH SKU"))
    assert [level["SKU"] for level in result["results"]] == [sku]
    assert after == before - 1
    assert missing.value.status == 404


def test_listings_are_listed_and_fetched_one_by_one(sandbox: Sandbox) -> None:
    sandbox.require("/v1/listing", "/v1/listing/{listingid}")
    with sandbox.client() as client:
        listings = list(client.paginate(partner.list_listings(page_length=2)))
        one = client.call(partner.get_listing(listings[-1]["id"]))
    assert len(listings) > 2  # more than one page was followed
    assert one["sku"] == listings[-1]["sku"]


def test_orders_are_paid_cancelled_and_shipped(sandbox: Sandbox) -> None:
    sandbox.require(
        "/v1/warehouses",
        "/v1/salesOrder/markPaid/{orderNumber}",
        "/v1/salesOrder/cancel/{orderNumber}",
        "/v1/salesOrder/shipments",
    )
    with sandbox.client() as client:
        warehouse_id = first_updatable_warehouse(client)["warehouseId"]
        unpaid = client.call(partner.create_sales_order(new_order("SDK-PAY", "PENDING_PAYMENT")))
        paid = client.call(partner.mark_paid(unpaid["orderNumber"]))
        doomed = client.call(partner.create_sales_order(new_order("SDK-CANCEL")))
        cancelled = client.call(partner.cancel_sales_order(doomed["orderNumber"], "BuyerCanceled"))
        order = new_order("SDK-SHIP")
        order["products"][0]["warehouseId"] = warehouse_id
        to_ship = client.call(partner.create_sales_order(order))
        item = to_ship["products"][0]
        shipped = client.call(
            partner.create_shipments(
                [
                    {
                        "orderNumber": to_ship["orderNumber"],
                        "fulfillmentPackageId": "PKG-1",
                        "warehouseId": warehouse_id,
                        "carrier": "UPS",
                        "tracking": "1Z999AA10123456784",
                        "service_level": "Ground",
                        "products": [
                            {
                                "sku": item["SKU"] or item["requestedSku"],
                                "quantity": item["quantity"],
                            }
                        ],
                    }
                ]
            )
        )
        fetched = client.call(partner.get_sales_order(to_ship["orderNumber"]))
    assert paid["status"] == "PENDING"
    assert (cancelled["status"], cancelled.get("cancelReason")) == ("CANCELLED", "BuyerCanceled")
    assert shipped["orders"] == [{"orderNumber": to_ship["orderNumber"], "status": "SHIPPED"}]
    assert [p["tracking"] for p in fetched.get("packages", [])] == ["1Z999AA10123456784"]

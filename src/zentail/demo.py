"""Demo data for the sandbox (``zentail serve --demo``): seeded only into an empty database.

The demo partner app is registered with the example credentials printed in Zentail's
authentication guide, so the documented ``curl`` works against the sandbox as written
(apart from the code and the redirect URI).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zentail.domain import (
    accounts,
    apps,
    inventory,
    listings,
    orders,
    partners,
    shipments,
    users,
)
from zentail.domain import warehouses as warehouses_domain
from zentail.domain.actors import Actor
from zentail.domain.scopes import ALL_SCOPES
from zentail.platform import Platform
from zentail.storage.models import Account, App, SalesOrder, utcnow
from zentail.storage.tenancy import AccountScope

DOCUMENTED_CLIENT_ID = "6779ef20e75817b79602"
DOCUMENTED_CLIENT_SECRET = "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3"
PARTNER_APP_REDIRECT_URI = "http://127.0.0.1:8001/oauth_callback"

DEMO_ACCOUNT_NAME = "Demo Outfitters"
ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "demo-admin-password"
OTHER_ADMIN_EMAIL = "admin@other.example"
STAFF_EMAIL = "staff@zentail.example"
STAFF_PASSWORD = "demo-staff-password"
DEMO_PARTNER_NAME = "Demo Partner Inc."
DEVELOPER_EMAIL = "developer@demo.example"
DEVELOPER_PASSWORD = "demo-developer-password"

SKUS = ("TSHIRT-RED-M", "TSHIRT-BLUE-L", "MUG-WHITE", "CAP-BLACK", "SOCKS-3PACK", "POSTER-A2")
CITIES = (("Boston", "MA", "02110"), ("Austin", "TX", "73301"), ("Denver", "CO", "80202"))


@dataclass(frozen=True)
class DemoSummary:
    account_id: int
    client_id: str
    client_secret: str
    redirect_uri: str


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(Account))


def existing(platform: Platform) -> DemoSummary | None:
    """The demo data seeded on an earlier start, or ``None`` if this database holds other
    data. The secret printed is the documented one the demo app was registered with."""
    with platform.db.session() as session:
        account_id = session.scalar(select(Account.id).where(Account.name == DEMO_ACCOUNT_NAME))
        app = session.scalar(select(App).where(App.client_id == DOCUMENTED_CLIENT_ID))
        if account_id is None or app is None:
            return None
        return DemoSummary(account_id, app.client_id, DOCUMENTED_CLIENT_SECRET, app.redirect_uri)


def seed(platform: Platform, *, redirect_uri: str = PARTNER_APP_REDIRECT_URI) -> DemoSummary | None:
    """Seed demo data into an empty database; return ``None`` if it already has data."""
    actor = Actor(label="demo")
    with platform.db.session(write=True) as session:
        if not is_empty(session):
            return None
        account, _ = accounts.create_account(
            session,
            name=DEMO_ACCOUNT_NAME,
            admin_email=ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
            actor=actor,
        )
        other, _ = accounts.create_account(
            session,
            name="Other Seller",
            admin_email=OTHER_ADMIN_EMAIL,
            admin_password=ADMIN_PASSWORD,
            actor=actor,
        )
        users.create_user(
            session,
            email=STAFF_EMAIL,
            password=STAFF_PASSWORD,
            role="staff",
            account_id=None,
            actor=actor,
        )
        app, credentials = apps.register_app(
            session,
            platform.keyring,
            name="Demo Partner",
            contact_email="partner@demo.example",
            redirect_uri=redirect_uri,
            scopes=sorted(ALL_SCOPES),
            description="The example partner app from examples/partner_app: it lists your "
            "pending orders.",
            fixed_credentials=apps.Credentials(DOCUMENTED_CLIENT_ID, DOCUMENTED_CLIENT_SECRET),
            actor=actor,
        )
        organisation = partners.create_partner(
            session,
            name=DEMO_PARTNER_NAME,
            developer_email=DEVELOPER_EMAIL,
            developer_password=DEVELOPER_PASSWORD,
            actor=actor,
        )
        partners.attach_app(session, app, organisation.partner, actor=actor)
        for account_id, count, seed in ((account.id, 36, 1), (other.id, 5, 2)):
            scope = AccountScope(session, account_id)
            warehouse_ids = _seed_catalog(scope)
            _seed_orders(scope, count=count, seed=seed, warehouse_ids=warehouse_ids)
        return DemoSummary(
            account.id, credentials.client_id, credentials.client_secret, app.redirect_uri
        )


LISTINGS = {
    "TSHIRT": ("Classic T-shirt", ("TSHIRT-RED-M", "TSHIRT-BLUE-L")),
    "MUG": ("White mug", ("MUG-WHITE",)),
    "CAP": ("Black cap", ("CAP-BLACK",)),
    "SOCKS": ("Socks, pack of 3", ("SOCKS-3PACK",)),
    "POSTER": ("A2 poster", ("POSTER-A2",)),
}
# Statuses the demo orders cycle through; the API itself reaches the first five.
DEMO_FLOW = (
    "PENDING",
    "PENDING_PAYMENT",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "CANCELLED",
    "PENDING",
    "RETURN_REQUESTED",
    "RETURNED",
    "REFUNDED",
)


def _seed_catalog(scope: AccountScope) -> list[int]:
    """Warehouses (the last one managed by another integration), listings with their
    variant SKUs, and stock of every SKU in the first two warehouses."""
    warehouse_ids = [
        warehouses_domain.add_warehouse(
            scope, name, unique_id=unique_id, can_update_inventory=ok
        ).id
        for name, unique_id, ok in (
            ("Boston DC", "BOS-1", True),
            ("Denver DC", "DEN-1", True),
            ("Marketplace FBA", None, False),
        )
    ]
    for parent_sku, (title, variants) in LISTINGS.items():
        listing = listings.add_listing(
            scope,
            listings.NewListing(
                sku=parent_sku,
                title=title,
                description=f"The demo {title.lower()}.",
                tags="demo",
                category="Apparel" if parent_sku in ("TSHIRT", "CAP", "SOCKS") else "Home",
                pivot_attributes=["color", "size"] if len(variants) > 1 else [],
                primary_image={"url": f"https://img.example/{parent_sku}.jpg", "hash": parent_sku},
                cpsia_warnings={"choking hazard small parts": parent_sku == "SOCKS"},
                prop65={"required": False},
            ),
        )
        for index, sku in enumerate(variants):
            inventory.add_product(
                scope,
                sku,
                standard_product_id=f"{SKUS.index(sku) + 1:012d}",
                standard_product_id_type="UPC",
                listing=listing,
                active=index == 0 or parent_sku != "TSHIRT",
            )
    inventory.apply_updates(
        scope,
        [
            inventory.InventoryUpdate(sku=sku, warehouse_id=warehouse_id, quantity=50 + 10 * n)
            for n, sku in enumerate(SKUS)
            for warehouse_id in warehouse_ids[:2]
        ],
        valid_as_of=utcnow(),
    )
    return warehouse_ids


def _seed_orders(scope: AccountScope, *, count: int, seed: int, warehouse_ids: list[int]) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    start = utcnow() - dt.timedelta(days=count)
    for index in range(count):
        city, state, postal = rng.choice(CITIES)
        target = DEMO_FLOW[index % len(DEMO_FLOW)]
        warehouse_id = warehouse_ids[index % 2]
        order = orders.create_order(
            scope,
            orders.NewOrder(
                channel_order_id=f"DEMO-{seed}-{index + 1:04d}",
                status="PENDING_PAYMENT" if target == "PENDING_PAYMENT" else "PENDING",
                order_ts=start + dt.timedelta(days=index, minutes=rng.randint(0, 600)),
                shipping_address={
                    "name": rng.choice(("Ada Lovelace", "Grace Hopper", "Alan Turing")),
                    "address1": f"{rng.randint(1, 999)} Main St",
                    "city": city,
                    "state": state,
                    "postalCode": postal,
                    "country": "US",
                },
                products=[
                    orders.NewLineItem(
                        requested_sku=sku,
                        quantity=rng.randint(2, 3),
                        unit_price=Decimal(rng.randint(500, 4999)) / 100,
                        warehouse_id=warehouse_id,
                    )
                    for sku in rng.sample(SKUS, rng.randint(1, 3))
                ],
            ),
            app_id=None,
        )
        _advance(scope, order, target, warehouse_id)


def _advance(scope: AccountScope, order: SalesOrder, target: str, warehouse_id: int) -> None:
    """Move a new demo order to ``target`` the way the API would (returns and refunds,
    which happen on the channels, are set directly)."""
    if target == "CANCELLED":
        orders.cancel(scope, order.order_number, "BuyerCanceled")
        return
    if target in ("PENDING", "PENDING_PAYMENT"):
        return
    first = order.items[0]
    partial = target == "PARTIALLY_SHIPPED"
    products = (
        [(first.requested_sku, 1)]
        if partial
        else [(item.requested_sku, item.quantity) for item in order.items]
    )
    shipments.record_shipments(
        scope,
        [
            shipments.NewPackage(
                order_number=order.order_number,
                fulfillment_package_id=f"PKG-{order.order_number}",
                warehouse_id=warehouse_id,
                carrier="UPS",
                tracking=f"1Z999AA1{order.order_number}",
                service_level="Ground",
                products=products,
            )
        ],
    )
    if target not in ("PARTIALLY_SHIPPED", "SHIPPED"):
        order.status = target
        orders.touch(order)

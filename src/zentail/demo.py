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

from zentail.domain import accounts, apps, orders, users
from zentail.domain.actors import Actor
from zentail.domain.scopes import ALL_SCOPES
from zentail.platform import Platform
from zentail.storage.models import Account, utcnow
from zentail.storage.tenancy import AccountScope

DOCUMENTED_CLIENT_ID = "6779ef20e75817b79602"
DOCUMENTED_CLIENT_SECRET = "31408421fb39334a730fc92e41e96986b60f6522a13f631ec93afa6f6c4e0cb3"
PARTNER_APP_REDIRECT_URI = "http://127.0.0.1:8001/oauth_callback"

ADMIN_EMAIL = "admin@demo.example"
ADMIN_PASSWORD = "demo-admin-password"
OTHER_ADMIN_EMAIL = "admin@other.example"
STAFF_EMAIL = "staff@zentail.example"
STAFF_PASSWORD = "demo-staff-password"

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


def seed(platform: Platform, *, redirect_uri: str = PARTNER_APP_REDIRECT_URI) -> DemoSummary | None:
    """Seed demo data into an empty database; return ``None`` if it already has data."""
    actor = Actor(label="demo")
    with platform.db.session(write=True) as session:
        if not is_empty(session):
            return None
        account, _ = accounts.create_account(
            session,
            name="Demo Outfitters",
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
        _seed_orders(AccountScope(session, account.id), count=36, seed=1)
        _seed_orders(AccountScope(session, other.id), count=5, seed=2)
        return DemoSummary(
            account.id, credentials.client_id, credentials.client_secret, app.redirect_uri
        )


def _seed_orders(scope: AccountScope, *, count: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    start = utcnow() - dt.timedelta(days=count)
    for index in range(count):
        city, state, postal = rng.choice(CITIES)
        status = "PENDING_PAYMENT" if index % 6 == 5 else "PENDING"
        orders.create_order(
            scope,
            orders.NewOrder(
                channel_order_id=f"DEMO-{seed}-{index + 1:04d}",
                status=status,
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
                        requested_sku=rng.choice(SKUS),
                        quantity=rng.randint(1, 3),
                        unit_price=Decimal(rng.randint(500, 4999)) / 100,
                    )
                    for _ in range(rng.randint(1, 3))
                ],
            ),
            app_id=None,
        )

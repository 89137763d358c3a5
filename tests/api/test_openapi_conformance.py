"""Schemathesis fuzzes every operation of /openapi.json against the app, on both backends,
with a valid install token: no server error, and every response (status, content type,
headers, body) matches the document. Examples per operation are few, to keep it fast."""

from __future__ import annotations

from decimal import Decimal

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests.support import World, exchange
from zentail.app import create_app
from zentail.domain import inventory, listings, orders, warehouses
from zentail.domain.scopes import ALL_SCOPES, join_scopes
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.tenancy import AccountScope

MAX_EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(unthrottled_app: FastAPI) -> OpenApiSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", unthrottled_app)


@pytest.fixture(scope="module")
def fuzz_token(unthrottled_app: FastAPI) -> str:
    """A token from the install flow for an account with a little of everything."""
    platform: Platform = unthrottled_app.state.platform
    world = World(platform)
    app, account = world.app(scopes=join_scopes(ALL_SCOPES)), world.account()
    with TestClient(unthrottled_app) as client:
        token: str = exchange(client, app, world.code(app, account)).json()["access_token"]
    with platform.db.session(write=True) as session:
        scope = AccountScope(session, account.id)
        warehouse = warehouses.add_warehouse(scope, "Fuzz warehouse")
        listing = listings.add_listing(scope, listings.NewListing(sku="FUZZ", title="Fuzz"))
        inventory.add_product(scope, "FUZZ-1", listing=listing)
        for status in ("PENDING", "PENDING_PAYMENT"):
            orders.create_order(
                scope,
                orders.NewOrder(
                    channel_order_id=f"FUZZ-{status}",
                    status=status,
                    order_ts=warehouse.created_at,
                    shipping_address={"name": "Fuzz"},
                    products=[orders.NewLineItem("FUZZ-1", 2, Decimal(1), None, warehouse.id)],
                ),
                app_id=None,
            )
    return token


def documented_operations() -> list[tuple[str, str]]:
    """Every (path, method) of the document; building it needs no database."""
    app = create_app(Settings(database_url="sqlite://"))
    try:
        paths = app.openapi()["paths"]
    finally:
        app.state.platform.close()
    return [(path, method) for path, item in paths.items() for method in item]


OPERATIONS = documented_operations()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_conforms_to_the_openapi_document(
    api_schema: OpenApiSchema, fuzz_token: str, path: str, method: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"AUTHORIZATION": fuzz_token}, checks=CHECKS)

    call()

"""The sandbox's demo data gives every endpoint something to return."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import TEST_SECRET_KEY
from tests.support import ACTOR
from zentail import demo
from zentail.app import create_app
from zentail.domain import orders, tokens
from zentail.settings import Settings
from zentail.storage.migrate import upgrade
from zentail.storage.tenancy import AccountScope


def test_demo_account_has_data_for_every_endpoint(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'demo.db'}",
        secret_key=TEST_SECRET_KEY,
        api_rate_per_second=1000,
        api_rate_burst=1000,
    )
    upgrade(settings.database_url)
    app = create_app(settings)
    platform = app.state.platform
    summary = demo.seed(platform)
    assert summary is not None
    with platform.db.session(write=True) as session:
        _, token = tokens.create_account_token(
            AccountScope(session, summary.account_id), platform.keyring, label="t", actor=ACTOR
        )
    with TestClient(app) as client:
        headers = {"AUTHORIZATION": token}

        def results(url: str, **params: object) -> list[dict[str, object]]:
            response = client.get(url, headers=headers, params={"pageLength": 100, **params})
            assert response.status_code == 200, (url, response.text)
            found: list[dict[str, object]] = response.json()["results"]
            assert found, url
            return found

        statuses = {o["status"] for o in results("/v1/salesOrder")}
        assert statuses == set(orders.STATUSES)
        assert any(o["packages"] for o in results("/v1/salesOrder", status="SHIPPED"))
        assert len(results("/v1/warehouses")) == 3
        first_warehouse = results("/v1/warehouses")[0]["warehouseId"]
        assert results("/v1/inventory", warehouses=first_warehouse)
        listing = results("/v1/listing")[0]
        assert client.get(f"/v1/listing/{listing['id']}", headers=headers).status_code == 200
        inventory = client.get("/v1/inventory/MUG-WHITE", headers=headers).json()
        assert inventory["totalAvailableQuantity"] > 0
    platform.close()

"""No client secret, code or token is stored in the clear (RFC 6819 §5.1.4.1.3)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from tests.support import World, exchange
from zentail.platform import Platform
from zentail.storage.models import AccessToken


def dump_database(platform: Platform) -> str:
    with platform.db.engine.connect() as connection:
        tables = inspect(connection).get_table_names()
        rows = [
            repr(row)
            for table in tables
            for row in connection.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
        ]
    return "\n".join(rows)


def test_database_dump_holds_no_secret_code_or_token(
    client: TestClient, world: World, platform: Platform
) -> None:
    app, account = world.app(), world.account()
    code = world.code(app, account)
    token = exchange(client, app, code).json()["access_token"]
    ad_hoc = world.account_token(account)
    dump = dump_database(platform)
    for credential in (app.client_secret, code, token, ad_hoc):
        assert credential not in dump


def test_presenting_a_stored_digest_as_the_token_fails(
    client: TestClient, world: World, platform: Platform
) -> None:
    token = world.account_token(world.account())
    with platform.db.session() as session:
        digest = session.scalar(
            select(AccessToken.digest).where(AccessToken.digest == platform.keyring.digest(token))
        )
    assert digest is not None
    assert client.get("/v1/salesOrder", headers={"Authorization": digest}).status_code == 401

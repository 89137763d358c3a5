"""Redis stopped and started again under the API (a private ``redis-server``, so nothing else
on the machine is disturbed): requests keep being answered, limits fall back to this process's
buckets while Redis is away and are shared again once it is back, and nothing is cached on the
strength of an answer Redis did not give."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from tests.support import World, free_port
from zentail.app import create_app
from zentail.domain import tokens
from zentail.domain.actors import Actor
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.tenancy import AccountScope

pytestmark = pytest.mark.serial


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = PrivateRedis()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.stop()


def test_the_api_answers_through_a_redis_outage_and_shares_limits_again_after(
    settings: Settings, world: World, private_redis: PrivateRedis
) -> None:
    app = create_app(
        settings.model_copy(
            update={
                "redis_url": private_redis.url,
                "api_rate_per_second": 0.01,
                "api_rate_burst": 3,
            }
        )
    )
    platform = app.state.platform
    token = world.account_token(world.account())
    headers = {"AUTHORIZATION": token}
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get("/v1/warehouses", headers=headers).status_code == 200
        private_redis.stop()
        during = [client.get("/v1/warehouses", headers=headers).status_code for _ in range(4)]
        # The process's own bucket (3 deep) took over: limits still hold, nothing is a 5xx.
        assert during == [200, 200, 200, 429]
        assert platform.limiter.fallbacks >= 4
        private_redis.start()
        time.sleep(1.1)  # the limiter tries Redis again a second after it failed
        fallbacks = platform.limiter.fallbacks
        after = client.get("/v1/warehouses", headers=headers)
        # Shared again: the new Redis has an empty bucket for the token.
        assert after.status_code == 200
        assert platform.limiter.fallbacks == fallbacks
    platform.close()


def test_a_revocation_during_a_redis_outage_is_refused_at_once(
    settings: Settings, world: World, private_redis: PrivateRedis
) -> None:
    app = create_app(settings.model_copy(update={"redis_url": private_redis.url}))
    platform = app.state.platform
    account = world.account()
    token = world.account_token(account)
    with TestClient(app, base_url="http://testserver") as client:
        assert client.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code == 200
        private_redis.stop()
        served = client.get("/v1/warehouses", headers={"AUTHORIZATION": token})
        assert served.status_code == 200  # from the database: nothing is cached without Redis
        revoke_every_account_token(platform, account.id)
        assert client.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code == 401
        private_redis.start()
        time.sleep(1.1)
        # A new Redis means a new epoch: nothing cached before is trusted.
        assert client.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code == 401
    platform.close()


def revoke_every_account_token(platform: Platform, account_id: int) -> None:
    with platform.db.session(write=True) as session:
        scope = AccountScope(session, account_id)
        for token in tokens.list_account_tokens(scope):
            tokens.revoke(session, token, actor=Actor.system())

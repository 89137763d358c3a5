"""Two ``zentail serve`` nodes over one database and one Redis, behind HAProxy
(``deploy/haproxy.cfg``, round robin, no stickiness): whichever node answers, the platform
behaves as one. Every assertion makes several requests through the proxy, so both nodes
take part."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.faults import Node, node
from tests.security.helpers import revoke
from tests.support import ACTOR, TestApp, World, exchange, free_port, settings_env
from tests.web.pages import CSRF_FIELD
from zentail.domain import apps, warehouses
from zentail.settings import Settings
from zentail.storage.tenancy import AccountScope

REPO = Path(__file__).resolve().parents[2]
HAPROXY_CONFIG = REPO / "deploy" / "haproxy.cfg"
BURST = 6
pytestmark = pytest.mark.server


@dataclasses.dataclass(frozen=True)
class Platform2:
    proxy: str
    nodes: tuple[Node, Node]


@pytest.fixture(scope="module")
def two_nodes(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform2]:
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        pytest.skip("haproxy not installed (apt-get install haproxy; .ci/run does)")
    logs = tmp_path_factory.mktemp("multi-node")
    env = settings_env(settings) | {
        "ZENTAIL_API_RATE_BURST": str(BURST),
        "ZENTAIL_API_RATE_PER_SECOND": "0.001",
    }
    proxy_port = free_port()
    proxy = f"http://127.0.0.1:{proxy_port}"
    env["ZENTAIL_ISSUER"] = proxy
    with node(env, logs / "node1.log") as first, node(env, logs / "node2.log") as second:
        proxy_env = os.environ | {
            "ZENTAIL_PROXY_BIND": f"127.0.0.1:{proxy_port}",
            "ZENTAIL_NODE1": first.base_url.removeprefix("http://"),
            "ZENTAIL_NODE2": second.base_url.removeprefix("http://"),
        }
        with (logs / "haproxy.log").open("w") as log:
            process = subprocess.Popen(
                [haproxy, "-db", "-f", str(HAPROXY_CONFIG)],
                env=proxy_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_both(proxy, process)
            yield Platform2(proxy, (first, second))
        finally:
            process.terminate()
            process.wait(timeout=10)


def wait_for_both(proxy: str, process: subprocess.Popen[bytes]) -> None:
    """Until the proxy answers and its health checks have put both nodes in rotation."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "haproxy exited"
        try:
            if all(httpx.get(f"{proxy}/healthz", timeout=2).status_code == 200 for _ in range(4)):
                time.sleep(4)  # two health checks (rise 2, inter 2s)
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("the proxy did not come up")


def served_by_both(platform: Platform2, marker: str) -> bool:
    return all(marker in n.log() for n in platform.nodes)


def partner_token(world: World, platform: Platform2, scopes: str) -> tuple[TestApp, str]:
    app = world.app(scopes=scopes)
    with httpx.Client(base_url=platform.proxy, timeout=15) as http:
        response = exchange(http, app, world.code(app, world.account()))
    assert response.status_code == 200, response.text
    return app, response.json()["access_token"]


def test_requests_alternate_between_the_nodes(two_nodes: Platform2) -> None:
    marker = f"/healthz?probe={time.monotonic_ns()}"
    for _ in range(4):
        assert httpx.get(f"{two_nodes.proxy}{marker}", timeout=10).status_code == 200
    assert served_by_both(two_nodes, marker)


def test_a_web_session_and_its_csrf_token_work_on_every_node(
    two_nodes: Platform2, world: World
) -> None:
    account = world.account()
    with httpx.Client(base_url=two_nodes.proxy, timeout=15) as browser:
        page = browser.get("/login")
        csrf = CSRF_FIELD.search(page.text)
        assert csrf
        login = browser.post(
            "/login",
            data={
                "csrf_token": csrf.group(1),
                "email": account.admin_email,
                "password": "correct-horse-battery",
            },
        )
        assert login.status_code == 303, login.text
        pages = [browser.get("/apps", follow_redirects=False).status_code for _ in range(4)]
        assert pages == [200] * 4
        apps_page = browser.get("/apps")
        form_csrf = CSRF_FIELD.search(apps_page.text)
        assert form_csrf
        out = browser.post("/logout", data={"csrf_token": form_csrf.group(1)})
        assert out.status_code == 303
        after = [browser.get("/apps", follow_redirects=False).status_code for _ in range(2)]
        assert after == [303, 303]


def test_the_per_token_rate_limit_is_shared_by_the_nodes(
    two_nodes: Platform2, world: World, redis_url: str | None
) -> None:
    if not redis_url:
        pytest.skip("needs Redis: the nodes share their buckets through it")
    _, token = partner_token(world, two_nodes, "warehouse:read")
    with httpx.Client(base_url=two_nodes.proxy, timeout=15) as http:
        statuses = [
            http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code
            for _ in range(BURST + 4)
        ]
    assert statuses == [200] * BURST + [429] * 4


def test_revocation_is_seen_by_every_node_on_the_next_request(
    two_nodes: Platform2, world: World
) -> None:
    app, token = partner_token(world, two_nodes, "warehouse:read")
    with httpx.Client(base_url=two_nodes.proxy, timeout=15) as http:
        assert http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code == 200
        assert revoke(http, app, token).status_code == 200
        statuses = [
            http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code
            for _ in range(4)
        ]
    assert statuses == [401] * 4


def test_suspension_is_seen_by_every_node_on_the_next_request(
    two_nodes: Platform2, world: World
) -> None:
    app, token = partner_token(world, two_nodes, "warehouse:read")
    with httpx.Client(base_url=two_nodes.proxy, timeout=15) as http:
        assert http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code == 200
        world.set_app_active(app, False)
        statuses = [
            http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code
            for _ in range(4)
        ]
    assert statuses == [401] * 4


def first_and_next_pages(
    platform: Platform2, world: World
) -> tuple[dict[str, Any], list[httpx.Response]]:
    """Page 1 of three warehouses, then page 2 twice through the proxy (so both nodes)."""
    app = world.app(scopes="warehouse:read")
    account = world.account()
    with world.platform.db.session(write=True) as session:
        for index in range(3):
            warehouses.add_warehouse(AccountScope(session, account.id), f"W{index}")
    with httpx.Client(base_url=platform.proxy, timeout=15) as http:
        token = exchange(http, app, world.code(app, account)).json()["access_token"]
        headers = {"AUTHORIZATION": token}
        first = http.get("/v1/warehouses", params={"pageLength": 1}, headers=headers).json()
        next_token = first["pagination"]["nextToken"].split("nextToken=", 1)[1]
        pages = [
            http.get("/v1/warehouses", params={"nextToken": next_token}, headers=headers)
            for _ in range(2)
        ]
    return first, pages


def test_a_page_token_from_one_node_pages_on_the_other(two_nodes: Platform2, world: World) -> None:
    _, pages = first_and_next_pages(two_nodes, world)
    assert [p.status_code for p in pages] == [200, 200]
    assert pages[0].json()["results"] == pages[1].json()["results"]
    assert [w["name"] for w in pages[0].json()["results"]] == ["W1"]


def test_the_next_page_url_is_the_public_address_whichever_node_answers(
    two_nodes: Platform2, world: World
) -> None:
    first, pages = first_and_next_pages(two_nodes, world)
    urls = [first["pagination"]["nextToken"], *(p.json()["pagination"]["nextToken"] for p in pages)]
    assert all(url.startswith(f"{two_nodes.proxy}/v1/warehouses?") for url in urls), urls


def test_a_rotated_secret_and_the_old_one_work_on_every_node(
    two_nodes: Platform2, world: World
) -> None:
    app = world.app(scopes="warehouse:read")
    with world.platform.db.session(write=True) as session:
        new_secret, _ = apps.rotate_secret(
            session,
            world.platform.keyring,
            apps.get_app(session, app.client_id),
            grace_seconds=3600,
            actor=ACTOR,
        )
    rotated = dataclasses.replace(app, client_secret=new_secret)
    with httpx.Client(base_url=two_nodes.proxy, timeout=15) as http:
        for partner in (app, rotated, app, rotated):
            response = exchange(http, partner, world.code(partner, world.account()))
            assert response.status_code == 200, response.text

"""The fast lane's cache of rendered bodies (``zentail.response_cache``), against real server
processes: a write through one process is seen by every other on the very next read, although
each worker has the read's body cached.

Reads open a new connection each (``Connection: close``), so they land on either of a node's
two workers; the node's ``/metrics`` then proves that cached bodies were served in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.factories import new_order
from tests.support import LiveServer, World, start_two_nodes
from zentail.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.serial]

ROUNDS = 150
READS = 4  # of each shape per round, before and after the write


@pytest.fixture(scope="module")
def writer_and_reader(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    if settings.redis_url is None:
        pytest.skip("several processes share the data generations through Redis")
    unlimited = settings.model_copy(
        update={"api_rate_per_second": 10_000, "api_rate_burst": 10_000}
    )
    with start_two_nodes(unlimited, tmp_path_factory.mktemp("cache-nodes")) as nodes:
        yield nodes


def cache_hits(node: LiveServer) -> float:
    text = httpx.get(f"{node.base_url}/metrics").text
    match = re.search(r'^zentail_response_cache_total\{result="hit"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def read(http: httpx.Client, url: str) -> Any:
    response = http.get(url)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_write_through_one_process_is_read_by_every_other_on_the_next_request(
    writer_and_reader: tuple[LiveServer, LiveServer], world: World
) -> None:
    writer_node, reader_node = writer_and_reader
    account = world.account()
    headers = {"AUTHORIZATION": world.account_token(account)}
    hits_before = cache_hits(reader_node)
    with (
        httpx.Client(base_url=writer_node.base_url, headers=headers) as writer,
        httpx.Client(
            base_url=reader_node.base_url, headers={**headers, "Connection": "close"}
        ) as reader,
    ):
        for round_number in range(ROUNDS):
            created = writer.post("/v1/salesOrder", json=new_order(f"CH-{round_number}"))
            assert created.status_code == 201, created.text
            number = created.json()["orderNumber"]
            for _ in range(READS):
                assert read(reader, f"/v1/salesOrder/{number}")["status"] == "PENDING"
                pending = read(reader, "/v1/salesOrder?status=PENDING")["results"]
                assert [o["orderNumber"] for o in pending] == [number]
            cancelled = writer.post(
                f"/v1/salesOrder/cancel/{number}", json={"reason": "BuyerCanceled"}
            )
            assert cancelled.status_code == 200, cancelled.text
            for _ in range(READS):
                order = read(reader, f"/v1/salesOrder/{number}")
                assert order["status"] == "CANCELLED", f"round {round_number}: a stale order"
                pending = read(reader, "/v1/salesOrder?status=PENDING")["results"]
                assert pending == [], f"round {round_number}: a stale page"
    # Most reads between two writes were answered from a cache: the test proves something.
    assert cache_hits(reader_node) - hits_before > ROUNDS * READS

"""Operations against real ``zentail serve`` processes: JSON logs with one access line per
request, metrics aggregated over worker processes, and a graceful stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.faults import node
from tests.support import settings_env
from zentail.settings import Settings


def test_json_logs_have_one_access_line_per_request_with_its_id(
    settings: Settings, tmp_path: Path
) -> None:
    env = settings_env(settings) | {"ZENTAIL_LOG_FORMAT": "json"}
    ids = [f"req-{uuid.uuid4().hex[:12]}" for _ in range(4)]
    token = "ztk_" + "A" * 43
    with node(env, tmp_path / "json.log") as server:
        with httpx.Client(base_url=server.base_url) as http:
            http.get("/readyz", headers={"X-Request-ID": ids[0]})
            http.get(f"/v1/salesOrder/{token}", headers={"X-Request-ID": ids[1]})
            http.get(f"/v1/warehouses?access_token={token}", headers={"X-Request-ID": ids[2]})
            http.get("/no/such/page", headers={"X-Request-ID": ids[3]})
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=30)
        lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    assert all({"ts", "level", "msg"} <= set(line) for line in lines)
    access = [line for line in lines if line.get("logger") == "zentail.access"]
    for request_id in ids:
        (line,) = [entry for entry in access if entry["request_id"] == request_id]
        assert {"method", "path", "status", "duration_ms"} <= set(line)
    assert token not in "\n".join(json.dumps(line) for line in lines)
    assert [e["status"] for e in access if e["request_id"] == ids[3]] == [404]


@pytest.mark.serial
def test_metrics_are_summed_over_the_worker_processes_of_a_node(
    settings: Settings, tmp_path: Path
) -> None:
    requests = 30
    with node(settings_env(settings), tmp_path / "workers.log", "--workers", "2") as server:
        pids = set()
        for _ in range(requests):  # a new connection each time: either worker may answer
            answer = httpx.get(f"{server.base_url}/readyz", timeout=10)
            assert answer.status_code == 200
        exposition = httpx.get(f"{server.base_url}/metrics", timeout=10).text
        for line in server.log().splitlines():
            if "Started server process" in line:
                pids.add(line.rsplit("[", 1)[-1].strip("]"))
    counted = [
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith("zentail_http_requests_total{")
        and 'route="/readyz"' in line
        and 'status="200"' in line
    ]
    assert sum(counted) == requests
    assert len(pids) >= 2


@pytest.mark.serial
def test_sigterm_stops_accepting_finishes_the_request_in_flight_and_exits_0(
    settings: Settings, tmp_path: Path
) -> None:
    body = b"email=someone%40example.com&password=not-the-password&csrf_token=none"
    with node(settings_env(settings), tmp_path / "sigterm.log") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        in_flight = socket.create_connection(("127.0.0.1", port), timeout=30)
        head = (
            "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        in_flight.sendall(head + body[:10])  # the request has begun, its body is not all here
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # new connections are refused soon
            try:
                httpx.get(f"{server.base_url}/healthz", timeout=1)
            except httpx.TransportError:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the node still accepted new connections 10 s after SIGTERM")
        in_flight.settimeout(0.5)
        with pytest.raises(TimeoutError):
            in_flight.recv(1)  # no answer yet: the server waits for the rest of the body
        in_flight.settimeout(30)
        in_flight.sendall(body[10:])
        answer = in_flight.recv(65536).decode()
        in_flight.close()
        assert server.process.wait(timeout=30) == 0
    assert answer.startswith("HTTP/1.1 "), answer[:200]
    assert int(answer.split()[1]) < 500, answer[:200]

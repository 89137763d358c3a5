"""Faults survived, with real processes: PostgreSQL restarted under load, Redis stopped
under load, a node killed with SIGKILL. The database and Redis that are stopped here are
private instances (``tests.faults``), never the shared ones."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.faults import node, private_postgres, private_redis
from tests.support import TestApp, World, exchange, settings_env
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.migrate import upgrade

pytestmark = pytest.mark.serial
OUTAGE_SECONDS = 4
RECOVERY_SECONDS = 10


@dataclass
class Answer:
    at: float
    status: int  # 0: no answer (transport error or timeout)
    seconds: float
    retry_after: str | None


@dataclass
class Recorder:
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, kind: str, request: Callable[[], httpx.Response]) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response: httpx.Response | None = request()
        except httpx.HTTPError:
            response = None
        answer = Answer(
            started,
            response.status_code if response is not None else 0,
            time.monotonic() - started,
            response.headers.get("retry-after") if response is not None else None,
        )
        with self.lock:
            self.answers.setdefault(kind, []).append(answer)
        return response


def own_settings(database_url: str, redis_url: str | None) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=TEST_SECRET_KEY,
        issuer="http://testserver",
        redis_url=redis_url,
        redis_prefix=f"zentail-fault:{uuid.uuid4().hex[:8]}:",
        purge_interval=0,
        api_rate_per_second=10_000,
        api_rate_burst=10_000,
        login_max_failures_per_address=100_000,
    )


@dataclass
class Load:
    """Partner and browser traffic against one node until :meth:`stop`."""

    base_url: str
    token: str
    app: TestApp
    codes: list[str]
    login_email: str
    recorder: Recorder = field(default_factory=Recorder)
    issued: list[str] = field(default_factory=list)
    redeemed: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for work in (self._reads, self._exchanges, self._logins):
            thread = threading.Thread(target=work, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=15)

    def _reads(self) -> None:
        with self._client() as http:
            while not self._stop.is_set():
                self.recorder.call(
                    "reads",
                    lambda: http.get("/v1/warehouses", headers={"AUTHORIZATION": self.token}),
                )
                time.sleep(0.05)

    def _exchanges(self) -> None:
        with self._client() as http:
            while not self._stop.is_set() and self.codes:
                code = self.codes.pop()
                response = self.recorder.call(
                    "exchanges", lambda code=code: exchange(http, self.app, code)
                )
                if response is not None and response.status_code == 200:
                    self.issued.append(response.json()["access_token"])
                    self.redeemed.append(code)
                time.sleep(0.05)

    def _logins(self) -> None:
        with self._client() as http:
            while not self._stop.is_set():
                self.recorder.call("logins", lambda: log_in(http, self.login_email))
                time.sleep(0.1)


def log_in(http: httpx.Client, email: str) -> httpx.Response:
    """The web login as a browser does it: the form's CSRF token, then the post."""
    page = http.get("/login")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    return http.post(
        "/login",
        data={"csrf_token": csrf, "email": email, "password": "correct-horse-battery"},
        follow_redirects=False,
    )


# --- PostgreSQL restarted under load -------------------------------------------------------


@dataclass
class RestartRun:
    load: Load
    stopped_at: float
    started_at: float
    before: list[str]
    after_status: dict[str, int]
    replays: list[int]


@pytest.fixture(scope="module")
def postgres_restart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestartRun]:
    log_dir = tmp_path_factory.mktemp("pg-restart")
    with private_postgres() as pg:
        url = pg.create_database("zentail")
        upgrade(url)
        settings = own_settings(url, None)
        platform = Platform(settings)
        try:
            world = World(platform)
            app, account = world.app(scopes="warehouse:read salesOrder:read"), world.account()
            with node(settings_env(settings), log_dir / "node.log") as server:
                with httpx.Client(base_url=server.base_url, timeout=15) as http:
                    before = [
                        exchange(http, app, world.code(app, world.account())).json()["access_token"]
                        for _ in range(3)
                    ]
                codes = [world.code(app, world.account()) for _ in range(200)]
                load = Load(server.base_url, before[0], app, codes, account.admin_email)
                load.start()
                time.sleep(1.5)
                stopped_at = time.monotonic()
                pg.stop()
                time.sleep(OUTAGE_SECONDS)
                pg.start()
                started_at = time.monotonic()
                time.sleep(RECOVERY_SECONDS)
                load.stop()
                with httpx.Client(base_url=server.base_url, timeout=15) as http:
                    after_status = {
                        token: http.get(
                            "/v1/warehouses", headers={"AUTHORIZATION": token}
                        ).status_code
                        for token in [*before, *load.issued]
                    }
                    replays = [exchange(http, app, code).status_code for code in load.redeemed]
            yield RestartRun(load, stopped_at, started_at, before, after_status, replays)
        finally:
            platform.close()


def outage_answers(run: RestartRun, kind: str) -> list[Answer]:
    """Answers to requests sent while PostgreSQL was down (a second of slack each side)."""
    return [
        a
        for a in run.load.recorder.answers.get(kind, [])
        if run.stopped_at + 1 <= a.at <= run.started_at - 1
    ]


def check_restart(run: RestartRun, kind: str, ok: set[int]) -> None:
    answers = run.load.recorder.answers[kind]
    assert all(a.status != 500 and a.status != 0 for a in answers), [a.status for a in answers]
    assert all(a.seconds < 10 for a in answers)
    during = outage_answers(run, kind)
    assert during, "no request was sent during the outage"
    assert all(a.status == 503 and a.retry_after for a in during), [a.status for a in during]
    recovered = [a for a in answers if a.at >= run.started_at + RECOVERY_SECONDS / 2]
    assert recovered
    assert all(a.status in ok for a in recovered), [a.status for a in recovered]


def test_api_reads_answer_503_while_postgresql_restarts_then_serve_again(
    postgres_restart: RestartRun,
) -> None:
    check_restart(postgres_restart, "reads", {200})


def test_token_exchanges_answer_503_while_postgresql_restarts_then_serve_again(
    postgres_restart: RestartRun,
) -> None:
    check_restart(postgres_restart, "exchanges", {200})


def test_web_logins_answer_503_while_postgresql_restarts_then_serve_again(
    postgres_restart: RestartRun,
) -> None:
    check_restart(postgres_restart, "logins", {303})


def test_no_token_is_lost_and_no_code_redeemed_twice_across_a_postgresql_restart(
    postgres_restart: RestartRun,
) -> None:
    assert postgres_restart.load.issued, "no exchange succeeded"
    assert set(postgres_restart.after_status.values()) == {200}
    assert postgres_restart.replays
    assert set(postgres_restart.replays) == {400}


# --- Redis stopped under load ----------------------------------------------------------------


def test_the_api_keeps_answering_while_redis_is_down(database_url: str, tmp_path: Path) -> None:
    with private_redis() as cache:
        settings = own_settings(database_url, cache.url)
        platform = Platform(settings)
        try:
            world = World(platform)
            app = world.app(scopes="warehouse:read")
            with (
                node(settings_env(settings), tmp_path / "redis.log") as server,
                httpx.Client(base_url=server.base_url, timeout=15) as http,
            ):
                token = exchange(http, app, world.code(app, world.account())).json()["access_token"]
                headers = {"AUTHORIZATION": token}
                assert http.get("/v1/warehouses", headers=headers).status_code == 200
                cache.stop()
                statuses = []
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    statuses.append(http.get("/v1/warehouses", headers=headers).status_code)
                ready = http.get("/readyz")
        finally:
            platform.close()
    assert set(statuses) == {200}
    assert ready.status_code == 503
    assert ready.json()["not_ready"] == ["redis"]


# --- a node killed with SIGKILL ---------------------------------------------------------------


def test_every_token_issued_by_a_node_killed_with_sigkill_works_on_the_other(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    app = world.app(scopes="warehouse:read")
    codes = [world.code(app, world.account()) for _ in range(40)]
    issued: list[str] = []
    env = settings_env(settings)
    with node(env, tmp_path / "survivor.log") as survivor:
        with node(env, tmp_path / "victim.log") as victim:

            def one(code: str) -> None:
                try:
                    with httpx.Client(base_url=victim.base_url, timeout=10) as http:
                        response = exchange(http, app, code)
                except httpx.HTTPError:
                    return
                if response.status_code == 200:
                    issued.append(response.json()["access_token"])

            with ThreadPoolExecutor(max_workers=8) as pool:
                futures = [pool.submit(one, code) for code in codes]
                deadline = time.monotonic() + 60
                while not issued and time.monotonic() < deadline:  # under load: some answered
                    time.sleep(0.05)
                victim.process.send_signal(signal.SIGKILL)
                for future in futures:
                    future.result()
            assert victim.process.wait(timeout=10) == -signal.SIGKILL
        assert issued, "the victim answered no exchange before it was killed"
        assert len(issued) < len(codes), "the victim was not killed under load"
        with httpx.Client(base_url=survivor.base_url, timeout=10) as http:
            statuses = {
                http.get("/v1/warehouses", headers={"AUTHORIZATION": token}).status_code
                for token in issued
            }
    assert statuses == {200}

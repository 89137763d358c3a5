"""Test helpers: data factories, Basic credentials, and a real server process."""

from __future__ import annotations

import base64
import fcntl
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy.engine import make_url

from zentail.domain import accounts, apps, installs, tokens, users
from zentail.domain.actors import Actor
from zentail.platform import Platform
from zentail.settings import Settings
from zentail.storage.tenancy import AccountScope

PASSWORD = "correct-horse-battery"
ACTOR = Actor(label="test")


def basic(client_id: str, client_secret: str) -> str:
    """An ``Authorization`` header value for client_secret_basic."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


def query_params(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@dataclass(frozen=True)
class TestAccount:
    __test__ = False  # a data holder, not a test class
    id: int
    name: str
    admin_email: str


@dataclass(frozen=True)
class TestApp:
    __test__ = False  # a data holder, not a test class
    id: int
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str

    @property
    def basic(self) -> str:
        return basic(self.client_id, self.client_secret)


class World:
    """Creates rows that belong to one test only (unique names), through the domain layer."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def account(self, name: str | None = None) -> TestAccount:
        name = name or f"Account {uuid.uuid4().hex[:10]}"
        email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
        with self.platform.db.session(write=True) as session:
            account, admin = accounts.create_account(
                session, name=name, admin_email=email, admin_password=PASSWORD, actor=ACTOR
            )
        return TestAccount(account.id, account.name, admin.email)

    def user(self, account: TestAccount | None, role: str = "member") -> str:
        """A user of ``account`` (or staff, with ``None``) whose password is PASSWORD;
        returns the e-mail."""
        role = "staff" if account is None else role
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        with self.platform.db.session(write=True) as session:
            users.create_user(
                session,
                email=email,
                password=PASSWORD,
                role=role,
                account_id=account.id if account else None,
                actor=ACTOR,
            )
        return email

    def app(
        self,
        *,
        scopes: str = "salesOrder:read salesOrder:write",
        redirect_uri: str | None = None,
        token_lifetime_seconds: int | None = None,
    ) -> TestApp:
        suffix = uuid.uuid4().hex[:10]
        redirect_uri = redirect_uri or f"https://partner-{suffix}.example/oauth_callback"
        with self.platform.db.session(write=True) as session:
            row, credentials = apps.register_app(
                session,
                self.platform.keyring,
                name=f"App {suffix}",
                contact_email=f"dev-{suffix}@example.com",
                redirect_uri=redirect_uri,
                scopes=scopes,
                actor=ACTOR,
                token_lifetime_seconds=token_lifetime_seconds,
            )
        return TestApp(
            row.id, credentials.client_id, credentials.client_secret, redirect_uri, row.name
        )

    def _issue(self, app: TestApp, account: TestAccount, action: Any, **options: Any) -> Any:
        """``installs.install`` or ``installs.issue_code`` for the app on the account."""
        with self.platform.db.session(write=True) as session:
            return action(
                session,
                self.platform.keyring,
                app=apps.get_app(session, app.client_id),
                account_id=account.id,
                actor=ACTOR,
                code_ttl=self.platform.settings.authorization_code_ttl,
                **options,
            )

    def install(self, app: TestApp, account: TestAccount) -> str:
        """Install and return the redirect URL (holding a fresh code)."""
        return str(self._issue(app, account, installs.install).redirect_url)

    def code(self, app: TestApp, account: TestAccount) -> str:
        return query_params(self.install(app, account))["code"]

    def pkce_code(
        self, app: TestApp, account: TestAccount, challenge: str, scopes: str | None = None
    ) -> str:
        """A code as ``/v1/authorize`` mints it: bound to an S256 ``challenge``."""
        issued = self._issue(
            app, account, installs.issue_code, scopes=scopes, code_challenge=challenge
        )
        return str(issued.code)

    def uninstall(self, app: TestApp, account: TestAccount) -> None:
        with self.platform.db.session(write=True) as session:
            installs.uninstall(
                session,
                app=apps.get_app(session, app.client_id),
                account_id=account.id,
                actor=ACTOR,
            )

    def set_token_lifetime(self, app: TestApp, seconds: int | None) -> None:
        with self.platform.db.session(write=True) as session:
            row = apps.get_app(session, app.client_id)
            apps.update_app(session, row, actor=ACTOR, token_lifetime_seconds=seconds)

    def set_app_active(self, app: TestApp, active: bool) -> None:
        with self.platform.db.session(write=True) as session:
            apps.set_status(
                session, apps.get_app(session, app.client_id), active=active, actor=ACTOR
            )

    def account_token(self, account: TestAccount, scopes: str | None = None) -> str:
        with self.platform.db.session(write=True) as session:
            _, raw = tokens.create_account_token(
                AccountScope(session, account.id),
                self.platform.keyring,
                label="test token",
                scopes=scopes,
                actor=ACTOR,
            )
        return raw


def authorize_url(app: TestApp, challenge: str, **params: str | None) -> str:
    """``/v1/authorize?…`` for ``app`` with an S256 ``challenge``, asking for
    ``salesOrder:read``; ``params`` add to or replace those (``None`` leaves one out)."""
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "salesOrder:read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    } | params
    return "/v1/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def exchange_body(code: str, redirect_uri: str) -> dict[str, str]:
    """The form body of a ``POST /v1/token`` authorization-code request."""
    return {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}


def exchange(client: httpx.Client | object, app: TestApp, code: str) -> httpx.Response:
    """``POST /v1/token`` the way Zentail's docs describe it."""
    return client.post(  # type: ignore[attr-defined, no-any-return]
        "/v1/token",
        data=exchange_body(code, app.redirect_uri),
        headers={"Authorization": app.basic},
    )


# --- a real server process ---------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    env: dict[str, str]
    log_path: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the ``zentail`` command against the same database and keys."""
        return subprocess.run(
            [sys.executable, "-m", "zentail", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def cli_with(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        """Like :meth:`cli`, with extra ``ZENTAIL_*`` settings for this one command."""
        return subprocess.run(
            [sys.executable, "-m", "zentail", *args],
            env=self.env | env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def log(self) -> str:
        return self.log_path.read_text()


def worker_name() -> str:
    """This pytest-xdist worker's name (``gw0``, ``gw1``, …), or ``main`` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# Each worker draws ports from its own block, below Linux's ephemeral range (32768–60999), so
# two workers never pick the same port and no outgoing connection takes one in between.
PORT_BLOCKS_START = 20_000
PORT_BLOCK_SIZE = 1_000
PORT_BLOCKS = 12


def _port_block() -> range:
    index = int(worker_name().removeprefix("gw")) if worker_name() != "main" else 0
    low = PORT_BLOCKS_START + (index % PORT_BLOCKS) * PORT_BLOCK_SIZE
    return range(low, low + PORT_BLOCK_SIZE)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now, from this worker's own block."""
    block = _port_block()
    for port in random.sample(block, len(block)):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {block}")


def settings_env(settings: Settings) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ZENTAIL_")}
    env.update(
        ZENTAIL_DATABASE_URL=settings.database_url,
        ZENTAIL_SECRET_KEY=settings.secret_key,
        ZENTAIL_REDIS_PREFIX=settings.redis_prefix,  # shared: generations must be seen by both
        ZENTAIL_API_RATE_PER_SECOND=str(settings.api_rate_per_second),
        ZENTAIL_API_RATE_BURST=str(settings.api_rate_burst),
        # The purge tests run it themselves; a background purge would race them.
        ZENTAIL_PURGE_INTERVAL=str(settings.purge_interval),
    )
    if settings.redis_url:
        env["ZENTAIL_REDIS_URL"] = settings.redis_url
    return env


@contextmanager
def running_process(
    command: list[str],
    env: dict[str, str],
    log_path: Path,
    ready_url: str,
    *,
    cwd: Path | None = None,
    start_timeout: float = 120,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``command`` (output to ``log_path``), wait until ``ready_url`` answers 200,
    and stop it on exit. The wait is generous: on a busy machine migrating and seeding a
    database takes tens of seconds, and the loop ends as soon as the server answers."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if httpx.get(ready_url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[:4]} did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def start_live_server(
    settings: Settings, log_path: Path, *, workers: int = 1
) -> Iterator[LiveServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = settings_env(settings) | {"ZENTAIL_ISSUER": base_url}
    command = [sys.executable, "-m", "zentail", "serve", "--port", str(port), "--no-migrate"]
    command += ["--workers", str(workers)]
    with running_process(command, env, log_path, f"{base_url}/healthz"):
        yield LiveServer(base_url, env, log_path)


@contextmanager
def start_two_nodes(settings: Settings, logs: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two ``zentail serve`` nodes of two workers each on one database and one Redis."""
    with (
        start_live_server(settings, logs / "a.log", workers=2) as node_a,
        start_live_server(settings, logs / "b.log", workers=2) as node_b,
    ):
        yield node_a, node_b


class WriteLockProbe:
    """Called, records whether SQLite's cross-process write lock of ``database_url``
    (:func:`zentail.storage.database.sqlite_write_lock`) is held at that moment."""

    def __init__(self, database_url: str) -> None:
        self.lock_file = f"{make_url(database_url).database}.write-lock"
        self.held: list[bool] = []

    def __call__(self) -> None:
        with open(self.lock_file, "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.held.append(True)
            else:
                fcntl.flock(handle, fcntl.LOCK_UN)
                self.held.append(False)

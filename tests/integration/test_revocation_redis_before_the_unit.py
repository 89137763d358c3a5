"""Revocation and introspection make their throttle's Redis round trip before their write
unit opens: on SQLite no write lock is ever held while Redis answers (a slow Redis would
otherwise hold every writer of every process behind it).

A real TCP proxy in front of the real Redis checks, for every command it forwards, whether
the SQLite write lock is held at that moment.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.support import World, WriteLockProbe
from zentail.app import create_app
from zentail.settings import Settings


@contextmanager
def redis_proxy(target: str, on_command: Callable[[], object]) -> Iterator[str]:
    """A loopback proxy to the Redis at ``target`` that calls ``on_command`` before it
    forwards each chunk a client sends; yields the proxy's ``redis://`` URL."""
    url = urlsplit(target)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    closing = threading.Event()

    def pump(source: socket.socket, sink: socket.socket, check: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if check:
                    on_command()
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                end.close()

    def accept() -> None:
        while not closing.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379))
            threading.Thread(target=pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client, False), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{port}{url.path}"
    finally:
        closing.set()
        listener.close()


@pytest.mark.parametrize("path", ["/v1/revoke", "/v1/introspect"])
def test_the_throttles_redis_round_trip_is_made_before_the_sqlite_write_lock_is_taken(
    settings: Settings, world: World, database_url: str, path: str
) -> None:
    if not database_url.startswith("sqlite") or settings.redis_url is None:
        pytest.skip("the write lock is SQLite's, and the throttle's round trip goes to Redis")
    probe = WriteLockProbe(database_url)
    app = world.app()
    token = world.account_token(world.account())
    with redis_proxy(settings.redis_url, probe) as proxied:
        application = create_app(settings.model_copy(update={"redis_url": proxied}))
        with TestClient(application) as client:
            answer = client.post(path, data={"token": token}, headers={"Authorization": app.basic})
        application.state.platform.close()
    assert answer.status_code == 200, answer.text
    assert probe.held, "no command went through the proxy: the test proves nothing"
    assert not any(probe.held), "Redis was asked while the SQLite write lock was held"

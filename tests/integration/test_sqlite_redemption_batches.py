"""Code redemptions on SQLite run in batches (zentail.domain.sqlite_redemption): redemptions
queued together on the writer have exactly the outcome they have one at a time, in queue
order, in a few statements for the whole batch."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import select

from tests.support import TestAccount, TestApp, World
from zentail import crypto
from zentail.domain.actors import Actor
from zentail.domain.sqlite_redemption import Redemption
from zentail.oauth import stores
from zentail.oauth.stores import CodeRedemption, NewRefreshToken, RedemptionResult
from zentail.platform import Platform
from zentail.storage.database import sqlite_write_lock
from zentail.storage.gateway import SqliteGateway
from zentail.storage.models import AccessToken, AuditEvent, AuthorizationCode, RefreshToken

ACTOR = Actor(label="client:batch-test", source_ip="192.0.2.7")
Write = Callable[[SqliteGateway, list[Redemption]], Awaitable[list[Any]]]


@pytest.fixture
def gateway(platform: Platform) -> SqliteGateway:
    if not isinstance(platform.gateway, SqliteGateway):
        pytest.skip("redemptions run in batches on SQLite's writer thread only")
    return platform.gateway


async def queued_together(gateway: SqliteGateway, units: list[Redemption]) -> list[Any]:
    """Queue every unit while another writer holds the lock, behind a unit that takes the
    writer first: the units then reach the writer as one group."""
    with sqlite_write_lock(gateway.path):
        ahead = asyncio.ensure_future(gateway.write(lambda tx: None))
        await asyncio.sleep(0.05)
        together = asyncio.gather(*(gateway.write(u) for u in units), return_exceptions=True)
        await asyncio.sleep(0.05)
    await ahead
    return list(await together)


async def one_at_a_time(gateway: SqliteGateway, units: list[Redemption]) -> list[Any]:
    return [await gateway.write(unit) for unit in units]


class Scenario:
    """Eight redemptions over three installations: two for one installation (the second
    replaces the first's token), a code named twice, an unknown code, a wrong redirect URI,
    and two refresh-token exchanges for one installation of an opted-in app."""

    def __init__(self, world: World, platform: Platform) -> None:
        self.platform = platform
        self.now = dt.datetime.now(dt.UTC)
        self.app, self.expiring = world.app(), world.app(token_lifetime_seconds=3600)
        self.x, self.y, self.z = world.account(), world.account(), world.account()
        self.earlier = self.token_of(world, self.app, self.x)  # x already has a live token
        codes = [world.code(self.app, self.x), world.code(self.app, self.y)]
        codes += [world.code(self.app, self.x), codes[0], "never-issued"]
        codes += [world.code(self.app, self.y)]
        codes += [world.code(self.expiring, self.z), world.code(self.expiring, self.z)]
        self.units = [
            self.unit(self.app, codes[0]),
            self.unit(self.app, codes[1]),
            self.unit(self.app, codes[2]),
            self.unit(self.app, codes[3]),
            self.unit(self.app, codes[4]),
            self.unit(self.app, codes[5], redirect_uri="https://elsewhere.example/cb"),
            self.unit(self.expiring, codes[6], refresh=True),
            self.unit(self.expiring, codes[7], refresh=True),
        ]

    def token_of(self, world: World, app: TestApp, account: TestAccount) -> str:
        unit = self.unit(app, world.code(app, account))
        asyncio.run(self.platform.gateway.write(unit))  # type: ignore[union-attr]
        return unit.attempt.token_digest

    def unit(
        self, app: TestApp, code: str, *, redirect_uri: str | None = None, refresh: bool = False
    ) -> Redemption:
        digest = self.platform.keyring.digest
        fresh = NewRefreshToken(
            digest(crypto.new_refresh_token()), crypto.new_access_token()[:32], self.now
        )
        attempt = CodeRedemption(
            digest(code),
            app.id,
            redirect_uri or app.redirect_uri,
            digest(crypto.new_access_token()),
            self.now,
            token_expires_at=self.now + dt.timedelta(hours=1) if refresh else None,
            refresh=fresh if refresh else None,
        )
        return Redemption(attempt, ACTOR)

    def live_tokens(self, account: TestAccount) -> list[str]:
        with self.platform.db.session() as session:
            return list(
                session.scalars(
                    select(AccessToken.digest).where(
                        AccessToken.account_id == account.id, AccessToken.revoked_at.is_(None)
                    )
                )
            )

    def live_refresh_tokens(self, account: TestAccount) -> list[str]:
        with self.platform.db.session() as session:
            return list(
                session.scalars(
                    select(RefreshToken.digest).where(
                        RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None)
                    )
                )
            )

    def audited(self) -> list[dict[str, Any]]:
        accounts = [self.x.id, self.y.id, self.z.id]
        with self.platform.db.session() as session:
            events = session.scalars(
                select(AuditEvent)
                .where(AuditEvent.event == "token.issued", AuditEvent.account_id.in_(accounts))
                .order_by(AuditEvent.id)
            )
            return [
                {"account_id": e.account_id, "actor": e.actor, "ip": e.source_ip, **e.detail}
                for e in events
            ]

    def token_ids(self, digests: list[str]) -> list[int]:
        with self.platform.db.session() as session:
            found = dict(
                session.execute(
                    select(AccessToken.digest, AccessToken.id).where(
                        AccessToken.digest.in_(digests)
                    )
                ).all()
            )
        return [found[d] for d in digests]

    def consumed(self) -> int:
        digests = [unit.attempt.code_digest for unit in self.units]
        with self.platform.db.session() as session:
            return len(
                list(
                    session.scalars(
                        select(AuthorizationCode.id).where(
                            AuthorizationCode.digest.in_(digests),
                            AuthorizationCode.consumed_at.is_not(None),
                        )
                    )
                )
            )


@pytest.mark.parametrize("write", [queued_together, one_at_a_time])
def test_redemptions_queued_together_have_the_outcome_they_have_one_at_a_time(
    world: World, platform: Platform, gateway: SqliteGateway, write: Write
) -> None:
    scenario = Scenario(world, platform)
    units = scenario.units
    results: list[RedemptionResult] = asyncio.run(write(gateway, units))

    assert [r.outcome for r in results] == [
        stores.REDEEMED,
        stores.REDEEMED,
        stores.REDEEMED,
        stores.REPLAYED,  # the code the first unit consumed
        stores.UNKNOWN,
        stores.REDIRECT_MISMATCH,
        stores.REDEEMED,
        stores.REDEEMED,
    ]
    token = [unit.attempt.token_digest for unit in units]
    # Each redemption replaced the installation's token live before it, in queue order.
    assert [r.replaced for r in results] == [
        (scenario.earlier,),
        (),
        (token[0],),
        (),
        (),
        (),
        (),
        (token[6],),
    ]
    assert scenario.live_tokens(scenario.x) == [token[2]]
    assert scenario.live_tokens(scenario.y) == [token[1]]
    assert scenario.live_tokens(scenario.z) == [token[7]]
    assert scenario.live_refresh_tokens(scenario.z) == [units[7].attempt.refresh.digest]  # type: ignore[union-attr]
    assert scenario.consumed() == 6  # every code issued, the refused one too
    ids = scenario.token_ids([scenario.earlier, *token[:3], *token[6:]])
    earlier, t0, t1, t2, t6, t7 = ids
    assert [r.token_id for r in results if r.outcome == stores.REDEEMED] == [t0, t1, t2, t6, t7]
    audited = scenario.audited()
    refresh_ids = [event.pop("refresh_token_id", None) for event in audited]
    assert refresh_ids[:4] == [None] * 4
    assert None not in refresh_ids[4:]
    who = {"actor": ACTOR.label, "ip": ACTOR.source_ip, "kind": "install"}
    assert audited == [
        {**who, "account_id": scenario.x.id, "token_id": earlier},
        {**who, "account_id": scenario.x.id, "token_id": t0, "replaced_token_ids": [earlier]},
        {**who, "account_id": scenario.y.id, "token_id": t1},
        {**who, "account_id": scenario.x.id, "token_id": t2, "replaced_token_ids": [t0]},
        {**who, "account_id": scenario.z.id, "token_id": t6},
        {**who, "account_id": scenario.z.id, "token_id": t7, "replaced_token_ids": [t6]},
    ]


def test_a_batch_of_redemptions_costs_a_few_statements_for_all_of_them(
    world: World, platform: Platform, gateway: SqliteGateway
) -> None:
    scenario = Scenario(world, platform)
    before = gateway.counter.count
    asyncio.run(queued_together(gateway, scenario.units))
    # The unit ahead: BEGIN, COMMIT. The batch: BEGIN; one consume for every code; a lookup
    # each for the two codes it did not consume; a first wave (x, y, z: revoke, insert,
    # insert refresh) and a second (x, z: revoke, revoke z's refresh, insert, insert
    # refresh); one audit for all; COMMIT.
    assert gateway.counter.count - before == 2 + (1 + 1 + 2 + 3 + 4 + 1 + 1)


def test_a_lone_redemption_of_an_app_without_refresh_tokens_skips_their_revocation(
    world: World, platform: Platform, gateway: SqliteGateway
) -> None:
    scenario = Scenario(world, platform)
    before = gateway.counter.count
    result = asyncio.run(gateway.write(scenario.units[1]))
    assert result.outcome == stores.REDEEMED
    # BEGIN, consume, revoke the live token, insert, audit, COMMIT.
    assert gateway.counter.count - before == 6


def test_a_batch_that_raises_runs_again_unit_by_unit_and_only_the_raiser_fails(
    world: World, platform: Platform, gateway: SqliteGateway
) -> None:
    scenario = Scenario(world, platform)
    good, bad = scenario.units[1], scenario.units[2]
    # The same token digest twice breaks the unique index: the batch raises; alone, the
    # first succeeds and only the second fails.
    clash = Redemption(
        dataclasses.replace(bad.attempt, token_digest=good.attempt.token_digest),
        ACTOR,
    )
    results = asyncio.run(queued_together(gateway, [good, clash]))
    assert results[0].outcome == stores.REDEEMED
    assert isinstance(results[1], Exception)
    assert "UNIQUE" in str(results[1])
    assert scenario.live_tokens(scenario.y) == [good.attempt.token_digest]
    with platform.db.session() as session:
        code = session.scalars(
            select(AuthorizationCode).where(AuthorizationCode.digest == clash.attempt.code_digest)
        ).one()
    assert code.consumed_at is None  # rolled back with the unit that failed: it can be retried
    assert scenario.live_tokens(scenario.x) == [scenario.earlier]

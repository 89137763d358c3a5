"""The webhook deliverer: a background task of every server process (started from the app's
lifespan) that sends due outbox messages (:mod:`zentail.domain.webhooks`).

Each round claims due deliveries in a worker thread (database work never runs on the event
loop), sends them concurrently with httpx's async client and a short timeout, and records
each outcome in a thread again. Requests that caused an event never wait for it: they only
wrote the outbox row. A process killed mid-attempt leaves a lease that expires, after which
any process claims the delivery again, so delivery is at least once; within one claim the
message is sent once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool

from zentail import __version__
from zentail.domain import webhooks
from zentail.platform import Platform
from zentail.storage.availability import UNAVAILABLE_ERRORS
from zentail.storage.models import utcnow

log = logging.getLogger("zentail.webhooks")

BATCH = 20
# A claim outlives one attempt by this much, so that a slow answer is never sent twice.
LEASE_MARGIN_SECONDS = 30.0
USER_AGENT = f"zentail-webhooks/{__version__}"


class Deliverer:
    """Claims, sends and records webhook deliveries for one platform."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.client = client

    def _claim(self) -> list[webhooks.Claimed]:
        with self.platform.db.session() as session:
            if not webhooks.any_due(session, now=utcnow()):
                return []
        with self.platform.db.session(write=True) as session:
            return webhooks.claim_due(
                session,
                self.platform.keyring,
                now=utcnow(),
                lease_seconds=self.settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS,
                limit=BATCH,
            )

    def _record(self, claim: webhooks.Claimed, outcome: webhooks.Outcome) -> None:
        with self.platform.db.session(write=True) as session:
            held = webhooks.record_attempt(
                session,
                claim,
                outcome,
                now=utcnow(),
                retry_base_seconds=self.settings.webhook_retry_base_seconds,
                give_up_seconds=self.settings.webhook_give_up_seconds,
            )
        log.info(
            "webhook message_id=%s status=%s error=%s recorded=%s",
            claim.message_id,
            outcome.status_code,
            outcome.error,
            held,
        )

    async def _refused(self, url: str) -> str | None:
        """In production, re-check at send time that the host resolves to public addresses
        only (its DNS may have changed since the URL was registered)."""
        if self.settings.env != "production":
            return None
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        internal = await run_in_threadpool(webhooks.internal_addresses, parts.hostname or "", port)
        return f"refused: resolves to {', '.join(internal)}" if internal else None

    async def send(self, claim: webhooks.Claimed) -> webhooks.Outcome:
        """One attempt: sign with this attempt's timestamp and POST the exact body."""
        refused = await self._refused(claim.url)
        if refused:
            return webhooks.Outcome(None, refused)
        timestamp = int(utcnow().timestamp())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": claim.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": webhooks.sign(
                claim.secret, claim.message_id, timestamp, claim.body
            ),
        }
        try:
            answer = await self.client.post(claim.url, content=claim.body, headers=headers)
        except httpx.HTTPError as error:
            return webhooks.Outcome(None, f"{type(error).__name__}: {error}"[:500])
        return webhooks.Outcome(answer.status_code, None if answer.is_success else "not 2xx")

    async def _deliver(self, claim: webhooks.Claimed) -> None:
        outcome = await self.send(claim)
        await run_in_threadpool(self._record, claim, outcome)

    async def run_once(self) -> int:
        """One round: claim what is due and deliver it; returns how many were claimed."""
        claims = await run_in_threadpool(self._claim)
        await asyncio.gather(*(self._deliver(claim) for claim in claims))
        return len(claims)

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set; a full batch is followed at once by the next."""
        while not stop.is_set():
            try:
                claimed = await self.run_once()
            except UNAVAILABLE_ERRORS as error:  # an outage: one line, no traceback
                log.warning(
                    "webhook delivery paused: database unavailable (%s)", type(error).__name__
                )
                claimed = 0
            except Exception:  # the loop must outlive a bad row too
                log.exception("webhook delivery round failed; retrying")
                claimed = 0
            if claimed < BATCH:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.webhook_poll_seconds)


@asynccontextmanager
async def delivering(platform: Platform) -> AsyncIterator[None]:
    """Run the deliverer for as long as the block (the app's lifespan) lasts."""
    stop = asyncio.Event()
    timeout = httpx.Timeout(platform.settings.webhook_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        task = asyncio.create_task(Deliverer(platform, client).run(stop))
        try:
            yield
        finally:
            stop.set()
            try:
                await asyncio.wait_for(task, platform.settings.webhook_timeout_seconds + 5)
            except TimeoutError:
                log.warning("webhook deliverer did not stop in time; its leases will expire")

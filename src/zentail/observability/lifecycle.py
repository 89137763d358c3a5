"""What the application starts and stops with the server: the purge task, the database pool
gauge, and the metrics files of this worker process."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from zentail.observability import metrics
from zentail.observability.purge import PurgeTask
from zentail.platform import Platform


@asynccontextmanager
async def running(platform: Platform) -> AsyncIterator[None]:
    """Enter at startup, leave at shutdown (``async with running(platform): yield``)."""
    metrics.track_pool(platform.db.engine)
    purge = PurgeTask(platform)
    purge.start()
    try:
        yield
    finally:
        await purge.stop()
        metrics.process_exited(os.getpid())

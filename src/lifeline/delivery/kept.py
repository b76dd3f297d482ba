"""What a worker process keeps across batch jobs: its event loop, its asyncio Redis client
and each tenant's open channel (SMTP connections, the HTTP clients for Telegram and SMS).

RQ runs an async job with ``asyncio.run``: a new loop per job, so every batch connected
afresh. ``lifeline worker`` installs a ``WorkerLoop`` instead; its jobs run on the one loop,
and a batch of the tenant and channel the last one used finds the channel open. It is
closed

    when idle        nothing used it for ``WORKER_IDLE_CLOSE_SECONDS`` (the worker looks
                     while it waits for jobs, ``worker.LifelineWorker``)
    on stop          the worker's ``run`` returns (SIGTERM's warm shutdown, end of a burst)
    config change    a batch for the same tenant and channel brings provider configs that
                     differ from those the channel was opened with, or another Redis URL
    a job failing    a job that raised (e.g. its timeout) leaves connections in an
                     unknown state: everything is closed, and its leftover tasks cancelled

Only one job runs at a time (RQ's ``SimpleWorker``), so a kept channel is never shared by
two batches at once. A job run elsewhere (a plain ``rq worker``, a test's loop) opens and
closes its own, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis

from lifeline.channels import Channel, ProviderConfig
from lifeline.core import defaults
from lifeline.core.vocabulary import ChannelKind
from lifeline.db import connect_async
from lifeline.delivery import failover

log = logging.getLogger(__name__)

T = TypeVar("T")
Providers = tuple[tuple[str, ProviderConfig], ...]


@dataclass
class _Open:
    providers: Providers
    channel: Channel


class WorkerLoop:
    """A worker's event loop and the connections kept on it; see the module's text."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._url: str | None = None
        self._redis: aioredis.Redis | None = None
        self._channels: dict[tuple[str, str], _Open] = {}
        self._used_at = time.monotonic()

    def run(self, job: Coroutine[Any, Any, T]) -> T:
        """Run a job's coroutine to its end on this loop."""
        try:
            return self.loop.run_until_complete(job)
        except BaseException:
            self._cancel_leftovers()
            self.loop.run_until_complete(self._close_all())
            raise
        finally:
            self._cancel_leftovers()
            self._used_at = time.monotonic()

    def running_here(self) -> bool:
        """Whether the running coroutine runs on this loop (a job of this worker)."""
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    async def redis(self, url: str) -> aioredis.Redis:
        """The kept asyncio client for this URL (another URL closes everything first)."""
        if self._redis is None or self._url != url:
            await self._close_all()
            self._url, self._redis = url, connect_async(url)
        return self._redis

    async def channel(
        self,
        client: aioredis.Redis,
        tenant_id: str,
        kind: ChannelKind,
        providers: Sequence[tuple[str, ProviderConfig]],
    ) -> Channel:
        """The tenant's open channel for ``kind``, opened now if not kept or configured
        differently since."""
        key, wanted = (tenant_id, kind), tuple(providers)
        kept = self._channels.get(key)
        if kept is not None and kept.providers == wanted:
            if isinstance(kept.channel, failover.ProviderChain):
                kept.channel.forget()
            return kept.channel
        if kept is not None:
            log.info("tenant %s: %s providers changed: reconnecting", tenant_id, kind)
            await self._close_channel(key)
        channel = failover.channel_for(client, tenant_id, kind, wanted)
        await channel.open()
        self._channels[key] = _Open(wanted, channel)
        return channel

    @property
    def holds(self) -> bool:
        """Whether anything is open."""
        return self._redis is not None or bool(self._channels)

    def idle_left(self, now: float | None = None) -> float:
        """Seconds until what is open counts as idle (0 or less: it does)."""
        now = time.monotonic() if now is None else now
        return self._used_at + defaults.WORKER_IDLE_CLOSE_SECONDS - now

    def close_idle(self, now: float | None = None) -> bool:
        """Close everything if unused for ``WORKER_IDLE_CLOSE_SECONDS``; whether it did."""
        if not self.holds or self.idle_left(now) > 0:
            return False
        log.info("idle for %ss: closing provider connections", defaults.WORKER_IDLE_CLOSE_SECONDS)
        self.loop.run_until_complete(self._close_all())
        return True

    def close(self) -> None:
        """Close everything and the loop itself (the worker stops)."""
        if self.loop.is_closed():
            return
        self.loop.run_until_complete(self._close_all())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def _close_all(self) -> None:
        for key in list(self._channels):
            await self._close_channel(key)
        client, self._redis, self._url = self._redis, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()

    async def _close_channel(self, key: tuple[str, str]) -> None:
        kept = self._channels.pop(key)
        try:
            await kept.channel.close()
        except Exception as exc:  # closing must not fail the job that found it stale
            log.warning("closing %s failed: %s", kept.channel, exc)

    def _cancel_leftovers(self) -> None:
        """Cancel tasks a job left behind (as ``asyncio.run`` does when its job ends)."""
        leftovers = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
        for task in leftovers:
            task.cancel()
        if leftovers:
            self.loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


_installed: WorkerLoop | None = None


def install() -> WorkerLoop:
    """Give this process a kept loop (``lifeline worker`` does, at start)."""
    global _installed
    _installed = WorkerLoop()
    return _installed


def installed() -> WorkerLoop | None:
    """This process's kept loop, if it has one."""
    return _installed


def uninstall() -> None:
    """Close the kept loop and everything on it (the worker stops)."""
    global _installed
    loop, _installed = _installed, None
    if loop is not None:
        loop.close()


def here() -> WorkerLoop | None:
    """The kept loop if the running job runs on it, else None (open and close your own)."""
    return _installed if _installed is not None and _installed.running_here() else None


@contextlib.asynccontextmanager
async def channel(
    client: aioredis.Redis,
    tenant_id: str,
    kind: ChannelKind,
    providers: Sequence[tuple[str, ProviderConfig]],
) -> AsyncIterator[Channel]:
    """The channel for one batch: the kept one on a worker's loop (left open), else one
    opened for the batch and closed after it."""
    loop = here()
    if loop is not None:
        yield await loop.channel(client, tenant_id, kind, providers)
        return
    async with failover.channel_for(client, tenant_id, kind, providers) as opened:
        yield opened

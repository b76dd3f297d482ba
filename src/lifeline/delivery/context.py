"""The worker's context: what a worker process holds while it runs jobs — the settings and
its Redis clients — and whether it has been asked to stop.

RQ jobs are plain functions that take ids (they must be importable and safe to run twice),
so they find the settings here. ``lifeline worker`` installs them at start-up; a job run by
a plain ``rq worker`` loads them from ``LIFELINE_CONFIG`` on first use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from redis import Redis

from lifeline.config import Settings, load_settings
from lifeline.db import connect, connect_rq


@dataclass(frozen=True)
class WorkerContext:
    """Settings plus long-lived clients, shared by every job of one process."""

    settings: Settings
    redis: Redis
    rq_redis: Redis


_current: WorkerContext | None = None


def install(settings: Settings) -> WorkerContext:
    """Make these settings the ones this process's jobs use."""
    global _current
    _current = WorkerContext(
        settings=settings,
        # Patient clients: a job rides out a Redis restart instead of failing half-recorded.
        redis=connect(settings.redis.url, patient=True),
        rq_redis=connect_rq(settings.queue_url, patient=True),
    )
    return _current


def current() -> WorkerContext:
    """The installed runtime, loading the config from the environment on first use."""
    return _current if _current is not None else install(load_settings())


_stop = threading.Event()


def request_stop() -> None:
    """Ask running batches to stop claiming recipients (a worker got SIGTERM).

    Sends already in flight finish and are recorded; the rest of a batch is queued again
    as a continuation job for any worker.
    """
    _stop.set()


def stop_requested() -> bool:
    """Whether this process is shutting down."""
    return _stop.is_set()

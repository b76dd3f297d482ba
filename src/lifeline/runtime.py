"""What a worker process holds while it runs jobs: the settings and its Redis clients.

RQ jobs are plain functions that take ids (they must be importable and safe to run twice),
so they find the settings here. ``lifeline worker`` installs them at start-up; a job run by
a plain ``rq worker`` loads them from ``LIFELINE_CONFIG`` on first use.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

from lifeline.config import Settings, load_settings
from lifeline.store import connect, connect_rq


@dataclass(frozen=True)
class Runtime:
    """Settings plus long-lived clients, shared by every job of one process."""

    settings: Settings
    redis: Redis
    rq_redis: Redis


_current: Runtime | None = None


def install(settings: Settings) -> Runtime:
    """Make these settings the ones this process's jobs use."""
    global _current
    _current = Runtime(
        settings=settings,
        redis=connect(settings.redis.url),
        rq_redis=connect_rq(settings.redis.url),
    )
    return _current


def current() -> Runtime:
    """The installed runtime, loading the config from the environment on first use."""
    return _current if _current is not None else install(load_settings())

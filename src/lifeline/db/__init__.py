"""Redis, Lifeline's queue and system of record: connections, the shared key layout, scripts.

Each domain's store (``members.store``, ``notices.store``, …) builds its own keys on the
layout in ``keys`` and runs its own Lua scripts (``.lua`` files beside it, loaded by
``scripts``); nothing else talks to Redis for that domain.

Clients come in two tempers. The API's are *quick*: a request that cannot reach Redis
fails within a fraction of a second and is answered 503 with ``Retry-After``. A worker's
are *patient*: every command (and every reconnect) is retried for about half a minute,
so a Redis restart in the middle of a batch only pauses it — a send already made is
recorded once Redis is back instead of being lost and sent again by a re-run.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
import redis.asyncio.sentinel as aiosentinel
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

from lifeline.core import defaults
from lifeline.core.errors import StoreUnavailable
from lifeline.db import sentinel

__all__ = [
    "connect",
    "connect_async",
    "connect_probe",
    "connect_rq",
    "ensure_reachable",
    "masked_url",
]

_NO_HANDSHAKE: dict[str, Any] = {"driver_info": None}
"""No CLIENT SETINFO on connect: against a frozen Redis each handshake round trip waits out
its own timeout before the command itself does."""

_ERRORS = (ConnectionError, TimeoutError)
"""What is retried; ``BusyLoadingError`` (Redis still loading its AOF) is a ConnectionError."""


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(
        cap=defaults.REDIS_BACKOFF_CAP_SECONDS, base=defaults.REDIS_BACKOFF_BASE_SECONDS
    )


def _retries(patient: bool) -> int:
    return defaults.REDIS_PATIENT_RETRIES if patient else defaults.REDIS_QUICK_RETRIES


def _sync(url: str, **kwargs: Any) -> redis.Redis:
    """A client for a ``redis://``, ``rediss://`` or Sentinel URL (``db.sentinel``)."""
    if not sentinel.is_sentinel(url):
        return redis.Redis.from_url(url, **kwargs)
    found = sentinel.parse(url)
    # redis-py leaves its Sentinel classes unannotated.
    watchers = redis.sentinel.Sentinel(  # type: ignore[no-untyped-call]
        found.sentinels,
        sentinel_kwargs=_sentinel_kwargs(found, kwargs),
        **kwargs,
        **sentinel.connection_kwargs(found),
    )
    master = watchers.master_for(found.service, redis_class=redis.Redis)  # type: ignore[no-untyped-call]
    return cast(redis.Redis, master)


def _async(url: str, **kwargs: Any) -> aioredis.Redis:
    """An asyncio client for any of the URLs ``_sync`` takes."""
    if not sentinel.is_sentinel(url):
        return aioredis.Redis.from_url(url, **kwargs)
    found = sentinel.parse(url)
    watchers = aiosentinel.Sentinel(  # type: ignore[no-untyped-call]
        found.sentinels,
        sentinel_kwargs=_sentinel_kwargs(found, kwargs),
        **kwargs,
        **sentinel.connection_kwargs(found),
    )
    master = cast(_SentinelMaster, watchers.master_for(found.service, redis_class=_SentinelMaster))
    master.watchers = watchers
    return master


class _SentinelMaster(aioredis.Redis):
    """An asyncio client of the master that also closes its Sentinel connections: a batch
    job's event loop ends with its run, and nothing may outlive it."""

    watchers: aiosentinel.Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for client in self.watchers.sentinels if self.watchers else []:
            await client.aclose()


def _sentinel_kwargs(found: sentinel.SentinelUrl, kwargs: dict[str, Any]) -> dict[str, Any]:
    # The Sentinels themselves: the client's timeouts, their own password if they have one.
    own: dict[str, Any] = {
        k: kwargs[k] for k in ("socket_connect_timeout", "socket_timeout") if k in kwargs
    }
    if found.sentinel_password:
        own["password"] = found.sentinel_password
    return own


def connect(url: str, *, patient: bool = False) -> redis.Redis:
    """A pooled client for the store (strings in, strings out); ``patient`` for workers.

    A quick client (the API's, the bot's) gives up within a few seconds also on a Redis that
    accepts connections but does not answer, so a request is answered 503, not held.
    """
    return _sync(
        url,
        decode_responses=True,
        health_check_interval=_health_check(patient),
        socket_connect_timeout=_connect_timeout(patient),
        socket_timeout=_socket_timeout(patient),
        retry=Retry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
        **_NO_HANDSHAKE,
    )


def connect_probe(url: str) -> redis.Redis:
    """A client for health checks: one try, short timeouts, so ``/readyz`` answers fast."""
    timeout = defaults.REDIS_PROBE_TIMEOUT_SECONDS
    return _sync(
        url,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(_backoff(), retries=0),
        **_NO_HANDSHAKE,
    )


def _health_check(patient: bool) -> int:
    # A quick client's one retry replaces a dropped connection anyway; its PING before a
    # command would only double the wait on a frozen Redis.
    return defaults.REDIS_HEALTH_CHECK_SECONDS if patient else 0


def _connect_timeout(patient: bool) -> float:
    return (
        defaults.REDIS_CONNECT_TIMEOUT_SECONDS if patient else defaults.REDIS_QUICK_TIMEOUT_SECONDS
    )


def _socket_timeout(patient: bool) -> float:
    return (
        defaults.REDIS_SOCKET_TIMEOUT_SECONDS if patient else defaults.REDIS_QUICK_TIMEOUT_SECONDS
    )


def connect_rq(url: str, *, patient: bool = False) -> redis.Redis:
    """A pooled client for RQ, which stores pickled bytes; ``patient`` for workers.

    A worker raises the socket timeout above its blocking dequeue's (RQ does that itself).
    """
    return _sync(
        url,
        health_check_interval=_health_check(patient),
        socket_connect_timeout=_connect_timeout(patient),
        socket_timeout=defaults.REDIS_RQ_SOCKET_TIMEOUT_SECONDS
        if patient
        else defaults.REDIS_QUICK_TIMEOUT_SECONDS,
        retry=Retry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
        **_NO_HANDSHAKE,
    )


def connect_async(url: str, *, patient: bool = True) -> aioredis.Redis:
    """An asyncio client for a batch job (strings), patient unless told otherwise.

    One per job run: it belongs to the event loop of that run, so close it (``aclose``)
    before the job returns — unless the loop outlives the job (``delivery.kept`` keeps a
    worker's client on the worker's loop and closes it there).
    """
    return _async(
        url,
        decode_responses=True,
        health_check_interval=defaults.REDIS_HEALTH_CHECK_SECONDS,
        socket_connect_timeout=defaults.REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_timeout=defaults.REDIS_SOCKET_TIMEOUT_SECONDS,
        retry=AsyncRetry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
        **_NO_HANDSHAKE,
    )


def masked_url(url: str) -> str:
    """The Redis URL with its password replaced by ``***``, fit for messages and logs."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def ensure_reachable(url: str, *, timeout: float = defaults.REDIS_PING_TIMEOUT_SECONDS) -> None:
    """StoreUnavailable naming the Redis unless it answers PING within ``timeout`` seconds:
    commands refuse to start against a Redis that is not there, rather than fail later."""
    try:
        client = _sync(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    except ValueError as exc:
        raise StoreUnavailable(f"Redis URL {masked_url(url)}: {exc}") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StoreUnavailable(f"cannot reach Redis at {masked_url(url)}: {exc}") from None
    finally:
        client.close()

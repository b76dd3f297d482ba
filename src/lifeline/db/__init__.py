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

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

from lifeline.core import defaults
from lifeline.core.errors import StoreUnavailable

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


def connect(url: str, *, patient: bool = False) -> redis.Redis:
    """A pooled client for the store (strings in, strings out); ``patient`` for workers.

    A quick client (the API's, the bot's) gives up within a few seconds also on a Redis that
    accepts connections but does not answer, so a request is answered 503, not held.
    """
    return redis.Redis.from_url(
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
    return redis.Redis.from_url(
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
    return redis.Redis.from_url(
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
    before the job returns.
    """
    return aioredis.Redis.from_url(
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
    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise StoreUnavailable(f"cannot reach Redis at {masked_url(url)}: {exc}") from None
    finally:
        client.close()

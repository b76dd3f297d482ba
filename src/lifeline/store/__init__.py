"""Redis as Lifeline's system of record: tenants' members, notices, API keys, deliveries.

Every key is built in ``keys`` and scoped by tenant, so no function here can reach
another tenant's data by accident.

Clients come in two tempers. The API's are *quick*: a request that cannot reach Redis
fails within a fraction of a second and is answered 503 with ``Retry-After``. A worker's
are *patient*: every command (and every reconnect) is retried for about half a minute,
so a Redis restart in the middle of a batch only pauses it — a send already made is
recorded once Redis is back instead of being lost and sent again by a re-run.
"""

from __future__ import annotations

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError, TimeoutError
from redis.retry import Retry

from lifeline.errors import StoreUnavailable

__all__ = ["StoreUnavailable", "connect", "connect_async", "connect_rq"]

QUICK_RETRIES = 2
"""Retries of a quick client: one reconnect after a dropped connection, then give up."""

PATIENT_RETRIES = 40
"""Retries of a patient client, 50 ms doubling up to 1 s apart: ≈ 38 s in all (each one
also reconnects with the same policy), enough for a Redis restart with an AOF to load."""

_ERRORS = (ConnectionError, TimeoutError)
"""What is retried; ``BusyLoadingError`` (Redis still loading its AOF) is a ConnectionError."""


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=1.0, base=0.05)


def _retries(patient: bool) -> int:
    return PATIENT_RETRIES if patient else QUICK_RETRIES


def connect(url: str, *, patient: bool = False) -> redis.Redis:
    """A pooled client for the store (strings in, strings out); ``patient`` for workers."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=5,
        socket_timeout=10,
        retry=Retry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
    )


def connect_rq(url: str, *, patient: bool = False) -> redis.Redis:
    """A pooled client for RQ, which stores pickled bytes; ``patient`` for workers.

    A worker raises the socket timeout above its blocking dequeue's (RQ does that itself).
    """
    return redis.Redis.from_url(
        url,
        health_check_interval=30,
        socket_connect_timeout=5,
        socket_timeout=30,
        retry=Retry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
    )


def connect_async(url: str, *, patient: bool = True) -> aioredis.Redis:
    """An asyncio client for a batch job (strings), patient unless told otherwise.

    One per job run: it belongs to the event loop of that run, so close it (``aclose``)
    before the job returns.
    """
    return aioredis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=5,
        socket_timeout=10,
        retry=AsyncRetry(_backoff(), retries=_retries(patient), supported_errors=_ERRORS),
    )

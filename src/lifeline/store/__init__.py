"""Redis as Lifeline's system of record: tenants' members, notices, API keys, deliveries.

Every key is built in ``keys`` and scoped by tenant, so no function here can reach
another tenant's data by accident.
"""

from __future__ import annotations

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from lifeline.errors import StoreUnavailable

__all__ = ["StoreUnavailable", "connect", "connect_rq"]


def connect(url: str) -> redis.Redis:
    """A pooled client for the store (strings in, strings out)."""
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=5,
        socket_timeout=10,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=2),
    )


def connect_rq(url: str) -> redis.Redis:
    """A pooled client for RQ, which stores pickled bytes."""
    return redis.Redis.from_url(
        url,
        health_check_interval=30,
        socket_connect_timeout=5,
        socket_timeout=30,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=2),
    )

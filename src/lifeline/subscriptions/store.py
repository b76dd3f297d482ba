"""Pending sign-ups in Redis; they expire unconfirmed after ``SIGNUP_EXPIRY_SECONDS``::

    ll:t:<tenant>:signup:<sha256(token)>        hash: the Signup, the code's hash, attempts
    ll:t:<tenant>:signup-address:<sha256(a)>    set for a while after a sign-up of address a
    ll:t:<tenant>:signup-client:<client>        sign-ups a client address started this hour

Only hashes of tokens, codes and addresses are keys: the database alone gives no working
link, and no key says who signed up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import Enum
from typing import Any, cast

import redis

from lifeline.core import defaults
from lifeline.db import keys
from lifeline.subscriptions.model import Signup, Started


class CodeCheck(Enum):
    """What a code entered on the page did."""

    RIGHT = "right"
    WRONG = "wrong"
    GONE = "gone"
    """Expired, already confirmed, or too many wrong codes (the sign-up is deleted then)."""


class SignupStore:
    """A tenant's pending sign-ups and the throttles in front of them."""

    def __init__(self, client: redis.Redis, tenant_id: str) -> None:
        self.redis = client
        self.prefix = keys.tenant(tenant_id)

    def allow_client(self, client: str, per_hour: int) -> int | None:
        """Count a sign-up from this client address; the seconds to wait when over the limit."""
        key = f"{self.prefix}signup-client:{client}"
        pipe = self.redis.pipeline()
        pipe.set(key, 0, ex=3600, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        return None if int(count) <= per_hour else max(1, int(ttl))

    def start(self, signup: Signup) -> Started | None:
        """Store a sign-up to be confirmed; None (nothing stored, nothing to send) when the
        same address signed up within ``SIGNUP_ADDRESS_WINDOW_SECONDS``."""
        address_key = f"{self.prefix}signup-address:{_digest(f'{signup.kind}:{signup.address}')}"
        if not self.redis.set(address_key, 1, nx=True, ex=defaults.SIGNUP_ADDRESS_WINDOW_SECONDS):
            return None
        token = secrets.token_urlsafe(24)
        fields = signup.to_fields() | {"attempts": "0"}
        code = None
        if signup.kind == "sms":
            code = "".join(secrets.choice("0123456789") for _ in range(defaults.SIGNUP_CODE_DIGITS))
            fields["code"] = _digest(f"{token}:{code}")
        key = self._key(token)
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping=cast(Any, fields))  # redis-py types keys invariantly
        pipe.expire(key, defaults.SIGNUP_EXPIRY_SECONDS)
        pipe.execute()
        return Started(token=token, code=code)

    def peek(self, token: str) -> Signup | None:
        """The pending sign-up of a token, changing nothing (a confirmation page's GET)."""
        fields = cast(dict[str, str], self.redis.hgetall(self._key(token)))
        return Signup.from_fields(fields) if fields else None

    def take(self, token: str) -> Signup | None:
        """Remove and return the sign-up; of two requests at once only one gets it."""
        key = self._key(token)
        pipe = self.redis.pipeline()
        pipe.hgetall(key)
        pipe.delete(key)
        fields, deleted = pipe.execute()
        return Signup.from_fields(fields) if fields and deleted else None

    def check_code(self, token: str, code: str) -> CodeCheck:
        """Compare an entered code; a wrong one counts, and too many delete the sign-up."""
        key = self._key(token)
        pipe = self.redis.pipeline()
        pipe.hget(key, "code")
        pipe.hincrby(key, "attempts", 1)
        expected, attempts = pipe.execute()
        if expected is None:
            self.redis.delete(key)  # HINCRBY made a hash where there was none
            return CodeCheck.GONE
        if hmac.compare_digest(str(expected), _digest(f"{token}:{code.strip()}")):
            return CodeCheck.RIGHT
        if int(attempts) >= defaults.SIGNUP_CODE_ATTEMPTS:
            self.redis.delete(key)
            return CodeCheck.GONE
        return CodeCheck.WRONG

    def _key(self, token: str) -> str:
        return f"{self.prefix}signup:{_digest(token)}"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()

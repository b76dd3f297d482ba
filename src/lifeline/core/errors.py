"""Lifeline's own exceptions.

    LifelineError
    ├── ConfigError            the config file is missing, unreadable or invalid
    ├── NotFound               a tenant-scoped object does not exist (or is another tenant's)
    ├── Conflict               the request contradicts stored state (duplicate member, …)
    ├── InvalidInput           a value passed validation of its shape but not of its meaning
    ├── PermissionDenied       an API key lacks the role an action needs
    └── StoreUnavailable       Redis cannot be reached; the caller may retry later

Provider failures are not exceptions: a channel returns one outcome per recipient
(see ``lifeline.channels.base``).
"""

from __future__ import annotations


class LifelineError(Exception):
    """Base of every error Lifeline raises on purpose."""


class ConfigError(LifelineError):
    """The configuration cannot be used; the message names the key and the problem."""


class NotFound(LifelineError):
    """A tenant-scoped object does not exist for this tenant."""


class Conflict(LifelineError):
    """The request contradicts what is already stored."""


class InvalidInput(LifelineError):
    """A value has the right shape but cannot be used (e.g. an SMS over its segment limit)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDenied(LifelineError):
    """The caller's API key does not carry the role this action needs."""


class StoreUnavailable(LifelineError):
    """Redis is unreachable; retry later."""

"""Redis behind Sentinel, named by one URL so that every setting stays a plain string::

    redis+sentinel://[user:password@]host1:26379,host2:26379/<service>[/<db>]
    rediss+sentinel://…                       the same with TLS to Redis (``ssl_*`` options
                                              in the query, as for ``rediss://``)

The password is the Redis one; ``sentinel_password`` in the query is the Sentinels' own (if
they require one). Clients ask a Sentinel for the current master before connecting and again
after a connection fails or the master turns out to be a replica, so a fail-over only pauses
them (a patient client's retries outlast Sentinel's usual 10–30 s).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True, slots=True)
class SentinelUrl:
    """A Sentinel URL, read."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    options: dict[str, str] = field(default_factory=dict)
    sentinel_password: str | None = None


def is_sentinel(url: str) -> bool:
    """Whether the URL names Redis through Sentinel."""
    return url.split("://", 1)[0].lower() in SCHEMES


def parse(url: str) -> SentinelUrl:
    """The parts of a Sentinel URL; ValueError naming what is wrong."""
    parts = urlsplit(url)
    userinfo, _, hostlist = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if userinfo else ("", "", "")
    sentinels = []
    for item in hostlist.split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"sentinel {item!r}: write host:port (e.g. sentinel-1:26379)")
        sentinels.append((host.strip("[]"), int(port)))
    path = [p for p in parts.path.split("/") if p]
    if not path:
        raise ValueError("name the Sentinel service after the hosts: …:26379/mymaster")
    db = path[1] if len(path) > 1 else "0"
    if not db.isdigit():
        raise ValueError(f"database {db!r}: a number after the service name")
    options = dict(parse_qsl(parts.query))
    return SentinelUrl(
        sentinels=sentinels,
        service=unquote(path[0]),
        db=int(db),
        username=unquote(username) or None,
        password=unquote(password) or None,
        tls=parts.scheme.lower().startswith("rediss"),
        options={k: v for k, v in options.items() if k != "sentinel_password"},
        sentinel_password=options.get("sentinel_password"),
    )


def connection_kwargs(found: SentinelUrl) -> dict[str, Any]:
    """Keyword arguments of the Redis connections to the master."""
    kwargs: dict[str, Any] = {"db": found.db}
    if found.username:
        kwargs["username"] = found.username
    if found.password:
        kwargs["password"] = found.password
    if found.tls:
        kwargs["ssl"] = True
        kwargs.update({k: v for k, v in found.options.items() if k.startswith("ssl_")})
    return kwargs

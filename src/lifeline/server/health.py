"""``/healthz`` (the process answers) and ``/readyz`` (it can reach Redis), for orchestrators."""

from __future__ import annotations

import logging
from typing import Annotated, Literal, cast

import redis
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from lifeline.server.errors import responses

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    """Redis answers; ``warnings`` name what an operator should fix (e.g. no persistence)."""

    status: Literal["ready"] = "ready"
    warnings: list[str]


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    """Answers without touching Redis, so a Redis outage does not get the API restarted."""
    return Health()


def get_probe(request: Request) -> redis.Redis:
    """The health-check client: one try, short timeouts."""
    return cast(redis.Redis, request.app.state.probe)


@router.get("/readyz", summary="Redis is reachable", responses=responses(503))
def readyz(client: Annotated[redis.Redis, Depends(get_probe)]) -> Readiness:
    """PING Redis (503 with Retry-After if it does not answer within a second or so) and
    check its persistence."""
    client.ping()
    warning = persistence_warning(client)
    return Readiness(warnings=[warning] if warning else [])


def persistence_warning(client: redis.Redis) -> str | None:
    """Why Redis may lose members and deliveries on a restart, or None if AOF is on."""
    try:
        appendonly = client.config_get("appendonly").get("appendonly")
    except redis.ResponseError as exc:
        # Managed Redis (ElastiCache, Upstash, ACL users) often refuses CONFIG.
        return f"cannot check Redis persistence (CONFIG GET refused: {exc})"
    if appendonly == "yes":
        return None
    return "Redis persistence (AOF) is off: a restart loses recent members and deliveries"

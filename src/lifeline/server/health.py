"""``/healthz`` (the process answers) and ``/readyz`` (it can reach Redis), for orchestrators."""

from __future__ import annotations

import logging
from typing import Annotated, Literal, cast

import redis
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from lifeline.config import Settings
from lifeline.core.vocabulary import CHANNEL_KINDS
from lifeline.delivery import breaker
from lifeline.server.errors import responses

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process is alive."""

    status: Literal["ok"] = "ok"


class ProviderState(BaseModel):
    """One provider of a channel with several, and its breaker."""

    tenant: str
    channel: str
    provider: str
    state: Literal["closed", "open", "half_open"]
    """closed: sends go through it; open: it failed, the next one sends; half_open: its
    cool-down is over, the next send probes it."""


class Readiness(BaseModel):
    """Redis answers; ``warnings`` name what an operator should fix (e.g. no persistence).

    A provider whose breaker is open is a warning, never "not ready": the next provider
    sends, and restarting this process would not mend a provider."""

    status: Literal["ready"] = "ready"
    warnings: list[str]
    providers: list[ProviderState] = []
    """Every provider of each channel that has more than one, in the order they are tried."""


@router.get("/healthz", summary="The process is alive")
def healthz() -> Health:
    """Answers without touching Redis, so a Redis outage does not get the API restarted."""
    return Health()


def get_probe(request: Request) -> redis.Redis:
    """The health-check client: one try, short timeouts."""
    return cast(redis.Redis, request.app.state.probe)


@router.get("/readyz", summary="Redis is reachable", responses=responses(503))
def readyz(request: Request, client: Annotated[redis.Redis, Depends(get_probe)]) -> Readiness:
    """PING Redis (503 with Retry-After if it does not answer within a second or so),
    check its persistence and show the breakers of channels with several providers."""
    client.ping()
    warning = persistence_warning(client)
    providers = provider_states(client, cast(Settings, request.app.state.settings))
    warnings = [warning] if warning else []
    return Readiness(warnings=warnings + provider_warnings(providers), providers=providers)


def provider_states(client: redis.Redis, settings: Settings) -> list[ProviderState]:
    """The breaker state of every provider of each channel that has several."""
    found = []
    for tenant in settings.tenants:
        for kind in CHANNEL_KINDS:
            names = [name for name, _ in tenant.channels.providers(kind)]
            if len(names) < 2:
                continue
            found += [
                ProviderState(tenant=tenant.id, channel=kind, provider=h.name, state=h.state)
                for h in breaker.health(client, tenant.id, kind, names)
            ]
    return found


def provider_warnings(providers: list[ProviderState]) -> list[str]:
    """One line per channel with providers not closed."""
    channels: dict[tuple[str, str], list[ProviderState]] = {}
    for p in providers:
        channels.setdefault((p.tenant, p.channel), []).append(p)
    lines = []
    for (tenant, kind), chain in channels.items():
        down = [p.provider for p in chain if p.state != "closed"]
        if len(down) == len(chain):
            lines.append(f"{tenant} {kind}: every provider is failing ({', '.join(down)})")
        elif down:
            lines.append(f"{tenant} {kind}: provider {', '.join(down)} failing, the next sends")
    return lines


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

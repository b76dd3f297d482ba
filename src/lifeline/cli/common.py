"""What every ``lifeline`` command shares: one line per problem, exit 2, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import NoReturn, ParamSpec, TypeVar

import redis
import typer
from rich.console import Console

from lifeline.config import Settings, TenantConfig, load_settings
from lifeline.core.errors import LifelineError
from lifeline.db import ensure_reachable
from lifeline.messages import check_templates

P = ParamSpec("P")
R = TypeVar("R")

err = Console(stderr=True, soft_wrap=True)  # one problem, one line, also in a pipe


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Print Lifeline's errors as one line and exit 2 instead of showing a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LifelineError as exc:
            fail(str(exc))
        except redis.RedisError as exc:  # e.g. Redis went away and patience ran out
            fail(f"Redis: {type(exc).__name__}: {exc}")

    return wrapper


def fail(message: str) -> NoReturn:
    """Say what is wrong on stderr, in one line, and exit 2."""
    # The message may hold [brackets] (patterns, key paths): never read it as markup.
    err.print("[bold red]error:[/]", end=" ", highlight=False)
    err.print(message, highlight=False, markup=False)
    raise typer.Exit(2) from None


def settings() -> Settings:
    """The settings named by the environment (``LIFELINE_CONFIG``), once every tenant's
    templates render (a broken one stops the start naming file and line)."""
    found = load_settings()
    check_templates(found)
    return found


def reachable(found: Settings) -> Settings:
    """The settings, once their Redis answers (else one line naming it, exit 2)."""
    ensure_reachable(found.redis.url)
    return found


def tenant_settings(tenant_id: str) -> tuple[Settings, TenantConfig]:
    """The settings (Redis reachable) and the tenant ``--tenant`` names; an error naming
    the tenants configured when it is not one of them."""
    found = reachable(settings())
    tenant = found.tenant(tenant_id)
    if tenant is None:
        known = ", ".join(t.id for t in found.tenants) or "none"
        raise LifelineError(f"--tenant: {tenant_id!r} is not in the config (configured: {known})")
    return found, tenant

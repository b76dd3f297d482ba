"""``lifeline keys create | list | revoke | rotate``: API keys, from the operator's shell.

A new key is printed once, alone on the last line of standard output; everything else
goes to standard error. The admin API does the same for a tenant's admins (``/v1/keys``).
"""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import redis
import typer

from lifeline.access import apikeys
from lifeline.audit import Actor, AuditLog
from lifeline.cli.common import err, friendly, tenant_settings
from lifeline.config import Settings
from lifeline.core.errors import LifelineError
from lifeline.core.vocabulary import ROLES
from lifeline.db import connect

app = typer.Typer(help="Manage API keys.", no_args_is_help=True)

TenantOpt = Annotated[str, typer.Option(help="Tenant id the key belongs to.")]
KeyIdArg = Annotated[str, typer.Argument(help="The key's id, as `lifeline keys list` shows it.")]


@app.command("create")
@friendly
def create(
    tenant: TenantOpt,
    role: Annotated[
        list[str], typer.Option(help="publisher, support or admin; repeat for several.")
    ],
    label: Annotated[
        str, typer.Option("--label", "--name", help="Who or what holds the key.")
    ] = "",
    expires: Annotated[
        str | None,
        typer.Option(help="When it stops working: a date (2027-06-30) or a number of days (90d)."),
    ] = None,
) -> None:
    """Create an API key; it is printed once, alone on the last line."""
    found = _tenant(tenant)
    bad = [r for r in role if r not in ROLES]
    if bad:
        raise LifelineError(f"--role: {bad[0]!r} is not one of {', '.join(ROLES)}")
    client = connect(found.redis.url)
    key = apikeys.create(client, tenant, set(role), label, expires_at=_expiry(expires))
    _audit(found, client, tenant).record(
        "key.create", _shell(), apikeys.key_id(key), label=label, roles=",".join(sorted(role))
    )
    err.print(f"API key for tenant {tenant} with roles {', '.join(sorted(role))}:")
    print(key)


@app.command("list")
@friendly
def list_keys(tenant: TenantOpt) -> None:
    """The tenant's keys: id, label, roles, created, last used, expiry."""
    found = _tenant(tenant)
    rows = apikeys.list_keys(connect(found.redis.url), tenant)
    print(
        "id            label                roles                 created     last used   expires"
    )
    for key in rows:
        state = " (expired)" if key.expired() else ""
        print(
            f"{key.id}  {key.name[:20]:<20} {','.join(sorted(key.roles)):<21} "
            f"{_day(key.created_at)}  {_day(key.last_used_at)}  {_day(key.expires_at)}{state}"
        )
    err.print(f"{len(rows)} key(s) of tenant {tenant}")


@app.command("revoke")
@friendly
def revoke(tenant: TenantOpt, key_id: KeyIdArg) -> None:
    """Revoke a key: it stops working at once."""
    found = _tenant(tenant)
    client = connect(found.redis.url)
    key = apikeys.revoke_id(client, tenant, key_id)
    _audit(found, client, tenant).record("key.revoke", _shell(), key_id)
    err.print(f"revoked {key.id} ({key.name or 'no label'})")


@app.command("rotate")
@friendly
def rotate(tenant: TenantOpt, key_id: KeyIdArg) -> None:
    """Replace a key with a new one (printed once, last line); the old one stops working."""
    found = _tenant(tenant)
    client = connect(found.redis.url)
    new, old = apikeys.rotate(client, tenant, key_id)
    _audit(found, client, tenant).record(
        "key.rotate", _shell(), key_id, new_key=apikeys.key_id(new)
    )
    err.print(f"{old.id} ({old.name or 'no label'}) revoked; its successor:")
    print(new)


def _shell() -> Actor:
    """Who acts from the operator's shell, as the audit log names it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        user = "unknown user"
    return Actor("shell", f"lifeline keys ({user})", "local")


def _audit(found: Settings, client: redis.Redis, tenant: str) -> AuditLog:
    return AuditLog(client, tenant, retention_days=found.api.audit_retention_days)


def _tenant(tenant: str) -> Settings:
    return tenant_settings(tenant)[0]


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    if text.endswith("d") and text[:-1].isdigit():
        return datetime.now(UTC) + timedelta(days=int(text[:-1]))
    try:
        day = datetime.fromisoformat(text)
    except ValueError:
        raise LifelineError(f"--expires: {text!r} is neither a date (2027-06-30) nor 90d") from None
    moment = day if day.tzinfo else day.replace(tzinfo=UTC)
    if moment <= datetime.now(UTC):
        raise LifelineError(f"--expires: {text} is not in the future")
    return moment


def _day(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else "–         "

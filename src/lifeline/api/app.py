"""The admin API application: one per process (or per test), built from one ``Settings``."""

from __future__ import annotations

from fastapi import FastAPI

from lifeline import web
from lifeline.api import (
    acknowledgements,
    approvals,
    audit,
    faq,
    keys,
    member_data,
    members,
    notices,
    scenarios,
)
from lifeline.config import Settings, load_settings
from lifeline.server import build_app, health, metrics

DESCRIPTION = """\
Tell members what is broken when the insurer's own IT is down.

Every call except the health checks needs `Authorization: Bearer <key>`; a key belongs to
one tenant and carries roles (`publisher`, `support`, `admin`; admin may do everything).
Errors are always `{"error": {"code": …, "message": …}}`, with `details` per invalid field.
"""

ADMIN_ROUTERS = (health, metrics, notices, approvals, acknowledgements, scenarios, members,
                 member_data, faq, keys, audit)  # fmt: skip
"""The admin API's route modules, in the order the OpenAPI document lists them."""


def create_app(settings: Settings) -> FastAPI:
    """The admin API for these settings, with the public pages and webhooks beside it (so
    that one process can serve everything); its Redis clients close when it shuts down."""
    return build_app(
        settings,
        title="Lifeline admin API",
        description=DESCRIPTION,
        routers=[m.router for m in ADMIN_ROUTERS] + list(web.ROUTERS),
        large_paths={members.IMPORT_PATH},
    )


def create_app_from_env() -> FastAPI:
    """The API for the config named by ``LIFELINE_CONFIG`` (``lifeline api`` runs this)."""
    return create_app(load_settings())

"""The public app of ``lifeline web``: members' pages and the providers' webhooks, without
the admin API, so that only this one need face the internet."""

from __future__ import annotations

from fastapi import FastAPI

from lifeline.config import Settings, load_settings
from lifeline.server import build_app, health
from lifeline.web.routes import ROUTERS

DESCRIPTION = """\
Lifeline's public side: the status page, sign-up and unsubscribe pages of every tenant, and
the webhooks through which Telegram and the SMS gateways deliver what members send.
"""


def create_web_app(settings: Settings) -> FastAPI:
    """The public pages and webhooks for these settings."""
    return build_app(
        settings,
        title="Lifeline public pages and webhooks",
        description=DESCRIPTION,
        routers=[health.router, *ROUTERS],
    )


def create_web_app_from_env() -> FastAPI:
    """The public app for the config named by ``LIFELINE_CONFIG`` (``lifeline web``)."""
    return create_web_app(load_settings())

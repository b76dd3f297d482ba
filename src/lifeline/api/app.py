"""The admin API application: one per process (or per test), built from one ``Settings``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from rq import Queue

import lifeline
from lifeline.api import errors, faq, health, keys, members, notices, telegram
from lifeline.api.limits import BodySizeLimit
from lifeline.bot import WebhookBots
from lifeline.config import Settings, load_settings
from lifeline.core import defaults
from lifeline.db import connect, connect_probe, connect_rq
from lifeline.faq import FaqStore
from lifeline.members import MemberStore
from lifeline.notices import NoticeStore

log = logging.getLogger(__name__)

DESCRIPTION = """\
Tell members what is broken when the insurer's own IT is down.

Every call except the health checks needs `Authorization: Bearer <key>`; a key belongs to
one tenant and carries roles (`publisher`, `support`, `admin`; admin may do everything).
Errors are always `{"error": {"code": …, "message": …}}`, with `details` per invalid field.
"""


def create_app(settings: Settings) -> FastAPI:
    """The API for these settings; its Redis clients close when the app shuts down."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.webhook_bots.start()
        try:
            yield
        finally:
            await app.state.webhook_bots.stop()
        app.state.redis.close()
        app.state.probe.close()
        app.state.rq_redis.close()

    # /docs serves Swagger UI from the package: it must work when the internet does not.
    app = FastAPIOffline(
        title="Lifeline admin API",
        version=lifeline.__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        redoc_url=None,
    )
    # Created here, not in the lifespan, so an app works even where no lifespan runs.
    app.state.settings = settings
    app.state.redis = connect(settings.redis.url)
    app.state.probe = connect_probe(settings.redis.url)
    app.state.rq_redis = connect_rq(settings.redis.url)
    app.state.plan_queue = Queue(defaults.QUEUE_PLAN, connection=app.state.rq_redis)
    app.state.notice_store = NoticeStore(app.state.redis)
    app.state.member_store = MemberStore(app.state.redis)
    app.state.faq_store = FaqStore(app.state.redis)
    app.state.webhook_bots = WebhookBots(settings, app.state.redis)
    errors.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.api.max_body_bytes,
        large_max_bytes=settings.api.import_max_body_bytes,
        large_paths={members.IMPORT_PATH},
    )
    routers = (health, notices, members, faq, keys, telegram)
    for router in (module.router for module in routers):
        app.include_router(router)
    return app


def create_app_from_env() -> FastAPI:
    """The API for the config named by ``LIFELINE_CONFIG`` (``lifeline api`` runs this)."""
    return create_app(load_settings())

"""What an HTTP app of Lifeline keeps for its whole life, built once from one ``Settings``:
Redis clients, the plan queue, the stores and the tenants' webhook bots, on ``app.state``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from rq import Queue

import lifeline
from lifeline.bot import WebhookBots
from lifeline.config import Settings
from lifeline.core import defaults
from lifeline.db import connect, connect_probe, connect_rq
from lifeline.faq import FaqStore
from lifeline.members import MemberStore
from lifeline.notices import NoticeStore
from lifeline.server import errors
from lifeline.server.limits import BodySizeLimit
from lifeline.server.requests import RequestIds


def build_app(
    settings: Settings,
    *,
    title: str,
    description: str,
    routers: Iterable[APIRouter],
    large_paths: Iterable[str] = (),
) -> FastAPI:
    """An app with Lifeline's state, error shape and body cap, serving these routers."""
    # /docs serves Swagger UI from the package: it must work when the internet does not.
    app = FastAPIOffline(
        title=title,
        version=lifeline.__version__,
        description=description,
        lifespan=_lifespan,
        redoc_url=None,
    )
    # Created here, not in the lifespan, so an app works even where no lifespan runs.
    app.state.settings = settings
    app.state.redis = connect(settings.redis.url)
    app.state.probe = connect_probe(settings.redis.url)
    app.state.rq_redis = connect_rq(settings.queue_url)
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
        large_paths=set(large_paths),
    )
    app.add_middleware(RequestIds)  # outermost: the body cap's 413 has an id too
    for router in routers:
        app.include_router(router)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    await app.state.webhook_bots.start()
    try:
        yield
    finally:
        await app.state.webhook_bots.stop()
    app.state.redis.close()
    app.state.probe.close()
    app.state.rq_redis.close()

"""What every HTTP route of Lifeline may need, as ``Annotated`` aliases: the settings, the
Redis client, the plan queue and the stores, all created once (``server.state``) and kept on
``app.state``; these functions only hand them out.
"""

from __future__ import annotations

from typing import Annotated, cast

import redis
from fastapi import Depends, Request
from rq import Queue

from lifeline.config import Settings
from lifeline.faq import FaqStore
from lifeline.members import MemberStore
from lifeline.notices import NoticeStore


def get_settings(request: Request) -> Settings:
    """The app's settings."""
    return cast(Settings, request.app.state.settings)


def get_redis(request: Request) -> redis.Redis:
    """The store client (strings)."""
    return cast(redis.Redis, request.app.state.redis)


def get_plan_queue(request: Request) -> Queue:
    """The RQ queue of planning jobs (``lifeline:plan``)."""
    return cast(Queue, request.app.state.plan_queue)


def get_notice_store(request: Request) -> NoticeStore:
    """Notices of every tenant (each call names its tenant)."""
    return cast(NoticeStore, request.app.state.notice_store)


def get_member_store(request: Request) -> MemberStore:
    """Members of every tenant (each call names its tenant)."""
    return cast(MemberStore, request.app.state.member_store)


def get_faq_store(request: Request) -> FaqStore:
    """FAQ entries of every tenant (each call names its tenant)."""
    return cast(FaqStore, request.app.state.faq_store)


SettingsDep = Annotated[Settings, Depends(get_settings)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
PlanQueueDep = Annotated[Queue, Depends(get_plan_queue)]
NoticeStoreDep = Annotated[NoticeStore, Depends(get_notice_store)]
MemberStoreDep = Annotated[MemberStore, Depends(get_member_store)]
FaqStoreDep = Annotated[FaqStore, Depends(get_faq_store)]

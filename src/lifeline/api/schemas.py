"""What the admin API answers: the JSON shapes of notices, progress and members."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lifeline.core.vocabulary import ChannelKind, NoticeStatus, Severity, Stage
from lifeline.members.schemas import Consent


class ChannelProgressOut(BaseModel):
    """Delivery counts of one channel."""

    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    complete: bool
    delivered: int = 0
    """Of those sent: reported delivered by the provider (email and SMS receipts)."""
    undeliverable: int = 0
    """Of those sent: reported undeliverable by the provider (a bounce, a failed SMS)."""
    rate: float = 0.0
    """Recipients finished (sent or failed) per second over the last minute."""
    eta_seconds: float | None = None
    """Seconds until the last pending recipient is reached at that rate; null if unknown."""
    failure_reasons: dict[str, int] = Field(default_factory=dict)


class NoticeOut(BaseModel):
    """A notice as the API shows it, with its delivery progress per channel."""

    id: int
    status: NoticeStatus
    severity: Severity
    headline: dict[str, str]
    body: dict[str, str]
    services: list[str]
    topics: list[str]
    channels: list[str]
    created_at: datetime
    expires_at: datetime | None
    planning: Literal["queued", "waiting", "planning", "done"]
    progress: dict[str, ChannelProgressOut]
    complete: bool
    stage: Stage = "alert"
    parent_id: int | None = None
    updates: list[FollowUpOut] = Field(default_factory=list)
    """The notice's updates and resolve, oldest first."""


class NoticeAccepted(BaseModel):
    """The answer to ``POST /v1/notices``."""

    id: int
    status: str
    replayed: bool = False
    """True when an Idempotency-Key matched an earlier request: nothing new was sent."""


class MemberOut(BaseModel):
    """A member as the API shows it."""

    id: int
    language: str
    topics: list[str]
    telegram_chat_id: int | None
    email: str | None
    phone: str | None
    external_id: str | None
    tester: bool
    consent: Consent | None
    paused_channels: list[str]
    created_at: datetime | None


class FollowUpOut(BaseModel):
    """An update or resolve as listed under its notice."""

    id: int
    stage: Literal["update", "resolve"]
    created_at: datetime
    body: dict[str, str]
    progress: dict[str, ChannelProgressOut]
    complete: bool


class FailureOut(BaseModel):
    """One recipient a notice could not reach."""

    member_id: int
    channel: ChannelKind
    reason: str


class FailurePage(BaseModel):
    """``GET /v1/notices/{id}/failures``: one page; pass ``cursor`` for the next."""

    failures: list[FailureOut]
    next_cursor: str | None


NoticeOut.model_rebuild()

"""What the admin API answers: the JSON shapes of notices, progress and members."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from lifeline.core.vocabulary import (
    ApprovalState,
    ChannelKind,
    NoticeMode,
    NoticeStatus,
    Severity,
    Stage,
)
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


class ApprovalOut(BaseModel):
    """Where a notice that needed a second person stands."""

    state: ApprovalState
    reason: str
    """Which rule of the tenant's policy made it wait (``severity critical``, …)."""
    proposed_by: str
    """The label of the key that posted it."""
    expires_at: datetime
    """A pending notice not approved by then is never sent (its status reads expired)."""
    decided_by: str | None = None
    decided_at: datetime | None = None


class CascadeOut(BaseModel):
    """A notice's cascade: after ``after_seconds`` without acknowledgement on one channel
    of ``order``, on to the member's next one."""

    after_seconds: int
    order: list[ChannelKind]
    cascaded_from: dict[str, int]
    """Members moved on from each channel (not acknowledged in time, or failed there)."""
    cascaded_to: dict[str, int]
    """Members the cascade sent the notice to on each channel."""
    steps_done: int
    """Steps run, of ``len(order) - 1``."""
    progress: dict[str, ChannelProgressOut] = Field(default_factory=dict)
    """Delivery on the channels only the cascade uses (not among the notice's
    ``channels``, whose ``progress`` counts the cascade's members too)."""


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
    mode: NoticeMode = "actual"
    """The CAP status it was posted with (``status`` in the request): ``exercise`` and
    ``test`` notices went to testers only."""
    scenario: str | None = None
    """The prepared scenario it was made from."""
    approval: ApprovalOut | None = None
    """Set when the tenant's policy made it wait for a second person."""
    acknowledged: dict[str, int] = Field(default_factory=dict)
    """How many recipients acknowledged the notice: ``total`` and per channel they did it
    on (``telegram`` button, ``email`` link, ``sms`` reply); empty for follow-ups."""
    cascade: CascadeOut | None = None
    """The notice's cascade, if it has one, and how many it moved on."""


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


class UnacknowledgedOut(BaseModel):
    """One recipient who was sent the notice and has not acknowledged it."""

    member_id: int
    channel: ChannelKind
    state: Literal["sent", "delivered"]


class UnacknowledgedPage(BaseModel):
    """``GET /v1/notices/{id}/unacknowledged``: one page; pass ``cursor`` for the next."""

    recipients: list[UnacknowledgedOut]
    next_cursor: str | None


NoticeOut.model_rebuild()

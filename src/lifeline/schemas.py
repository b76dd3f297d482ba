"""The JSON shapes of the admin API (and of member import rows): pydantic at the edge.

Unknown fields are refused everywhere (``extra="forbid"``), so a typo never silently drops
an instruction. Checks that depend on the tenant (its topics and channels) happen in the
services (``lifeline.notices``, ``lifeline.members``), not here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

Language = Literal["de", "en"]
ChannelKind = Literal["telegram", "email", "sms"]
Severity = Literal["minor", "major", "critical"]
Topic = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]

DEFAULT_PHONE_REGION = "DE"
"""Numbers written without a country code are read as German ones."""


def normalize_phone(value: str) -> str:
    """The number in E.164 (``+4915112345678``); ValueError if it is not a valid number."""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _strip(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


Phone = Annotated[str, AfterValidator(normalize_phone)]
Headline = Annotated[str, AfterValidator(_strip), Field(max_length=200)]
Body = Annotated[str, Field(max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoticeIn(_In):
    """``POST /v1/notices``: an outage notice, after the Common Alerting Protocol."""

    severity: Severity
    headline: dict[Language, Headline] = Field(min_length=1)
    body: dict[Language, Body] = Field(default_factory=dict)
    services: list[str] = Field(default_factory=list, max_length=20)
    topics: list[Topic] = Field(default_factory=lambda: ["outages"], min_length=1, max_length=10)
    channels: list[ChannelKind] | None = Field(default=None, min_length=1)
    """None means every channel the tenant offers."""
    expires_at: AwareDatetime | None = None

    @field_validator("services", "topics", "channels")
    @classmethod
    def _no_duplicates(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("must not repeat an entry")
        return value

    @field_validator("expires_at")
    @classmethod
    def _in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value

    @model_validator(mode="after")
    def _body_languages(self) -> NoticeIn:
        extra = set(self.body) - set(self.headline)
        if extra:
            raise ValueError(f"body has a language without a headline: {', '.join(sorted(extra))}")
        return self


class Consent(_In):
    """When and how a member agreed to be contacted."""

    given_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64)


class MemberIn(_In):
    """``POST /v1/members`` and one row of an import."""

    language: Language | None = None
    """None means the tenant's default language."""
    topics: list[Topic] | None = Field(default=None, max_length=20)
    """None means the tenant's first topic."""
    telegram_chat_id: int | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    consent: Consent

    @model_validator(mode="after")
    def _reachable(self) -> MemberIn:
        if self.telegram_chat_id is None and self.email is None and self.phone is None:
            raise ValueError("a member needs at least one of telegram_chat_id, email, phone")
        return self


class MemberPatch(_In):
    """``PATCH /v1/members/{id}``: the fields to change; null removes a contact."""

    language: Language | None = None
    topics: list[Topic] | None = Field(default=None, max_length=20)
    telegram_chat_id: int | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    consent: Consent | None = None


class ChannelProgressOut(BaseModel):
    """Delivery counts of one channel."""

    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    complete: bool
    rate: float = 0.0
    """Recipients finished (sent or failed) per second over the last minute."""
    eta_seconds: float | None = None
    """Seconds until the last pending recipient is reached at that rate; null if unknown."""
    failure_reasons: dict[str, int] = Field(default_factory=dict)


class NoticeOut(BaseModel):
    """A notice as the API shows it, with its delivery progress per channel."""

    id: int
    status: Literal["active", "resolved", "expired"]
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
    stage: Literal["alert", "update", "resolve"] = "alert"
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
    consent: Consent | None
    paused_channels: list[str]
    created_at: datetime | None


class UpdateIn(_In):
    """``POST /v1/notices/{id}/updates``: a follow-up to the members who got the notice."""

    body: dict[Language, Body] = Field(min_length=1)
    headline: dict[Language, Headline] | None = None
    """None keeps the notice's headline."""
    severity: Severity | None = None
    """None keeps the notice's severity."""


class ResolveIn(_In):
    """``POST /v1/notices/{id}/resolve``: services are back; optional closing words."""

    body: dict[Language, Body] = Field(default_factory=dict)


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

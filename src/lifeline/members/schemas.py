"""The JSON shape of a member: ``POST /v1/members``, ``PATCH``, and one row of an import.

Unknown fields are refused (``extra="forbid"``); phone numbers come out in E.164. Checks
that depend on the tenant (its topics) are ``lifeline.members.intake``'s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    EmailStr,
    Field,
    model_validator,
)

from lifeline.core import defaults
from lifeline.core.fields import InputModel, Topic, not_null
from lifeline.core.vocabulary import Language


def normalize_phone(value: str) -> str:
    """The number in E.164 (``+4915112345678``); ValueError if it is not a valid number."""
    try:
        number = phonenumbers.parse(value, defaults.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


Phone = Annotated[str, AfterValidator(normalize_phone)]

ExternalId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._/-]+$")]
"""An insurer's member number (Krankenversichertennummer, customer number): letters, digits
and ``. _ / -``, no spaces."""

TELEGRAM_ID_LIMIT = 2**52


def _plausible_consent(value: datetime) -> datetime:
    """A consent date a person could have given: not before 2000, not in the future."""
    earliest = datetime(defaults.CONSENT_EARLIEST_YEAR, 1, 1, tzinfo=UTC)
    latest = datetime.now(UTC) + timedelta(seconds=defaults.CLOCK_SKEW_SECONDS)
    if not earliest <= value <= latest:
        raise ValueError(
            f"must lie between {earliest:%Y-%m-%d} and now (got {value:%Y-%m-%d}: a typo in "
            "the year?)"
        )
    return value


ConsentTime = Annotated[AwareDatetime, AfterValidator(_plausible_consent)]

TelegramChatId = Annotated[int, Field(gt=-TELEGRAM_ID_LIMIT, lt=TELEGRAM_ID_LIMIT, strict=False)]
"""Telegram ids have at most 52 significant bits (Bot API docs), sign apart."""


class Consent(InputModel):
    """When and how a member agreed to be contacted."""

    given_at: ConsentTime
    source: str = Field(min_length=1, max_length=64)


class MemberIn(InputModel):
    """``POST /v1/members`` and one row of an import."""

    language: Language | None = None
    """None means the tenant's default language."""
    topics: list[Topic] | None = Field(default=None, max_length=20)
    """None means the tenant's first topic."""
    telegram_chat_id: TelegramChatId | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    external_id: ExternalId | None = None
    """The insurer's own member number (unique in the tenant)."""
    tester: bool | None = None
    """Gets exercise and test notices; None: false for a new member, unchanged otherwise."""
    consent: Consent

    @model_validator(mode="after")
    def _reachable(self) -> MemberIn:
        if self.telegram_chat_id is None and self.email is None and self.phone is None:
            raise ValueError("a member needs at least one of telegram_chat_id, email, phone")
        return self


class MemberPatch(InputModel):
    """``PATCH /v1/members/{id}``: the fields to change; null removes a contact.

    Language, topics and consent can be changed but not removed: the schema says so by not
    allowing null for them (the model still sees None for "not given").
    """

    language: Language | None = Field(default=None, json_schema_extra=not_null)
    topics: list[Topic] | None = Field(
        default=None, min_length=1, max_length=20, json_schema_extra=not_null
    )
    telegram_chat_id: TelegramChatId | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    external_id: ExternalId | None = None
    tester: bool | None = Field(default=None, json_schema_extra=not_null)
    consent: Consent | None = Field(default=None, json_schema_extra=not_null)

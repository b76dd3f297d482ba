"""The JSON shape of a member: ``POST /v1/members``, ``PATCH``, and one row of an import.

Unknown fields are refused (``extra="forbid"``); phone numbers come out in E.164. Checks
that depend on the tenant (its topics) are ``lifeline.members.intake``'s.
"""

from __future__ import annotations

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
from lifeline.core.fields import InputModel, Topic
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


class Consent(InputModel):
    """When and how a member agreed to be contacted."""

    given_at: AwareDatetime
    source: str = Field(min_length=1, max_length=64)


class MemberIn(InputModel):
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


class MemberPatch(InputModel):
    """``PATCH /v1/members/{id}``: the fields to change; null removes a contact."""

    language: Language | None = None
    topics: list[Topic] | None = Field(default=None, max_length=20)
    telegram_chat_id: int | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    consent: Consent | None = None

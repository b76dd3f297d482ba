"""The sign-up form's fields as typed, checked: either an email address or a mobile number
the tenant sends SMS to, a language, and topics the tenant has."""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from lifeline.config import TenantConfig
from lifeline.core.errors import InvalidInput
from lifeline.core.i18n import gettext_for
from lifeline.core.vocabulary import LANGUAGES, ChannelKind
from lifeline.members.intake import checked_phone
from lifeline.members.schemas import normalize_phone
from lifeline.web.answers import first


@dataclass
class SignupForm:
    """What was typed into the form, and what is wrong with it (field → message)."""

    email: str = ""
    phone: str = ""
    language: str = ""
    topics: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def validated(
    tenant: TenantConfig, kinds: list[ChannelKind], form: dict[str, list[str]], language: str
) -> SignupForm:
    """The fields of a form post, with a message in the reader's language per bad field."""
    _ = gettext_for(language)
    values = SignupForm(
        email=first(form, "email")[:254],
        phone=first(form, "phone")[:32],
        language=first(form, "language"),
        topics=[t for t in form.get("topics", [])[:20] if t],
    )
    if values.language not in LANGUAGES:
        values.language = language
    if values.email and values.phone:
        values.errors["email"] = _("Please give either an email address or a mobile number.")
    elif values.email and "email" in kinds:
        try:
            values.email = validate_email(values.email, check_deliverability=False).normalized
        except EmailNotValidError:
            values.errors["email"] = _("Please enter a valid email address.")
    elif values.phone and "sms" in kinds:
        values.phone = checked_number(tenant, values.phone, values.errors, language)
    else:
        where = "email" if "email" in kinds else "phone"
        values.errors[where] = (
            _("Please enter your email address or mobile number.")
            if len(kinds) > 1
            else _("Please enter your email address.")
            if where == "email"
            else _("Please enter your mobile number.")
        )
    unknown = [t for t in values.topics if t not in tenant.topics]
    if not values.topics or unknown:
        values.errors["topics"] = _("Please choose at least one topic.")
    values.topics = [t for t in tenant.topics if t in values.topics]
    return values


def checked_number(tenant: TenantConfig, raw: str, errors: dict[str, str], language: str) -> str:
    _ = gettext_for(language)
    try:
        return checked_phone(tenant, normalize_phone(raw))
    except (ValueError, phonenumbers.NumberParseException):
        errors["phone"] = _("Please enter a valid mobile number, for example +49 151 23456789.")
    except InvalidInput:
        errors["phone"] = _("We can send SMS only to mobile numbers of: %(countries)s.") % {
            "countries": ", ".join(tenant.allowed_countries)
        }
    return raw

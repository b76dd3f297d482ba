"""Members from the edge: an API body or an import row becomes ``MemberData`` with the
tenant's defaults, a PATCH becomes store changes.

The schemas (``lifeline.members.schemas``) check a member's shape; this module adds what
depends on the tenant: its topics, its default language and topic, and which numbers it
sends SMS to (mobile numbers of its ``allowed_countries``: no premium-rate or service
numbers, the targets of SMS pumping fraud).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import phonenumbers

from lifeline.config import TenantConfig
from lifeline.consents import ConsentEvent, ConsentLog
from lifeline.core.errors import InvalidInput
from lifeline.core.locations import quoted
from lifeline.core.vocabulary import CONTACT_BY_FIELD, CONTACTS, ConsentVia
from lifeline.members.model import Member, MemberData
from lifeline.members.schemas import MemberIn, MemberPatch
from lifeline.members.store import MemberStore


def to_data(tenant: TenantConfig, body: MemberIn, existing: Member | None = None) -> MemberData:
    """A member's fields from a body; InvalidInput for a topic the tenant does not have.

    Language and topics the body leaves out keep the ``existing`` member's (an import must
    not undo what a member chose in the bot), else they are the tenant's defaults.
    """
    consent = body.consent
    if body.topics is not None:
        topics = checked_topics(tenant, body.topics)
    else:
        topics = existing.topics if existing and existing.topics else (tenant.topics[0],)
    return MemberData(
        language=body.language or (existing.language if existing else tenant.default_language),
        topics=topics,
        telegram_chat_id=body.telegram_chat_id,
        email=body.email.lower() if body.email else None,
        phone=checked_phone(tenant, body.phone) if body.phone else None,
        external_id=body.external_id,
        tester=body.tester,
        consent_given_at=consent.given_at,
        consent_source=consent.source,
    )


def to_changes(tenant: TenantConfig, patch: MemberPatch) -> dict[str, Any]:
    """The fields a PATCH body names, as store changes; a null contact removes it.

    Language, topics and consent cannot be removed (a member always has them), so a null
    there is InvalidInput rather than a silent reset.
    """
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name == "phone" and value is not None:
            changes[name] = checked_phone(tenant, value)
        elif name in CONTACT_BY_FIELD or name == "external_id":
            changes[name] = value.lower() if name == "email" and value else value
        elif value is None:
            raise InvalidInput("cannot be removed, only changed", field=name)
        elif name == "topics":
            changes["topics"] = checked_topics(tenant, value)
        elif name == "consent":
            changes["consent_given_at"] = value.given_at
            changes["consent_source"] = value.source
        else:
            changes[name] = value
    return changes


def create(*, store: MemberStore, tenant: TenantConfig, body: MemberIn) -> Member:
    """Store a new member; Conflict if a contact belongs to another member."""
    member = store.create(tenant.id, to_data(tenant, body))
    ConsentLog(store.redis).record(tenant.id, member.id, *consent_events(member, via="api"))
    return member


def consent_events(member: Member, *, via: ConsentVia) -> list[ConsentEvent]:
    """The consent a member came with (API, import): confirmed on each of its channels."""
    if member.consent_given_at is None:
        return []
    return [
        ConsentEvent(
            action="confirmed",
            channel=c.channel,
            at=member.consent_given_at,
            via=via,
            topics=member.topics,
            language=member.language,
            details={"source": member.consent_source or ""},
        )
        for c in CONTACTS
        if getattr(member, c.field) is not None
    ]


def update(
    *, store: MemberStore, tenant: TenantConfig, member_id: int, patch: MemberPatch
) -> Member:
    """Change the fields the patch names; NotFound, Conflict, InvalidInput.

    A channel paused because its address stopped working is resumed when the address
    changes: the new one has not failed.
    """
    changes = to_changes(tenant, patch)
    new_contacts = {n: v for n, v in changes.items() if n in CONTACT_BY_FIELD and v is not None}
    if new_contacts:
        member = store.get(tenant.id, member_id)
        resumed = {
            CONTACT_BY_FIELD[n].channel for n, v in new_contacts.items() if getattr(member, n) != v
        } & member.paused
        if resumed:
            changes["paused"] = member.paused - resumed
    return store.update(tenant.id, member_id, changes)


def checked_topics(tenant: TenantConfig, topics: Sequence[str]) -> tuple[str, ...]:
    unknown = [t for t in topics if t not in tenant.topics]
    if unknown:
        raise InvalidInput(
            f"unknown topic {quoted(unknown[0])}; this tenant has: {', '.join(tenant.topics)}",
            field="topics",
        )
    if not topics:
        raise InvalidInput("a member follows at least one topic", field="topics")
    return tuple(dict.fromkeys(topics))  # without repeats, in the given order


_SMS_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}
_TYPE_NAMES = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number",
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
    phonenumbers.PhoneNumberType.VOIP: "a VoIP number",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
    phonenumbers.PhoneNumberType.UAN: "a company number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER: "a personal forwarding number",
}


def checked_phone(tenant: TenantConfig, phone: str) -> str:
    """``phone`` (E.164) if the tenant sends SMS to it: a mobile number of one of its
    ``allowed_countries``; InvalidInput naming why not."""
    number = phonenumbers.parse(phone)
    country = phonenumbers.region_code_for_number(number)
    if country not in tenant.allowed_countries:
        raise InvalidInput(
            f"numbers in {country or 'this region'} are not taken for SMS; this tenant "
            f"sends to {', '.join(tenant.allowed_countries)}",
            field="phone",
        )
    kind = phonenumbers.number_type(number)
    if kind not in _SMS_TYPES:
        what = _TYPE_NAMES.get(kind, "not a mobile number")
        raise InvalidInput(f"{what}, not a mobile one: SMS go to mobiles only", field="phone")
    return phone

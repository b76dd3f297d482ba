"""A notice rendered for one channel in one language, and the SMS length rules.

telegram  Telegram HTML (the provider splits what is over 4096 characters)
email     subject, plain text and HTML
sms       the full text if it stays within ``SMS_TARGET_SEGMENTS`` parts, else the
          compact one; refused when even that is over the tenant's ``max_segments``
"""

from __future__ import annotations

from collections.abc import Iterable

from lifeline.channels import Message
from lifeline.channels.smstext import (
    GSM_BASIC,
    GSM_EXTENSION,
    SmsSegments,
    plain_punctuation,
    segments,
)
from lifeline.config import TenantConfig
from lifeline.core import defaults
from lifeline.core.errors import InvalidInput
from lifeline.core.vocabulary import ChannelKind
from lifeline.messages.templates import render_template, tidy
from lifeline.notices.model import Notice

PreviewEntry = dict[str, str | int]


def render(tenant: TenantConfig, notice: Notice, kind: ChannelKind, language: str) -> Message:
    """Render ``notice`` for one channel in the member's language, or the best one it has."""
    language = notice.language_for(language, tenant.default_language)
    if kind == "sms":
        text, _ = _sms(tenant, notice, language)
        return Message(text=text, language=language)
    if kind == "telegram":
        text = tidy(render_template(tenant, notice, language, "telegram.html.j2"))
        return Message(text=text, language=language)
    if kind == "email":
        subject = " ".join(
            render_template(tenant, notice, language, "email_subject.txt.j2").split()
        )
        return Message(
            text=tidy(render_template(tenant, notice, language, "email.txt.j2")),
            subject=subject,
            html=render_template(tenant, notice, language, "email.html.j2").strip(),
            language=language,
        )
    raise ValueError(f"unknown channel kind {kind!r}")


def check_sms_length(tenant: TenantConfig, notice: Notice) -> None:
    """Refuse a notice whose SMS needs more parts than the tenant allows, in any language.

    Does nothing when the notice names its channels and SMS is not among them.
    """
    if notice.channels and "sms" not in notice.channels:
        return
    for language in notice.headline:
        _checked_sms(tenant, notice, language)


def preview(
    tenant: TenantConfig, notice: Notice, kinds: Iterable[ChannelKind]
) -> dict[str, dict[str, PreviewEntry]]:
    """What each channel would send in each language of the notice, by kind and language.

    Telegram gives ``text``; email ``subject``, ``text`` and ``html``; SMS ``text``,
    ``encoding``, ``characters`` and ``segments``. Raises ``InvalidInput`` when an SMS would
    need more parts than the tenant allows.
    """
    result: dict[str, dict[str, PreviewEntry]] = {}
    for kind in kinds:
        result[kind] = {
            language: _preview_one(tenant, notice, kind, language) for language in notice.headline
        }
    return result


def _preview_one(
    tenant: TenantConfig, notice: Notice, kind: ChannelKind, language: str
) -> PreviewEntry:
    if kind == "sms":
        text, info = _checked_sms(tenant, notice, language)
        return {
            "text": text,
            "encoding": info.encoding,
            "characters": info.characters,
            "segments": info.segments,
        }
    message = render(tenant, notice, kind, language)
    entry: PreviewEntry = {"text": message.text}
    if message.subject is not None:
        entry["subject"] = message.subject
    if message.html is not None:
        entry["html"] = message.html
    return entry


def _checked_sms(tenant: TenantConfig, notice: Notice, language: str) -> tuple[str, SmsSegments]:
    text, info = _sms(tenant, notice, language)
    limit = _max_segments(tenant)
    if info.segments <= limit:
        return text, info
    body = plain_punctuation(notice.body.get(language, "")).strip()
    # The built-in template drops the body before it gets this long; a tenant's may not.
    part = "body" if body and body in text else "headline"
    unit = "septets" if info.encoding == "GSM-7" else "UTF-16 units"
    why = ""
    if info.encoding == "UCS-2":
        odd = next(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENSION)
        why = f" ({odd!r} is not in the GSM alphabet, so each part holds only 67 characters)"
    raise InvalidInput(
        f"the {language} SMS would need {info.segments} parts, {info.characters} {unit} in "
        f"{info.encoding}{why}; this tenant allows at most {limit}: shorten the {part}",
        field=f"{part}.{language}",
    )


def _sms(tenant: TenantConfig, notice: Notice, language: str) -> tuple[str, SmsSegments]:
    """The full SMS if it stays within the target, else the compact one."""
    target = min(defaults.SMS_TARGET_SEGMENTS, _max_segments(tenant))
    for compact in (False, True):
        raw = render_template(tenant, notice, language, "sms.txt.j2", compact=compact)
        text = plain_punctuation(tidy(raw))
        info = segments(text)
        if info.segments <= target:
            break
    return text, info


def _max_segments(tenant: TenantConfig) -> int:
    # Read by name: which provider config class declares max_segments may change.
    value = getattr(tenant.channels.sms, "max_segments", None)
    return value if isinstance(value, int) else defaults.SMS_MAX_SEGMENTS

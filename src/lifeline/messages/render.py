"""A notice rendered for one channel in one language, and the SMS length rules.

telegram  Telegram HTML (the provider splits what is over 4096 characters)
email     subject, plain text and HTML
sms       the full text (headline, body, what to do instead per service) if it stays within
          ``SMS_TARGET_SEGMENTS`` parts; else without the body, within the target if it fits,
          else within the tenant's ``max_segments``; else with the services' names only, else
          the headline only; refused when even that is over ``max_segments``
"""

from __future__ import annotations

import re
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
from lifeline.messages.templates import SMS_LEVELS, SmsLevel, render_template, tidy
from lifeline.notices.model import Notice

PreviewEntry = dict[str, str | int | list[str]]

MODE_MARKS: dict[str, dict[str, str]] = {
    "exercise": {"de": "ÜBUNG", "en": "EXERCISE"},
    "test": {"de": "TEST", "en": "TEST"},
}
"""What starts every subject, Telegram message and SMS of a drill or test, by CAP status and
language: set here, after the templates, so that no tenant template can leave it out."""

_BODY_TAG = re.compile(r"<body[^>]*>", re.IGNORECASE)


def render(
    tenant: TenantConfig, notice: Notice, kind: ChannelKind, language: str, *, ack: bool = False
) -> Message:
    """Render ``notice`` for one channel in the member's language, or the best one it has;
    ``ack``: an email asks the reader to acknowledge it (``ack_url``)."""
    language = notice.language_for(language, tenant.default_language)
    mark = mode_mark(notice, language)
    if kind == "sms":
        text, _, _ = _sms(tenant, notice, language)
        return Message(text=text, language=language)
    if kind == "telegram":
        text = tidy(render_template(tenant, notice, language, "telegram.html.j2"))
        return Message(text=f"<b>{mark}:</b> {text}" if mark else text, language=language)
    if kind == "email":
        subject = " ".join(
            render_template(tenant, notice, language, "email_subject.txt.j2").split()
        )
        text = tidy(render_template(tenant, notice, language, "email.txt.j2", ack=ack))
        html = render_template(tenant, notice, language, "email.html.j2", ack=ack).strip()
        if mark:
            subject, text, html = f"{mark}: {subject}", f"{mark}: {text}", _marked_html(mark, html)
        return Message(text=text, subject=subject, html=html, language=language)
    raise ValueError(f"unknown channel kind {kind!r}")


def mode_mark(notice: Notice, language: str) -> str | None:
    """ "ÜBUNG", "EXERCISE" or "TEST" for a drill or test in this language; None for a real one."""
    marks = MODE_MARKS.get(notice.mode)
    return None if marks is None else marks.get(language, marks["en"])


def _marked_html(mark: str, html: str) -> str:
    """The email's HTML with the mark as its first visible line (and in its title)."""
    banner = (
        '<p style="margin:0;padding:8px 24px;background-color:#fff3cd;color:#1a1a1a;'
        f'font-family:Arial,Helvetica,sans-serif;font-weight:bold;">{mark}</p>'
    )
    html = html.replace("<title>", f"<title>{mark}: ", 1)
    found = _BODY_TAG.search(html)
    if found is None:
        return banner + html
    return html[: found.end()] + banner + html[found.end() :]


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
    ``encoding``, ``characters``, ``segments`` and ``dropped`` (what did not fit: ``body``,
    ``advice``, ``services``; empty when nothing was left out). Raises ``InvalidInput``
    when an SMS would need more parts than the tenant allows.
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
        text, info, level = _checked_sms(tenant, notice, language)
        return {
            "text": text,
            "encoding": info.encoding,
            "characters": info.characters,
            "segments": info.segments,
            "dropped": _dropped(notice, language, level),
        }
    message = render(tenant, notice, kind, language)
    entry: PreviewEntry = {"text": message.text}
    if message.subject is not None:
        entry["subject"] = message.subject
    if message.html is not None:
        entry["html"] = message.html
    return entry


def _checked_sms(
    tenant: TenantConfig, notice: Notice, language: str
) -> tuple[str, SmsSegments, SmsLevel]:
    text, info, level = _sms(tenant, notice, language)
    limit = _max_segments(tenant)
    if info.segments <= limit:
        return text, info, level
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


def _sms(tenant: TenantConfig, notice: Notice, language: str) -> tuple[str, SmsSegments, SmsLevel]:
    """The most the SMS can carry: the body only within the target parts; what to do instead
    within the target if it fits, else within the tenant's limit; then less."""
    limit = _max_segments(tenant)
    target = min(defaults.SMS_TARGET_SEGMENTS, limit)
    full, advice, names, headline = SMS_LEVELS
    attempts: tuple[tuple[SmsLevel, int], ...] = (
        (full, target), (advice, target), (advice, limit), (names, limit), (headline, limit)
    )  # fmt: skip
    rendered: dict[SmsLevel, tuple[str, SmsSegments]] = {}
    for level, parts in attempts:
        if level not in rendered:
            raw = render_template(tenant, notice, language, "sms.txt.j2", sms_level=level)
            text = plain_punctuation(tidy(raw))
            mark = mode_mark(notice, language)
            text = f"{plain_punctuation(mark)}: {text}" if mark else text
            rendered[level] = (text, segments(text))
        text, info = rendered[level]
        if info.segments <= parts:
            break
    return text, info, level


def _dropped(notice: Notice, language: str, level: SmsLevel) -> list[str]:
    """What the SMS at ``level`` leaves out of this notice."""
    rank = SMS_LEVELS.index(level)
    advice = bool(notice.services) and notice.stage != "resolve"
    dropped = []
    if notice.body.get(language) and rank >= SMS_LEVELS.index("advice"):
        dropped.append("body")
    if advice and rank >= SMS_LEVELS.index("names"):
        dropped.append("advice")
    if notice.services and rank >= SMS_LEVELS.index("headline"):
        dropped.append("services")
    return dropped


def _max_segments(tenant: TenantConfig) -> int:
    # Read by name: which provider config class declares max_segments may change. With
    # several providers (failover) the text must fit the strictest: any may send it.
    values = [getattr(cfg, "max_segments", None) for _, cfg in tenant.channels.providers("sms")]
    found = [value for value in values if isinstance(value, int)]
    return min(found) if found else defaults.SMS_MAX_SEGMENTS

"""Messages from notices: Jinja2 templates per channel and language, and the SMS length rule.

Built-in templates live in ``locales/<lang>/templates/`` (shipped in the wheel as
``lifeline/locales``). A tenant's ``templates_dir`` holds ``<lang>/<file>`` and is searched
first, so a tenant can replace any single file. Files per language:

    telegram.html.j2      Telegram's HTML subset, escaped
    email_subject.txt.j2  one line (newlines are folded into spaces)
    email.txt.j2          plain-text part
    email.html.j2         HTML part, inline styles only
    sms.txt.j2            as short as possible; every part is paid for
    _wording.j2           words the others share (data only, see the file)

Templates see ``tenant`` (name, hotline, website; "" when unset), ``notice`` (id, severity,
stage, headline and body in the language rendered, services, created_at, expires_at),
``services`` (the notice's services from ``locales/<lang>/services.toml``: key, label,
short, instead), ``language`` and ``compact`` (SMS: leave out body and services). Filters:
``datetime`` (localized, German time) and ``nl2br`` (escapes, then keeps line breaks).
Files ending in ``.html.j2`` are autoescaped, ``.txt.j2`` files are not.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import babel.dates
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

import lifeline
from lifeline.channels.base import Kind, Message
from lifeline.errors import ConfigError, InvalidInput
from lifeline.smstext import GSM_BASIC, GSM_EXTENSION, SmsSegments, plain_punctuation, segments

if TYPE_CHECKING:  # lifeline.notices uses this module at import time
    from lifeline.config import TenantConfig
    from lifeline.notices import Notice

__all__ = ["check_sms_length", "known_services", "locales_dir", "preview", "render"]

DEFAULT_MAX_SEGMENTS = 3
"""SMS parts a notice may need when the tenant's SMS provider sets no ``max_segments``."""

SMS_TARGET_SEGMENTS = 2
"""Parts the body and service list may take an SMS up to; beyond, the compact text is sent."""

DISPLAY_TIMEZONE = ZoneInfo("Europe/Berlin")
"""Times in messages are German time: the members are insured in Germany."""

_DATETIME_PATTERNS = {
    "de": "EEEE, d. MMMM y, HH:mm 'Uhr'",
    "en": "EEEE d MMMM y, HH:mm 'German time'",
}
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")

PreviewEntry = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    """One affected service as templates see it, in one language."""

    key: str
    label: str
    short: str
    instead: str


def locales_dir() -> Path:
    """The built-in ``locales`` folder: package data of the wheel, else the source checkout."""
    package = Path(lifeline.__file__).parent
    candidates = (package / "locales", package.parents[1] / "locales")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = " and ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"built-in templates not found: looked in {looked}")


def known_services() -> frozenset[str]:
    """Service keys a notice may name (the API refuses others)."""
    return frozenset(key for texts in _catalogue().values() for key in texts)


def render(tenant: TenantConfig, notice: Notice, kind: Kind, language: str) -> Message:
    """Render ``notice`` for one channel in the member's language, or the best one it has."""
    language = notice.language_for(language, tenant.default_language)
    if kind == "sms":
        text, _ = _sms(tenant, notice, language)
        return Message(text=text, language=language)
    if kind == "telegram":
        text = _tidy(_render(tenant, notice, language, "telegram.html.j2"))
        return Message(text=text, language=language)
    if kind == "email":
        subject = " ".join(_render(tenant, notice, language, "email_subject.txt.j2").split())
        return Message(
            text=_tidy(_render(tenant, notice, language, "email.txt.j2")),
            subject=subject,
            html=_render(tenant, notice, language, "email.html.j2").strip(),
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
    tenant: TenantConfig, notice: Notice, kinds: Iterable[Kind]
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


def _preview_one(tenant: TenantConfig, notice: Notice, kind: Kind, language: str) -> PreviewEntry:
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
    target = min(SMS_TARGET_SEGMENTS, _max_segments(tenant))
    for compact in (False, True):
        raw = _render(tenant, notice, language, "sms.txt.j2", compact=compact)
        text = plain_punctuation(_tidy(raw))
        info = segments(text)
        if info.segments <= target:
            break
    return text, info


def _max_segments(tenant: TenantConfig) -> int:
    # Read by name: which provider config class declares max_segments may change.
    value = getattr(tenant.channels.sms, "max_segments", None)
    return value if isinstance(value, int) else DEFAULT_MAX_SEGMENTS


def _render(
    tenant: TenantConfig, notice: Notice, language: str, name: str, *, compact: bool = False
) -> str:
    template = _environment(tenant.id, tenant.templates_dir).get_template(f"{language}/{name}")
    return template.render(_context(tenant, notice, language, compact=compact))


def _context(
    tenant: TenantConfig, notice: Notice, language: str, *, compact: bool
) -> dict[str, Any]:
    # Plain values only: a tenant's template must not reach channel settings or secrets.
    return {
        "tenant": {"name": tenant.name, "hotline": tenant.hotline, "website": _website(tenant)},
        "notice": {
            "id": notice.id,
            "severity": notice.severity,
            "stage": notice.stage,
            "headline": notice.headline.get(language, ""),
            "body": notice.body.get(language, ""),
            "services": list(notice.services),
            "created_at": notice.created_at,
            "expires_at": notice.expires_at,
        },
        "services": _services(tenant, notice.services, language),
        "language": language,
        "compact": compact,
    }


def _website(tenant: TenantConfig) -> str:
    if tenant.website is None:
        return ""
    text = str(tenant.website)
    # pydantic writes a bare host as "https://host/"; the slash only costs SMS characters.
    bare = tenant.website.path in (None, "/") and not tenant.website.query
    return text[:-1] if bare and text.endswith("/") else text


def _services(tenant: TenantConfig, keys: Iterable[str], language: str) -> list[ServiceEntry]:
    texts = _catalogue().get(language, {})
    entries = []
    for key in keys:
        found = texts.get(key)
        if found is None:  # refused by the API, but a stored notice must still render
            entries.append(ServiceEntry(key=key, label=key, short=key, instead=""))
            continue
        instead = found["instead"]
        if tenant.hotline and "with_hotline" in found:
            instead = found["with_hotline"].replace("{hotline}", tenant.hotline)
        label = found["label"]
        entries.append(ServiceEntry(key, label, found.get("short", label), instead))
    return entries


@functools.cache
def _catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """Language -> service key -> texts, from ``locales/<lang>/services.toml``."""
    catalogue = {}
    for folder in sorted(locales_dir().iterdir()):
        path = folder / "services.toml"
        if path.is_file():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            catalogue[folder.name] = {key: _service_texts(path, key, v) for key, v in data.items()}
    return catalogue


def _service_texts(path: Path, key: str, value: object) -> dict[str, str]:
    allowed = {"label", "short", "instead", "with_hotline"}
    if not isinstance(value, dict) or not {"label", "instead"} <= value.keys():
        raise ConfigError(f"{path}: [{key}] needs label and instead")
    if not value.keys() <= allowed or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{path}: [{key}] may only hold texts named {sorted(allowed)}")
    return dict(value)


@functools.lru_cache(maxsize=256)
def _environment(tenant_id: str, templates_dir: Path | None) -> ImmutableSandboxedEnvironment:
    """One Jinja environment per tenant, built once; it caches the compiled templates."""
    loaders: list[BaseLoader] = []
    if templates_dir is not None:
        if not templates_dir.is_dir():
            raise ConfigError(f"tenant {tenant_id}: templates_dir {templates_dir} is not a folder")
        loaders.append(FileSystemLoader(templates_dir))
    builtin = {
        folder.name: FileSystemLoader(folder / "templates")
        for folder in locales_dir().iterdir()
        if (folder / "templates").is_dir()
    }
    loaders.append(PrefixLoader(builtin, delimiter="/"))
    # Sandboxed: template files are config, but a tenant's should not reach Python.
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["datetime"] = _format_datetime
    env.filters["nl2br"] = _nl2br
    return env


def _autoescape(name: str | None) -> bool:
    # Telegram's HTML subset needs &, < and > escaped just like HTML does.
    return name is not None and name.endswith(".html.j2")


@pass_context
def _format_datetime(context: Context, value: datetime) -> str:
    language = str(context.get("language", "en"))
    pattern = _DATETIME_PATTERNS.get(language, "y-MM-dd HH:mm z")
    return babel.dates.format_datetime(value, pattern, tzinfo=DISPLAY_TIMEZONE, locale=language)


def _nl2br(value: str) -> Markup:
    return Markup("<br>\n").join(escape(value).split("\n"))


def _tidy(text: str) -> str:
    """Fold the blank lines that skipped template sections leave behind."""
    return _BLANK_RUNS.sub("\n\n", text).strip()

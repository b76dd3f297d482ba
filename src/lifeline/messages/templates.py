"""Message templates: Jinja2, per channel and language, built-in or a tenant's own.

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
short, instead, sms), ``language``, ``sms_level`` (how much an SMS carries, one of
``SMS_LEVELS``) and ``compact`` (true at the last level, for templates written before
``sms_level``: headline and contacts only), ``unsubscribe_url`` and ``ack_url`` (the
recipient's link to acknowledge the notice; "" when it asks for none). Filters:
``datetime`` (localized, German time) and ``nl2br`` (escapes, then keeps line breaks).
Files ending in ``.html.j2`` are autoescaped, ``.txt.j2`` files are not.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from lifeline.channels.base import ACK_MARK, UNSUBSCRIBE_MARK
from lifeline.config import TenantConfig
from lifeline.core.errors import ConfigError, InvalidInput
from lifeline.core.i18n import format_datetime
from lifeline.core.locales import locales_dir
from lifeline.notices.model import Notice
from lifeline.notices.services import services_for

SmsLevel = Literal["full", "advice", "names", "headline"]
SMS_LEVELS: tuple[SmsLevel, ...] = ("full", "advice", "names", "headline")
"""How much an SMS carries, most first. full: headline, body, each affected service with what
to do instead (its ``sms`` text), contacts; advice: the same without the body; names: the
services' names without advice; headline: the headline and contacts only."""

_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class TemplateFailure(InvalidInput):
    """A template cannot be rendered (a syntax error, an undefined name): the message names
    the file and line; ``field`` is the template's name."""


def render_template(
    tenant: TenantConfig,
    notice: Notice,
    language: str,
    name: str,
    *,
    sms_level: SmsLevel = "full",
    ack: bool = False,
) -> str:
    """One template of ``<language>/<name>`` rendered for a notice (tenant's own first);
    TemplateFailure naming file and line when it cannot be. ``ack``: the message asks the
    reader to acknowledge it (``ack_url`` is set)."""
    try:
        template = _environment(tenant.id, tenant.templates_dir).get_template(f"{language}/{name}")
        context = _context(tenant, notice, language, sms_level=sms_level)
        context["ack_url"] = ACK_MARK if ack else ""
        return template.render(context)
    except TemplateError as exc:
        where = _where(exc) or f"{language}/{name}"
        raise TemplateFailure(
            f"template {where} of tenant {tenant.id} fails: {type(exc).__name__}: {exc}",
            field=f"template {language}/{name}",
        ) from None


def _where(exc: TemplateError) -> str | None:
    """``file:line`` of the template that failed (Jinja puts template lines in tracebacks)."""
    if isinstance(exc, TemplateSyntaxError):
        return f"{exc.filename or exc.name}:{exc.lineno}"
    found, tb = None, exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found


def _context(
    tenant: TenantConfig, notice: Notice, language: str, *, sms_level: SmsLevel
) -> dict[str, Any]:
    # Plain values only: a tenant's template must not reach channel settings or secrets.
    return {
        "tenant": {
            "name": tenant.name,
            "hotline": tenant.hotline,
            "website": _website(tenant),
            "status_url": str(tenant.status_url) if tenant.status_url else "",
        },
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
        "services": services_for(tenant, notice.services, language),
        "language": language,
        "sms_level": sms_level,
        "compact": sms_level == SMS_LEVELS[-1],
        # The same for every recipient, so a message is rendered once per language; the
        # email channel puts each recipient's own signed link in its place.
        "unsubscribe_url": UNSUBSCRIBE_MARK,
        # Likewise each recipient's own "understood" link; "" when none is asked for.
        "ack_url": "",
    }


def _website(tenant: TenantConfig) -> str:
    if tenant.website is None:
        return ""
    text = str(tenant.website)
    # pydantic writes a bare host as "https://host/"; the slash only costs SMS characters.
    bare = tenant.website.path in (None, "/") and not tenant.website.query
    return text[:-1] if bare and text.endswith("/") else text


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
    return format_datetime(value, str(context.get("language", "en")))


def _nl2br(value: str) -> Markup:
    return Markup("<br>\n").join(escape(value).split("\n"))


def tidy(text: str) -> str:
    """Fold the blank lines that skipped template sections leave behind."""
    return _BLANK_RUNS.sub("\n\n", text).strip()

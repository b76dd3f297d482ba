"""Every template of a tenant rendered once with sample notices, at start and by
``lifeline check-config``: a broken one stops the start naming file and line, instead of
being found by the first batch of a real notice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lifeline.config import Settings, TenantConfig
from lifeline.core.errors import ConfigError
from lifeline.core.vocabulary import LANGUAGES, STAGES
from lifeline.messages.templates import SMS_LEVELS, SmsLevel, TemplateFailure, render_template
from lifeline.notices.model import Notice
from lifeline.notices.services import known_services

TEMPLATES: tuple[tuple[str, SmsLevel], ...] = (
    ("telegram.html.j2", "full"),
    ("email_subject.txt.j2", "full"),
    ("email.txt.j2", "full"),
    ("email.html.j2", "full"),
    *(("sms.txt.j2", level) for level in SMS_LEVELS),
)
"""Every template a notice is rendered with, the SMS at each of its levels."""


def check_templates(settings: Settings) -> None:
    """ConfigError listing every template that fails, for every tenant; else nothing."""
    problems = [problem for tenant in settings.tenants for problem in template_problems(tenant)]
    if problems:
        raise ConfigError("\n".join(dict.fromkeys(problems)))


def template_problems(tenant: TenantConfig) -> list[str]:
    """What fails when the tenant's templates render sample notices of every stage."""
    problems = []
    for notice in _samples(tenant):
        for language in LANGUAGES:
            for name, level in TEMPLATES:
                try:
                    render_template(tenant, notice, language, name, sms_level=level)
                except TemplateFailure as exc:
                    problems.append(str(exc))
    return problems


def _samples(tenant: TenantConfig) -> list[Notice]:
    now = datetime.now(UTC)
    services = tuple(sorted(known_services()))
    texts: dict[str, str] = dict.fromkeys(LANGUAGES, "Beispiel / example")
    return [
        Notice(
            id=1,
            tenant_id=tenant.id,
            severity="major",
            headline=texts,
            body=texts if with_body else {},
            services=services if with_body else (),
            topics=(tenant.topics[0],),
            channels=(),
            created_at=now,
            expires_at=now + timedelta(hours=6) if with_body else None,
            stage=stage,
            parent_id=None if stage == "alert" else 1,
        )
        for stage in STAGES
        for with_body in (True, False)
    ]

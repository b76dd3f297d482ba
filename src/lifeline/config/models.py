"""The configuration's shape: sections and tenants, validated by pydantic.

Providers' own settings are their models in ``lifeline.channels``; a tenant names one
provider per channel kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

import phonenumbers
from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    field_validator,
    model_validator,
)

from lifeline.channels import EmailProvider, ProviderConfig, SmsProvider, TelegramProvider
from lifeline.core import defaults
from lifeline.core.fields import TenantId, Topic
from lifeline.core.vocabulary import ChannelKind, Language, Severity


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RedisConfig(_Section):
    """``[redis]``: where the queue and the system of record live."""

    url: str = defaults.REDIS_URL

    @field_validator("url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value


class QueueConfig(_Section):
    """``[queue]``: where RQ keeps its queues, if not in the store's Redis."""

    url: str | None = None
    """A Redis of its own for the job queues (``redis://``, ``rediss://`` or a Sentinel URL),
    so that a flood of jobs cannot crowd the system of record; None: ``redis.url``."""


class ApiConfig(_Section):
    """``[api]``: the admin API."""

    max_body_bytes: int = Field(default=defaults.API_MAX_BODY_BYTES, ge=1024)
    import_max_body_bytes: int = Field(default=defaults.IMPORT_MAX_BODY_BYTES, ge=1024)
    auth_failures_per_minute: int = Field(default=defaults.AUTH_FAILURES_PER_WINDOW, ge=1)
    """Failed authentications one client address may make per minute before it gets 429."""
    audit_retention_days: int = Field(default=defaults.AUDIT_RETENTION_DAYS, ge=1, le=3650)
    """How long the audit log keeps an admin action."""


class WebConfig(_Section):
    """``[web]``: the public pages (status, sign-up, unsubscribe) and the links to them."""

    public_url: AnyHttpUrl | None = None
    """Where members reach ``lifeline web``: the base of every link in a message (status page,
    confirmation, unsubscribe). Without it messages carry no such links and email sign-up
    is off."""
    secret: SecretStr | None = None
    """Signs unsubscribe links (32 characters at least); changing it voids every link sent."""
    static_dir: Path | None = None
    """Folder the worker writes each tenant's status page and feed to after every notice, for
    any static host or CDN to serve (``<dir>/<tenant>/index.html``)."""
    signups_per_hour: int = Field(default=defaults.SIGNUPS_PER_HOUR, ge=1)
    """Sign-ups one client address may start per hour."""

    @field_validator("secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be 32 characters at least (e.g. `openssl rand -hex 32`)")
        return value

    @model_validator(mode="after")
    def _links_are_signed(self) -> WebConfig:
        if self.public_url is not None and self.secret is None:
            raise ValueError("secret: needed with public_url, to sign the links in messages")
        return self

    def base(self) -> str:
        """``public_url`` without a trailing slash ("" when unset)."""
        return str(self.public_url).rstrip("/") if self.public_url else ""


class WorkerConfig(_Section):
    """``[worker]``: how batch jobs are cut and run."""

    batch_size: int = Field(default=defaults.BATCH_SIZE, ge=1, le=10_000)
    concurrency: int = Field(default=defaults.BATCH_CONCURRENCY, ge=1, le=256)
    max_attempts: int = Field(default=defaults.MAX_ATTEMPTS, ge=1, le=20)
    retry_base_seconds: float = Field(default=defaults.RETRY_BASE_SECONDS, ge=0, le=60)
    delivery_retention_days: int = Field(default=defaults.DELIVERY_RETENTION_DAYS, ge=1, le=3650)
    """How long who-got-what (member ids per notice) is kept after a notice's last send."""


def _one_or_many(value: Any) -> str:
    """Which shape a channel's providers are written in: one table or an array of tables."""
    return "many" if isinstance(value, list) else "one"


PROVIDER_SHAPES = ("one", "many")
"""The tags of the two shapes; pydantic puts them into an error's location, the file has
no such key (``loading`` leaves them out of messages)."""


EmailProviders = Annotated[
    Annotated[EmailProvider, Tag("one")]
    | Annotated[
        list[EmailProvider],
        Field(min_length=1, max_length=defaults.MAX_CHANNEL_PROVIDERS),
        Tag("many"),
    ],
    Discriminator(_one_or_many),
]
"""One email provider table, or an ordered array of 1 … ``MAX_CHANNEL_PROVIDERS`` of them."""

SmsProviders = Annotated[
    Annotated[SmsProvider, Tag("one")]
    | Annotated[
        list[SmsProvider],
        Field(min_length=1, max_length=defaults.MAX_CHANNEL_PROVIDERS),
        Tag("many"),
    ],
    Discriminator(_one_or_many),
]
"""One SMS provider table, or an ordered array of 1 … ``MAX_CHANNEL_PROVIDERS`` of them."""


class TenantChannels(_Section):
    """``[tenants.channels.*]``: the providers per channel kind; absent means not offered.

    Email and SMS take one provider table or an ordered array of them
    (``[[tenants.channels.sms]]``): the first is used while its breaker lets it, the next
    when it fails (``lifeline.delivery.failover``). ``email`` and ``sms`` are the first;
    ``providers(kind)`` names them all. Telegram has one: a second bot would be a
    different bot, which members never started.
    """

    telegram: TelegramProvider | None = None
    email_providers: EmailProviders | None = Field(default=None, alias="email")
    sms_providers: SmsProviders | None = Field(default=None, alias="sms")

    @model_validator(mode="after")
    def _unique_names(self) -> TenantChannels:
        for kind in ("email", "sms"):
            seen: dict[str, int] = {}
            for index, (name, _) in enumerate(self.providers(kind)):
                if name in seen:
                    raise ValueError(
                        f"{kind}[{index}].name: {name!r} is the name of {kind}[{seen[name]}] "
                        "too; give each provider of a channel its own name"
                    )
                seen[name] = index
        return self

    @property
    def email(self) -> ProviderConfig | None:
        """The first (preferred) email provider."""
        return _first(self.email_providers)

    @property
    def sms(self) -> ProviderConfig | None:
        """The first (preferred) SMS provider."""
        return _first(self.sms_providers)

    def configured(self) -> dict[str, ProviderConfig]:
        """The channel kinds this tenant offers, each with its first provider's settings."""
        found = {"telegram": self.telegram, "email": self.email, "sms": self.sms}
        return {kind: cfg for kind, cfg in found.items() if cfg is not None}

    def providers(self, kind: str) -> list[tuple[str, ProviderConfig]]:
        """Every provider of a channel kind in the order they are tried, with its name
        (``name``, else its ``provider``, ``-<position>`` when that one occurs twice)."""
        found: object = {"telegram": self.telegram, "email": self.email_providers,
                         "sms": self.sms_providers}.get(kind)  # fmt: skip
        configs = [c for c in (found if isinstance(found, list) else [found])
                   if isinstance(c, ProviderConfig)]  # fmt: skip
        kinds = [str(getattr(c, "provider", "provider")) for c in configs]
        return [
            (c.name or (k if kinds.count(k) == 1 else f"{k}-{i + 1}"), c)
            for i, (c, k) in enumerate(zip(configs, kinds, strict=True))
        ]


def _first(found: object) -> ProviderConfig | None:
    first = found[0] if isinstance(found, list) else found
    return first if isinstance(first, ProviderConfig) else None


def _country(value: str) -> str:
    code = value.upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{value!r} is not an ISO 3166 country code such as DE or AT")
    return code


CountryCode = Annotated[str, AfterValidator(_country)]


class ApprovalPolicy(_Section):
    """``[tenants.approval]``: which notices wait for a second person's approval (four eyes).

    A notice needs it when its severity is listed or it would reach ``min_audience``
    members or more; without this table no notice waits.
    """

    severities: list[Severity] = Field(default_factory=list)
    min_audience: int | None = Field(default=None, ge=1)
    """Members a notice reaches (across its channels, each member once) from which on it waits."""
    expiry_minutes: int = Field(default=defaults.APPROVAL_EXPIRY_MINUTES, ge=1, le=1440)
    """How long a notice waits for approval; then it lapses and is never sent."""
    approved_scenarios: bool = True
    """Notices made from a scenario approved in advance (and sent as it is) skip the wait."""


class CascadeConfig(_Section):
    """``[tenants.cascade]``: a member who has not acknowledged a notice on one channel
    within ``after_seconds`` (or whose message failed) gets it on the next one of ``order``
    they have; a notice's own ``cascade`` overrides it."""

    after_seconds: int = Field(default=defaults.CASCADE_AFTER_SECONDS, ge=1,
                               le=defaults.CASCADE_MAX_SECONDS)  # fmt: skip
    order: list[ChannelKind] = Field(
        default_factory=lambda: cast(list[ChannelKind], list(defaults.CASCADE_ORDER)), min_length=2
    )
    enabled: bool = True
    """False: notices cascade only when they ask for it themselves."""

    @field_validator("order")
    @classmethod
    def _once_each(cls, value: list[ChannelKind]) -> list[ChannelKind]:
        if len(set(value)) != len(value):
            raise ValueError("must name each channel once")
        return value


class TenantConfig(_Section):
    """``[[tenants]]``: one insurer."""

    id: TenantId
    name: str = Field(min_length=1, max_length=120)
    default_language: Language = "de"
    hotline: str = ""
    website: AnyHttpUrl | None = None
    status_url: AnyHttpUrl | None = None
    """Where members read the status page; every SMS, Telegram message and email links it.
    Default: ``web.public_url`` + ``/t/<id>``; set it to where a static host or CDN serves
    the exported copy (``web.static_dir``), which stays up when Lifeline's host does not."""
    topics: list[Topic] = Field(default_factory=lambda: ["outages"], min_length=1)
    """Topics members can follow; new members get the first one unless they choose."""
    templates_dir: Path | None = None
    """Folder with ``<lang>/<template>`` files that replace the built-in ones."""
    allowed_countries: list[CountryCode] = Field(
        default_factory=lambda: list(defaults.SMS_COUNTRIES), min_length=1
    )
    """Countries (ISO 3166 alpha-2) whose mobile numbers members may give for SMS: texts to
    other countries cost more and are how SMS pumping fraud earns."""
    channels: TenantChannels = TenantChannels()
    approval: ApprovalPolicy | None = None
    cascade: CascadeConfig | None = None
    """Notices cascade from channel to channel (``[tenants.cascade]``); None: only those
    that ask for it."""

    @model_validator(mode="after")
    def _cascade_channels(self) -> TenantConfig:
        offered = self.channels.configured()
        if self.cascade is not None and self.cascade.enabled:
            missing = [k for k in self.cascade.order if k not in offered]
            if missing:
                raise ValueError(f"cascade.order: channel {missing[0]!r} is not configured")
        return self


class Settings(_Section):
    """The whole configuration, handed to whatever needs it."""

    redis: RedisConfig = RedisConfig()
    queue: QueueConfig = QueueConfig()
    api: ApiConfig = ApiConfig()
    web: WebConfig = WebConfig()
    worker: WorkerConfig = WorkerConfig()
    tenants: list[TenantConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_tenants(self) -> Settings:
        seen: set[str] = set()
        for tenant in self.tenants:
            if tenant.id in seen:
                raise ValueError(f"tenant id {tenant.id!r} appears twice")
            seen.add(tenant.id)
        return self

    @model_validator(mode="before")
    @classmethod
    def _status_urls(cls, data: Any) -> Any:
        """Each tenant's ``status_url`` defaults to its page under ``web.public_url``."""
        web = data.get("web") if isinstance(data, dict) else None
        base = web.get("public_url") if isinstance(web, dict) else None
        tenants = data.get("tenants") if isinstance(data, dict) else None
        if not isinstance(base, str) or not base or not isinstance(tenants, list):
            return data
        filled = [
            t | {"status_url": f"{base.rstrip('/')}/t/{t['id']}"}
            if isinstance(t, dict) and isinstance(t.get("id"), str) and "status_url" not in t
            else t
            for t in tenants
        ]
        return data | {"tenants": filled}

    @property
    def queue_url(self) -> str:
        """The Redis of RQ's queues: ``queue.url``, else the store's."""
        return self.queue.url or self.redis.url

    def tenant(self, tenant_id: str) -> TenantConfig | None:
        """The tenant with this id, if configured."""
        return next((t for t in self.tenants if t.id == tenant_id), None)

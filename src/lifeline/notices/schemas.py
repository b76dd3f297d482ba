"""The JSON shapes of posted notices and their follow-ups: pydantic at the edge.

Unknown fields are refused (``extra="forbid"``), so a typo never silently drops an
instruction. Checks that depend on the tenant (its topics and channels) are
``lifeline.notices.lifecycle``'s.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    field_validator,
    model_validator,
)

from lifeline.core import defaults
from lifeline.core.fields import InputModel, ScenarioKey, Topic, not_null
from lifeline.core.vocabulary import ChannelKind, Language, NoticeMode, Severity


def _strip(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _unique(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("must not repeat an entry")
    return value


Headline = Annotated[str, AfterValidator(_strip), Field(min_length=1, max_length=200)]
Body = Annotated[str, Field(max_length=4000)]
Services = Annotated[list[str], AfterValidator(_unique), Field(max_length=20)]
Topics = Annotated[list[Topic], AfterValidator(_unique), Field(min_length=1, max_length=10)]
Channels = Annotated[list[ChannelKind], AfterValidator(_unique), Field(min_length=1)]


class CascadeIn(InputModel):
    """A notice's own cascade: who has not acknowledged it on one channel within
    ``after_seconds`` gets it on their next channel of ``order``. Unset fields come from
    the tenant's ``[tenants.cascade]``, else the defaults; ``enabled: false`` switches the
    tenant's cascade off for this notice."""

    enabled: bool = True
    after_seconds: int | None = Field(default=None, ge=1, le=defaults.CASCADE_MAX_SECONDS)
    order: list[ChannelKind] | None = Field(default=None, min_length=2, max_length=3)

    @field_validator("order")
    @classmethod
    def _once_each(cls, value: list[ChannelKind] | None) -> list[ChannelKind] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("must name each channel once")
        return value


class NoticeIn(InputModel):
    """``POST /v1/notices``: an outage notice, after the Common Alerting Protocol.

    With ``scenario``, the prepared notice of that key is sent, and any other field given
    here replaces the scenario's (``lifeline.scenarios``); without, severity and headline
    are required.
    """

    severity: Severity | None = Field(default=None, json_schema_extra=not_null)
    headline: dict[Language, Headline] | None = Field(
        default=None, min_length=1, json_schema_extra=not_null
    )
    body: dict[Language, Body] = Field(default_factory=dict)
    services: Services = Field(default_factory=list)
    topics: Topics = Field(default_factory=lambda: ["outages"])
    channels: Channels | None = None
    """None means every channel the tenant offers."""
    expires_at: AwareDatetime | None = None
    status: NoticeMode = "actual"
    """CAP status: ``exercise`` and ``test`` reach members flagged ``tester`` only."""
    scenario: ScenarioKey | None = Field(default=None, json_schema_extra=not_null)
    cascade: CascadeIn | None = None
    """None: the tenant's cascade, if it has one (``lifeline.notices.cascade``)."""

    @field_validator("expires_at")
    @classmethod
    def _in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value

    @model_validator(mode="after")
    def _body_languages(self) -> NoticeIn:
        if self.scenario is None:
            missing = [name for name in ("severity", "headline") if getattr(self, name) is None]
            if missing:
                raise ValueError(f"{missing[0]}: required unless a scenario is named")
        if self.headline is None:
            return self  # checked once the scenario's headline is known
        extra = set(self.body) - set(self.headline)
        if extra:
            raise ValueError(f"body has a language without a headline: {', '.join(sorted(extra))}")
        return self


class UpdateIn(InputModel):
    """``POST /v1/notices/{id}/updates``: a follow-up to the members who got the notice."""

    body: dict[Language, Body] = Field(min_length=1)
    headline: dict[Language, Headline] | None = None
    """None keeps the notice's headline."""
    severity: Severity | None = None
    """None keeps the notice's severity."""


class ResolveIn(InputModel):
    """``POST /v1/notices/{id}/resolve``: services are back; optional closing words, or
    those of a scenario (``{"scenario": "all-clear"}``)."""

    body: dict[Language, Body] = Field(default_factory=dict)
    scenario: ScenarioKey | None = Field(default=None, json_schema_extra=not_null)

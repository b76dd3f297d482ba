"""``PUT /v1/scenarios/{key}``: a prepared notice, in every language Lifeline speaks."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from lifeline.core.fields import InputModel
from lifeline.core.vocabulary import LANGUAGES, Language, Severity
from lifeline.notices.schemas import Body, Channels, Headline, Services, Topics


class ScenarioIn(InputModel):
    """A scenario: what a notice made from it says (German and English), and to whom."""

    severity: Severity
    headline: dict[Language, Headline]
    """One per language: a scenario must be ready for every member."""
    body: dict[Language, Body] = Field(default_factory=dict)
    services: Services = Field(default_factory=list)
    topics: Topics | None = None
    channels: Channels | None = None

    @field_validator("headline")
    @classmethod
    def _every_language(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [language for language in LANGUAGES if language not in value]
        if missing:
            raise ValueError(f"needs a text in every language; missing: {', '.join(missing)}")
        return value

    @model_validator(mode="after")
    def _body_languages(self) -> ScenarioIn:
        missing = [language for language in LANGUAGES if self.body and language not in self.body]
        if missing:
            raise ValueError(f"body: needs a text in every language; missing: {missing[0]}")
        return self

"""The vocabulary as pydantic sees it: field types and the base of every input model."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from lifeline.core.vocabulary import TENANT_ID_PATTERN, TOPIC_PATTERN

Topic = Annotated[str, Field(pattern=TOPIC_PATTERN)]
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]


class InputModel(BaseModel):
    """A JSON body from outside: unknown fields are refused (a typo never silently drops an
    instruction) and strings arrive trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

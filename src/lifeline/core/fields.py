"""The vocabulary as pydantic sees it: field types and the base of every input model."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from lifeline.core.vocabulary import SCENARIO_KEY_PATTERN, TENANT_ID_PATTERN, TOPIC_PATTERN

Topic = Annotated[str, Field(pattern=TOPIC_PATTERN)]
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
ScenarioKey = Annotated[str, Field(pattern=SCENARIO_KEY_PATTERN)]


class InputModel(BaseModel):
    """A JSON body from outside: unknown fields are refused (a typo never silently drops an
    instruction) and strings arrive trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def not_null(schema: dict[str, Any]) -> None:
    """``json_schema_extra`` of a field that may be left out but not sent as null: the
    OpenAPI document then says so (the model still sees None for "not given")."""
    options = [o for o in schema.pop("anyOf", []) if o != {"type": "null"}]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options

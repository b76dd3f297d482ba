"""``/v1/scenarios``: the tenant's library of prepared notices (role publisher).

``POST /v1/notices`` with ``{"scenario": key}`` sends one; ``lifeline.scenarios`` has the
rules and the starter set every library begins with.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel

from lifeline import delivery
from lifeline.api.deps import AuditDep, RequirePublisher, RequireReader, TenantDep
from lifeline.core.vocabulary import SCENARIO_KEY_PATTERN, Severity
from lifeline.notices.schemas import NoticeIn
from lifeline.scenarios import Scenario, ScenarioIn, ScenarioStore
from lifeline.scenarios.store import from_scenario_in
from lifeline.server.deps import RedisDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])

ScenarioKey = Annotated[
    str,
    Path(
        pattern=SCENARIO_KEY_PATTERN,
        description="1–48 characters a-z, 0-9 or -, e.g. `eau-down`.",
    ),
]


class ScenarioOut(BaseModel):
    """A scenario as stored, with who wrote and who approved it."""

    key: str
    severity: Severity
    headline: dict[str, str]
    body: dict[str, str]
    services: list[str]
    topics: list[str] | None
    channels: list[str] | None
    updated_at: datetime | None
    updated_by: str
    approved_by: str | None
    """Set when a second person approved this text: where the tenant's policy allows,
    notices sent from it as it is skip the four-eyes approval."""
    approved_at: datetime | None


class ScenarioList(BaseModel):
    """``GET /v1/scenarios``: every scenario of the tenant, by key."""

    scenarios: list[ScenarioOut]


@router.get(
    "",
    summary="The scenario library",
    dependencies=[RequireReader],
    responses=responses(401, 403, 503),
)
def list_scenarios(tenant: TenantDep, client: RedisDep) -> ScenarioList:
    """Every prepared notice; a new tenant's library holds the starter set."""
    return ScenarioList(scenarios=[present(s) for s in ScenarioStore(client).list(tenant.id)])


@router.get(
    "/{key}",
    summary="One scenario",
    dependencies=[RequireReader],
    responses=responses(401, 403, 404, 422, 503),
)
def get_scenario(key: ScenarioKey, tenant: TenantDep, client: RedisDep) -> ScenarioOut:
    """The scenario with this key."""
    return present(ScenarioStore(client).get(tenant.id, key))


@router.put(
    "/{key}",
    summary="Create or replace a scenario",
    dependencies=[RequirePublisher],
    responses={201: {"description": "Created"}, **responses(400, 401, 403, 413, 422, 503)},
)
def put_scenario(
    key: ScenarioKey,
    body: ScenarioIn,
    response: Response,
    tenant: TenantDep,
    client: RedisDep,
    audit: AuditDep,
) -> ScenarioOut:
    """Store the scenario (201 when new, 200 when it replaced one; a replaced one's
    approval lapses). Checked as a notice made from it would be: topics, channels,
    services and the SMS length in both languages."""
    scenario = from_scenario_in(key, body, audit.actor.label)
    delivery.checked_document(tenant, NoticeIn.model_validate(scenario.notice_fields()))
    created = ScenarioStore(client).put(tenant.id, scenario)
    audit.record("scenario.put", key, created=created)
    response.status_code = 201 if created else 200
    return present(scenario)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete a scenario",
    dependencies=[RequirePublisher],
    responses=responses(401, 403, 404, 422, 503),
)
def delete_scenario(
    key: ScenarioKey, tenant: TenantDep, client: RedisDep, audit: AuditDep
) -> Response:
    """Remove the scenario (a deleted starter scenario stays deleted)."""
    ScenarioStore(client).delete(tenant.id, key)
    audit.record("scenario.delete", key)
    return Response(status_code=204)


@router.post(
    "/{key}/approve",
    summary="Approve a scenario in advance (four eyes)",
    dependencies=[RequirePublisher],
    responses=responses(401, 403, 404, 409, 422, 503),
)
def approve_scenario(
    key: ScenarioKey, tenant: TenantDep, client: RedisDep, audit: AuditDep
) -> ScenarioOut:
    """A second person (a key with another label than the one that wrote it) approves the
    text as it stands; 409 for the writer themself."""
    approved = ScenarioStore(client).approve(tenant.id, key, audit.actor.label)
    audit.record("scenario.approve", key)
    return present(approved)


def present(scenario: Scenario) -> ScenarioOut:
    """A stored scenario as the API shows it."""
    return ScenarioOut(
        key=scenario.key,
        severity=scenario.severity,
        headline=scenario.headline,
        body=scenario.body,
        services=list(scenario.services),
        topics=None if scenario.topics is None else list(scenario.topics),
        channels=None if scenario.channels is None else list(scenario.channels),
        updated_at=scenario.updated_at,
        updated_by=scenario.updated_by,
        approved_by=scenario.approved_by,
        approved_at=scenario.approved_at,
    )

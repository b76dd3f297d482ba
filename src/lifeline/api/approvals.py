"""``/v1/notices/{id}/approve | reject | preview``: the second person's part (four eyes).

A notice the tenant's ``[tenants.approval]`` policy names answers 202 with status
``pending_approval`` and sends nothing; another publisher — a key with another label, since
keys belong to people — approves it (delivery starts) or rejects it (it never goes out).
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import Field

from lifeline import delivery, messages
from lifeline.api.deps import AuditDep, RequirePublisher, TenantDep
from lifeline.api.notices import Preview, present
from lifeline.api.schemas import NoticeOut
from lifeline.approvals import Decision
from lifeline.core.fields import InputModel
from lifeline.core.vocabulary import AuditAction
from lifeline.server.deps import NoticeStoreDep, PlanQueueDep, RedisDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/notices", tags=["notices"], dependencies=[RequirePublisher])


class DecisionIn(InputModel):
    """Why, in a few words, for the audit log (optional)."""

    note: str = Field(default="", max_length=500)


def _decision_route(verb: str, decision: Decision, effect: str) -> None:
    """``POST /v1/notices/{id}/<verb>``: the second person's decision."""

    def decide(
        notice_id: int,
        tenant: TenantDep,
        client: RedisDep,
        store: NoticeStoreDep,
        plan_queue: PlanQueueDep,
        audit: AuditDep,
        body: DecisionIn | None = None,
    ) -> NoticeOut:
        notice = delivery.release(
            tenant=tenant,
            notice_id=notice_id,
            by=audit.actor,
            decision=decision,
            store=store,
            plan_queue=plan_queue,
        )
        action: AuditAction = "notice.approve" if decision == "approved" else "notice.reject"
        audit.record(action, notice_id, note=body.note if body else "")
        return present(client, store, notice)

    decide.__doc__ = (
        f"{effect} 403 for the key label that proposed it; 409 if it is not waiting "
        "(already decided, lapsed, or it never needed approval)."
    )
    router.add_api_route(
        f"/{{notice_id}}/{verb}",
        decide,
        methods=["POST"],
        name=f"{verb}_notice",
        summary=f"{verb.capitalize()} a notice waiting for a second person",
        responses=responses(401, 403, 404, 409, 422, 503),
    )


_decision_route("approve", "approved", "Release the notice: its delivery starts.")
_decision_route("reject", "rejected", "Drop the notice: it is never sent.")


@router.get(
    "/{notice_id}/preview",
    summary="Preview a stored notice on every channel",
    responses=responses(401, 403, 404, 422, 503),
)
def preview_stored(notice_id: int, tenant: TenantDep, store: NoticeStoreDep) -> Preview:
    """What each channel sends (or would send) in each language: what an approver reads."""
    notice = store.get(tenant.id, notice_id)
    return messages.preview(tenant, notice, notice.channels)  # type: ignore[arg-type]

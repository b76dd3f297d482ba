"""``/v1/members``: an insurer's administrators keep the member list (role admin)."""

from __future__ import annotations

from email.message import Message
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from lifeline.api.deps import AuditDep, RequireAdmin, TenantDep
from lifeline.api.schemas import MemberOut
from lifeline.config import TenantConfig
from lifeline.core.errors import InvalidInput
from lifeline.core.vocabulary import CONTACT_BY_FIELD
from lifeline.members import Member, MemberStore, erasure, imports, intake
from lifeline.members.schemas import Consent, MemberIn, MemberPatch, normalize_phone
from lifeline.server.deps import MemberStoreDep
from lifeline.server.errors import OTHER_METHODS, responses

router = APIRouter(prefix="/v1/members", tags=["members"], dependencies=[RequireAdmin])

IMPORT_PATH = f"{router.prefix}/import"
"""Where the larger body cap (``api.import_max_body_bytes``) applies."""

IMPORT_MEDIA_TYPES: dict[str, imports.ImportFormat] = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "text/csv": "csv",
}


class RowErrorOut(BaseModel):
    """One problem of one import row."""

    model_config = ConfigDict(from_attributes=True)

    row: int
    """Line number (JSON lines) or spreadsheet row, the header being row 1 (CSV)."""
    field: str | None
    message: str


class RowMemberOut(BaseModel):
    """The member one import row created or updated."""

    model_config = ConfigDict(from_attributes=True)

    row: int
    id: int
    created: bool


class ImportReportOut(BaseModel):
    """What an import did; ``errors`` lists at most 1000 problems (``errors_truncated``);
    ``members`` the member id of every row stored."""

    model_config = ConfigDict(from_attributes=True)

    created: int
    updated: int
    failed: int
    errors: list[RowErrorOut]
    errors_truncated: bool
    members: list[RowMemberOut]


async def import_body(request: Request) -> tuple[imports.ImportFormat, bytes]:
    """The import's format (from Content-Type) and its whole body.

    Async so the body is read on the event loop; the sync route then works in a thread.
    The body cap middleware stops the read past ``api.import_max_body_bytes``.
    """
    media = Message()
    media["content-type"] = request.headers.get("content-type", "")
    fmt = IMPORT_MEDIA_TYPES.get(media.get_content_type())
    if fmt is None or not request.headers.get("content-type"):
        raise HTTPException(
            415, f"send JSON lines or CSV, as Content-Type {' or '.join(IMPORT_MEDIA_TYPES)}"
        )
    return fmt, await request.body()


ImportBody = Annotated[tuple[imports.ImportFormat, bytes], Depends(import_body)]


@router.post(
    "",
    status_code=201,
    summary="Add a member",
    responses=responses(400, 401, 403, 409, 413, 422, 503),
)
def create_member(
    body: MemberIn, tenant: TenantDep, store: MemberStoreDep, audit: AuditDep
) -> MemberOut:
    """Store a new member; 409 if its email, phone or chat id belongs to another member."""
    member = intake.create(store=store, tenant=tenant, body=body)
    audit.record("member.create", member.id)
    return present(member)


@router.post(
    "/import",
    summary="Import members from JSON lines or CSV",
    responses=responses(401, 403, 413, 415, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One member per line (as for POST /v1/members), or CSV with the "
            "columns " + ", ".join(imports.CSV_COLUMNS) + " (topics separated by | or ;).",
            "content": {media: {"schema": {"type": "string"}} for media in IMPORT_MEDIA_TYPES},
        }
    },
)
def import_members(
    upload: ImportBody, tenant: TenantDep, store: MemberStoreDep, audit: AuditDep
) -> ImportReportOut:
    """Create or update members (matched by any contact); invalid rows are reported, not kept.

    At most 100,000 rows per call; more is refused with 422 and nothing is written.
    """
    fmt, body = upload
    report = imports.import_members(store=store, tenant=tenant, body=body, fmt=fmt)
    audit.record("member.import", "", format=fmt, created=report.created,
                 updated=report.updated, failed=report.failed)  # fmt: skip
    return ImportReportOut.model_validate(report)


@router.api_route("/import", methods=OTHER_METHODS, include_in_schema=False)
def import_other_methods() -> None:
    """``/v1/members/import`` takes only POST: 405, not a member id "import" (422)."""
    raise HTTPException(405)


class MemberMatches(BaseModel):
    """The member an exact lookup found: one, or none."""

    members: list[MemberOut]


@router.get(
    "",
    summary="Find a member by email, phone, external id or Telegram chat id",
    responses=responses(401, 403, 422, 503),
)
def find_member(
    tenant: TenantDep,
    store: MemberStoreDep,
    email: Annotated[str | None, Query(max_length=254)] = None,
    phone: Annotated[str | None, Query(max_length=32)] = None,
    external_id: Annotated[str | None, Query(max_length=64)] = None,
    telegram_chat_id: Annotated[int | None, Query()] = None,
) -> MemberMatches:
    """Exactly one of the parameters; the member it names, if any. There is no listing of
    all members: a hotline looks one up by what the caller tells it."""
    given = {n: v for n, v in (("email", email), ("phone", phone), ("external_id", external_id),
             ("telegram_chat_id", telegram_chat_id)) if v is not None}  # fmt: skip
    if len(given) != 1:
        raise InvalidInput(
            "give exactly one of email, phone, external_id, telegram_chat_id", field="query"
        )
    ((name, value),) = given.items()
    member = _lookup(tenant, store, name, value)
    return MemberMatches(members=[present(member)] if member else [])


def _lookup(tenant: TenantConfig, store: MemberStore, name: str, value: object) -> Member | None:
    if name == "external_id":
        return store.find_external(tenant.id, str(value))
    if name == "phone":
        try:
            value = normalize_phone(str(value))
        except ValueError:
            return None  # not a number anyone can have
    if name == "email":
        value = str(value).strip().lower()
    return store.find(tenant.id, CONTACT_BY_FIELD[name].channel, cast(str | int, value))


@router.get("/{member_id}", summary="A member", responses=responses(401, 403, 404, 422, 503))
def get_member(member_id: int, tenant: TenantDep, store: MemberStoreDep) -> MemberOut:
    """The member with this id in this tenant."""
    return present(store.get(tenant.id, member_id))


@router.patch(
    "/{member_id}",
    summary="Change a member",
    responses=responses(400, 401, 403, 404, 409, 413, 422, 503),
)
def patch_member(
    member_id: int, body: MemberPatch, tenant: TenantDep, store: MemberStoreDep, audit: AuditDep
) -> MemberOut:
    """Change the fields present in the body; an explicit null removes that contact."""
    member = intake.update(store=store, tenant=tenant, member_id=member_id, patch=body)
    audit.record("member.change", member_id, fields=",".join(sorted(body.model_fields_set)))
    return present(member)


@router.delete(
    "/{member_id}",
    status_code=204,
    summary="Erase a member",
    responses=responses(401, 403, 404, 422, 503),
)
def delete_member(
    member_id: int, tenant: TenantDep, store: MemberStoreDep, audit: AuditDep
) -> Response:
    """Erase the member with its contacts, subscriptions and what the bot kept about its
    chat (a staff reply to one of its old questions then reaches nobody)."""
    erasure.erase(store, tenant.id, member_id)
    audit.record("member.delete", member_id)
    return Response(status_code=204)


def present(member: Member) -> MemberOut:
    """A stored member as the API shows it."""
    consent = None
    if member.consent_given_at is not None and member.consent_source is not None:
        consent = Consent(given_at=member.consent_given_at, source=member.consent_source)
    return MemberOut(
        id=member.id,
        language=member.language,
        topics=list(member.topics),
        telegram_chat_id=member.telegram_chat_id,
        email=member.email,
        phone=member.phone,
        external_id=member.external_id,
        tester=bool(member.tester),
        consent=consent,
        paused_channels=sorted(member.paused),
        created_at=member.created_at,
    )

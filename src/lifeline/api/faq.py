"""``/v1/faq``: support staff keep the answers members find with ``/faq`` (role support).

The same entries can be managed from the staff's Telegram group (``/faq_set``, ``/faq_del``,
``/faq_list``); both write through ``lifeline.faq.make_entry``, so the rules are the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from lifeline import faq
from lifeline.api.deps import AuditDep, RequireSupport, TenantDep
from lifeline.core import defaults
from lifeline.core.vocabulary import Language
from lifeline.faq import FaqEntry
from lifeline.server.deps import FaqStoreDep
from lifeline.server.errors import responses

router = APIRouter(prefix="/v1/faq", tags=["faq"], dependencies=[RequireSupport])

FaqKey = Annotated[
    str,
    Path(
        pattern=faq.KEY_PATTERN.pattern,
        description="1–40 characters a-z, 0-9, _ or -, e.g. `sick-note`.",
    ),
]

Question = Annotated[str, Field(min_length=1, max_length=defaults.FAQ_MAX_QUESTION)]
Answer = Annotated[str, Field(min_length=1, max_length=defaults.FAQ_MAX_ANSWER)]
Keyword = Annotated[str, Field(min_length=1, max_length=defaults.FAQ_MAX_KEYWORD)]


class FaqIn(BaseModel):
    """An entry: question and answer in the same languages, and words members may search for."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "example": {
                "question": {
                    "de": "Wie bekomme ich eine Krankschreibung, wenn die eAU gestört ist?",
                    "en": "How do I get a sick note while the eAU is down?",
                },
                "answer": {
                    "de": "Bitten Sie Ihre Arztpraxis um eine Bescheinigung auf Papier.",
                    "en": "Ask your doctor for a paper certificate.",
                },
                "keywords": ["sick note", "Krankschreibung", "eAU", "AU"],
            }
        },
    )

    question: dict[Language, Question] = Field(min_length=1)
    answer: dict[Language, Answer] = Field(min_length=1)
    keywords: list[Keyword] = Field(default_factory=list, max_length=defaults.FAQ_MAX_KEYWORDS)


class FaqOut(BaseModel):
    """A stored entry."""

    key: str
    question: dict[str, str]
    answer: dict[str, str]
    keywords: list[str]
    updated_at: datetime | None


class FaqList(BaseModel):
    """``GET /v1/faq``: every entry, ordered by key."""

    entries: list[FaqOut]


@router.get("", summary="All FAQ entries", responses=responses(401, 403, 503))
def list_faq(tenant: TenantDep, store: FaqStoreDep) -> FaqList:
    """Every entry of the tenant, ordered by key."""
    return FaqList(entries=[present(entry) for entry in store.list(tenant.id)])


@router.get("/{key}", summary="One FAQ entry", responses=responses(401, 403, 404, 422, 503))
def get_faq(key: FaqKey, tenant: TenantDep, store: FaqStoreDep) -> FaqOut:
    """The entry with this key."""
    return present(store.get(tenant.id, key))


@router.put(
    "/{key}",
    summary="Create or replace an FAQ entry",
    responses={201: {"description": "Created"}, **responses(400, 401, 403, 413, 422, 503)},
)
def put_faq(
    key: FaqKey,
    body: FaqIn,
    response: Response,
    tenant: TenantDep,
    store: FaqStoreDep,
    audit: AuditDep,
) -> FaqOut:
    """Store the entry under this key (201 when new, 200 when it replaced one)."""
    entry = faq.make_entry(
        key=key,
        question={str(lang): text for lang, text in body.question.items()},
        answer={str(lang): text for lang, text in body.answer.items()},
        keywords=body.keywords,
    )
    stored, created = store.put(tenant.id, entry)
    audit.record("faq.put", key, created=created)
    response.status_code = 201 if created else 200
    return present(stored)


@router.delete(
    "/{key}",
    status_code=204,
    summary="Delete an FAQ entry",
    responses=responses(401, 403, 404, 422, 503),
)
def delete_faq(key: FaqKey, tenant: TenantDep, store: FaqStoreDep, audit: AuditDep) -> Response:
    """Remove the entry; members' old FAQ buttons for it then say it is gone."""
    store.delete(tenant.id, key)
    audit.record("faq.delete", key)
    return Response(status_code=204)


def present(entry: FaqEntry) -> FaqOut:
    """A stored entry as the API shows it."""
    return FaqOut(
        key=entry.key,
        question=entry.question,
        answer=entry.answer,
        keywords=list(entry.keywords),
        updated_at=entry.updated_at,
    )

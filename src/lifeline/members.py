"""Members from the edge: API bodies and import rows become ``MemberData`` with tenant defaults.

The schemas (``lifeline.schemas``) check a member's shape; this module adds what depends on
the tenant (its topics, its default language and topic) and runs imports: JSON lines or
CSV, every row validated, the valid ones upserted in pipelined chunks (matched to existing
members by any contact), the invalid ones reported by row without stopping the rest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from lifeline import defaults
from lifeline.config import TenantConfig
from lifeline.errors import Conflict, InvalidInput
from lifeline.schemas import MemberIn, MemberPatch
from lifeline.store import keys
from lifeline.store.members import CONTACT_FIELDS, Member, MemberData, MemberStore

ImportFormat = Literal["jsonl", "csv"]

MAX_REPORTED_ERRORS = 1000
"""Row errors listed in an import report; past this only the ``failed`` count grows."""

CSV_COLUMNS: tuple[str, ...] = (
    "language",
    "topics",
    "telegram_chat_id",
    "email",
    "phone",
    "consent_given_at",
    "consent_source",
)
"""Columns a CSV import may have, in any order; an empty cell means "not given"."""

_CONTACTS = {"telegram_chat_id": "telegram", "email": "email", "phone": "sms"}
_TOPIC_SEPARATORS = re.compile(r"[|;]")


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem of one import row; ``row`` is the line (JSONL) or spreadsheet row (CSV)."""

    row: int
    field: str | None
    message: str


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    created: int = 0
    updated: int = 0
    failed: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False


def to_data(tenant: TenantConfig, body: MemberIn, existing: Member | None = None) -> MemberData:
    """A member's fields from a body; InvalidInput for a topic the tenant does not have.

    Language and topics the body leaves out keep the ``existing`` member's (an import must
    not undo what a member chose in the bot), else they are the tenant's defaults.
    """
    consent = body.consent
    if body.topics is not None:
        topics = _topics(tenant, body.topics)
    else:
        topics = existing.topics if existing and existing.topics else (tenant.topics[0],)
    return MemberData(
        language=body.language or (existing.language if existing else tenant.default_language),
        topics=topics,
        telegram_chat_id=body.telegram_chat_id,
        email=body.email.lower() if body.email else None,
        phone=body.phone,
        consent_given_at=consent.given_at,
        consent_source=consent.source,
    )


def to_changes(tenant: TenantConfig, patch: MemberPatch) -> dict[str, Any]:
    """The fields a PATCH body names, as store changes; a null contact removes it.

    Language, topics and consent cannot be removed (a member always has them), so a null
    there is InvalidInput rather than a silent reset.
    """
    changes: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if name in _CONTACTS:
            changes[name] = value.lower() if name == "email" and value else value
        elif value is None:
            raise InvalidInput("cannot be removed, only changed", field=name)
        elif name == "topics":
            changes["topics"] = _topics(tenant, value)
        elif name == "consent":
            changes["consent_given_at"] = value.given_at
            changes["consent_source"] = value.source
        else:
            changes[name] = value
    return changes


def create(*, store: MemberStore, tenant: TenantConfig, body: MemberIn) -> Member:
    """Store a new member; Conflict if a contact belongs to another member."""
    return store.create(tenant.id, to_data(tenant, body))


def update(
    *, store: MemberStore, tenant: TenantConfig, member_id: int, patch: MemberPatch
) -> Member:
    """Change the fields the patch names; NotFound, Conflict, InvalidInput.

    A channel paused because its address stopped working is resumed when the address
    changes: the new one has not failed.
    """
    changes = to_changes(tenant, patch)
    new_contacts = {n: v for n, v in changes.items() if n in _CONTACTS and v is not None}
    if new_contacts:
        member = store.get(tenant.id, member_id)
        resumed = {
            _CONTACTS[n] for n, v in new_contacts.items() if getattr(member, n) != v
        } & member.paused
        if resumed:
            changes["paused"] = member.paused - resumed
    return store.update(tenant.id, member_id, changes)


def import_members(
    *, store: MemberStore, tenant: TenantConfig, body: bytes, fmt: ImportFormat
) -> ImportReport:
    """Validate every row, upsert the valid ones, report the rest.

    InvalidInput (nothing written) for a body that is not UTF-8, a CSV header with an
    unknown column, no rows at all, or more than ``IMPORT_MAX_ROWS`` rows.
    """
    text = _decode(body)
    rows = _jsonl_rows(text) if fmt == "jsonl" else _csv_rows(text)
    if not rows:
        raise InvalidInput("the import has no rows", field="body")
    if len(rows) > defaults.IMPORT_MAX_ROWS:
        raise InvalidInput(
            f"an import takes at most {defaults.IMPORT_MAX_ROWS} rows, this one has "
            f"{len(rows)}: split it",
            field="body",
        )
    errors: list[RowError] = []
    checked: list[tuple[int, MemberIn]] = []
    for row in rows:
        outcome = _check_row(tenant, row)
        if isinstance(outcome, MemberIn):
            checked.append((row.number, outcome))
        else:
            errors.extend(RowError(row.number, f, m) for f, m in outcome)
    matches = _matching_members(store, tenant.id, [body for _, body in checked])
    valid = [
        (number, to_data(tenant, body, match))
        for (number, body), match in zip(checked, matches, strict=True)
    ]
    results = store.upsert_many(tenant.id, [data for _, data in valid])
    report = ImportReport()
    for (row_no, _), result in zip(valid, results, strict=True):
        if isinstance(result, tuple):
            report.created += result[1]
            report.updated += not result[1]
        else:
            errors.append(RowError(row_no, _conflict_field(result), str(result)))
    report.failed = len(rows) - report.created - report.updated
    errors.sort(key=lambda e: e.row)
    report.errors = errors[:MAX_REPORTED_ERRORS]
    report.errors_truncated = len(errors) > MAX_REPORTED_ERRORS
    return report


@dataclass(frozen=True, slots=True)
class _Row:
    """One import row: a JSON line, or a CSV row already shaped as a member document."""

    number: int
    raw: str | dict[str, Any]
    problem: str | None = None
    """Why a CSV row could not be shaped (more cells than the header has columns)."""


def _topics(tenant: TenantConfig, topics: Sequence[str]) -> tuple[str, ...]:
    unknown = [t for t in topics if t not in tenant.topics]
    if unknown:
        raise InvalidInput(
            f"unknown topic {unknown[0]!r}; this tenant has: {', '.join(tenant.topics)}",
            field="topics",
        )
    if not topics:
        raise InvalidInput("a member follows at least one topic", field="topics")
    return tuple(dict.fromkeys(topics))  # without repeats, in the given order


def _decode(body: bytes) -> str:
    try:
        # utf-8-sig: spreadsheets put a byte order mark in front of exported CSV.
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"not UTF-8 (byte {exc.start})", field="body") from None


def _jsonl_rows(text: str) -> list[_Row]:
    # split("\n"), not splitlines(): JSON strings may hold U+2028 and other line separators.
    lines = text.split("\n")
    return [_Row(n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _csv_rows(text: str) -> list[_Row]:
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to German write ';' between cells.
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if not header or unknown:
        raise InvalidInput(
            f"unknown column {unknown[0]!r}; columns are: {', '.join(CSV_COLUMNS)}"
            if unknown
            else "the CSV has no header row",
            field="header",
        )
    if len(set(header)) != len(header):
        raise InvalidInput("a column appears twice", field="header")
    # Numbered as a spreadsheet shows them: the header is row 1, blank rows count.
    return [
        _csv_row(number, header, cells)
        for number, cells in enumerate(reader, start=2)
        if any(cell.strip() for cell in cells)
    ]


def _csv_row(number: int, header: list[str], cells: list[str]) -> _Row:
    if len(cells) > len(header):
        return _Row(number, {}, f"{len(cells)} cells but {len(header)} columns")
    doc: dict[str, Any] = {}
    for name, cell in zip(header, cells, strict=False):
        value = cell.strip()
        if not value:
            continue
        if name == "topics":
            doc["topics"] = [t.strip() for t in _TOPIC_SEPARATORS.split(value) if t.strip()]
        elif name.startswith("consent_"):
            doc.setdefault("consent", {})[name.removeprefix("consent_")] = value
        else:
            doc[name] = value
    return _Row(number, doc)


def _check_row(tenant: TenantConfig, row: _Row) -> MemberIn | list[tuple[str | None, str]]:
    """The row as a valid body, or its problems as (field, message) pairs."""
    if row.problem:
        return [(None, row.problem)]
    try:
        if isinstance(row.raw, str):
            body = MemberIn.model_validate_json(row.raw)
        else:
            body = MemberIn.model_validate(row.raw)
        if body.topics is not None:
            _topics(tenant, body.topics)
        return body
    except ValidationError as exc:
        csv_row = isinstance(row.raw, dict)
        return [(_field(e["loc"], csv_row=csv_row), _message(e)) for e in exc.errors()]
    except InvalidInput as exc:
        return [(exc.field, str(exc))]


def _matching_members(
    store: MemberStore, tenant_id: str, bodies: Sequence[MemberIn], *, chunk: int = 5000
) -> list[Member | None]:
    """The stored member each body matches by a contact, where the body leaves a choice out."""
    keeps_choice = [i for i, b in enumerate(bodies) if b.language is None or b.topics is None]
    found: dict[int, int] = {}  # body index → member id
    for kind, short in CONTACT_FIELDS.items():
        asked = [
            (i, address)
            for i in keeps_choice
            if i not in found and (address := _address(bodies[i], kind)) is not None
        ]
        # One pipeline per contact kind and chunk: 100,000 rows are a few dozen round trips.
        for start in range(0, len(asked), chunk):
            part = asked[start : start + chunk]
            pipe = store.redis.pipeline(transaction=False)
            for _, address in part:
                pipe.hget(keys.member_lookup(tenant_id, short, address), address)
            ids = pipe.execute()
            found.update((i, int(m)) for (i, _), m in zip(part, ids, strict=True) if m)
    members = store.get_many(tenant_id, set(found.values()))
    return [members.get(found[i]) if i in found else None for i in range(len(bodies))]


def _address(body: MemberIn, kind: str) -> str | None:
    """The body's address on a channel kind, as the store's lookups hold it."""
    value = {"telegram": body.telegram_chat_id, "email": body.email, "sms": body.phone}[kind]
    if value is None:
        return None
    return value.lower() if kind == "email" and isinstance(value, str) else str(value)


def _field(loc: Iterable[int | str], *, csv_row: bool) -> str | None:
    """``("consent", "given_at")`` → ``consent.given_at``, in CSV the column name."""
    parts = list(loc)
    if not parts:
        return None  # the row as a whole (no contact at all, not a JSON object)
    if csv_row:
        if parts[0] == "consent":
            return f"consent_{parts[1]}" if len(parts) > 1 else "consent_given_at"
        return str(parts[0])
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required"
    return str(error["msg"]).removeprefix("Value error, ")


def _conflict_field(exc: Conflict | InvalidInput) -> str | None:
    if isinstance(exc, InvalidInput):
        return exc.field
    # The store's Conflict message starts with the contact's field name.
    return next((name for name in _CONTACTS if str(exc).startswith(name)), None)

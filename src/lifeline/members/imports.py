"""Member imports: JSON lines or CSV, every row validated, the valid ones upserted in
pipelined chunks (matched to existing members by any contact), the invalid ones reported
by row without stopping the rest.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from lifeline.config import TenantConfig
from lifeline.consents import ConsentLog
from lifeline.core import defaults
from lifeline.core.errors import Conflict, InvalidInput
from lifeline.core.locations import dotted, excerpt, quoted
from lifeline.core.vocabulary import CONTACT_BY_CHANNEL, CONTACTS
from lifeline.members.intake import checked_phone, checked_topics, consent_events, to_data
from lifeline.members.model import Member
from lifeline.members.schemas import MemberIn
from lifeline.members.store import MemberStore

ImportFormat = Literal["jsonl", "csv"]

CSV_COLUMNS: tuple[str, ...] = (
    "language",
    "topics",
    *(c.field for c in CONTACTS),
    "external_id",
    "tester",
    "consent_given_at",
    "consent_source",
)
"""Columns a CSV import may have, in any order; an empty cell means "not given"."""

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
    members: list[RowMember] = field(default_factory=list)
    """The member of each row that was stored, in row order."""


@dataclass(frozen=True, slots=True)
class RowMember:
    """Which member a row became (or updated)."""

    row: int
    id: int
    created: bool


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
    created_ids: list[int] = []
    for (row_no, _), result in zip(valid, results, strict=True):
        if isinstance(result, tuple):
            report.members.append(RowMember(row_no, result[0], result[1]))
            if result[1]:
                created_ids.append(result[0])
            report.created += result[1]
            report.updated += not result[1]
        else:
            errors.append(RowError(row_no, _conflict_field(result), str(result)))
    report.failed = len(rows) - report.created - report.updated
    _record_consents(store, tenant.id, created_ids)
    errors.sort(key=lambda e: e.row)
    report.members.sort(key=lambda m: m.row)
    report.errors = errors[: defaults.IMPORT_MAX_REPORTED_ERRORS]
    report.errors_truncated = len(errors) > defaults.IMPORT_MAX_REPORTED_ERRORS
    return report


@dataclass(frozen=True, slots=True)
class _Row:
    """One import row: a JSON line, or a CSV row already shaped as a member document."""

    number: int
    raw: str | dict[str, Any]
    problem: str | None = None
    """Why a CSV row could not be shaped (more cells than the header has columns)."""


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
    rows = _csv_records(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [name.strip().lower() for name in next(rows, [])]
    unknown = [name for name in header if name not in CSV_COLUMNS]
    if not header or unknown:
        raise InvalidInput(
            f"unknown column {quoted(unknown[0])}; columns are: {', '.join(CSV_COLUMNS)}"
            if unknown
            else "the CSV has no header row",
            field="header",
        )
    if len(set(header)) != len(header):
        raise InvalidInput("a column appears twice", field="header")
    # Numbered as a spreadsheet shows them: the header is row 1, blank rows count.
    return [
        _csv_row(number, header, cells)
        for number, cells in enumerate(rows, start=2)
        if any(cell.strip() for cell in cells)
    ]


def _csv_records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    """The reader's rows; InvalidInput naming the row where the CSV cannot be read on (a
    cell over the csv module's 128 KiB, a NUL byte): nothing of the import is written."""
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            where = "header" if number == 1 else f"row {number}"
            raise InvalidInput(f"{where}: cannot read the CSV: {exc}", field=where) from None
        yield cells


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
            checked_topics(tenant, body.topics)
        if body.phone is not None:
            checked_phone(tenant, body.phone)
        return body
    except ValidationError as exc:
        csv_row = isinstance(row.raw, dict)
        return [(_field(e["loc"], csv_row=csv_row), _message(e)) for e in exc.errors()]
    except InvalidInput as exc:
        return [(exc.field, str(exc))]


def _matching_members(
    store: MemberStore, tenant_id: str, bodies: Sequence[MemberIn]
) -> list[Member | None]:
    """The stored member each body matches by a contact, where the body leaves a choice out."""
    keeps_choice = [i for i, b in enumerate(bodies) if b.language is None or b.topics is None]
    found: dict[int, int] = {}  # body index → member id
    for contact in CONTACTS:
        asked = [
            (i, address)
            for i in keeps_choice
            if i not in found and (address := _address(bodies[i], contact.channel)) is not None
        ]
        # Pipelined per contact kind: 100,000 rows are a few dozen round trips.
        ids = store.find_ids(tenant_id, contact.channel, [address for _, address in asked])
        found.update((i, m) for (i, _), m in zip(asked, ids, strict=True) if m is not None)
    members = store.get_many(tenant_id, set(found.values()))
    return [members.get(found[i]) if i in found else None for i in range(len(bodies))]


def _address(body: MemberIn, kind: str) -> str | None:
    """The body's address on a channel kind, as the store's lookups hold it."""
    value = getattr(body, CONTACT_BY_CHANNEL[kind].field)
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
    return dotted(parts)


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required"
    return excerpt(str(error["msg"]).removeprefix("Value error, "), 300)


def _conflict_field(exc: Conflict | InvalidInput) -> str | None:
    if isinstance(exc, InvalidInput):
        return exc.field
    # The store's Conflict message starts with the contact's field name.
    return next((c.field for c in CONTACTS if str(exc).startswith(c.field)), None)


def _record_consents(store: MemberStore, tenant_id: str, member_ids: list[int]) -> None:
    """The new members' consents in their histories, read and written in chunks."""
    log = ConsentLog(store.redis)
    for start in range(0, len(member_ids), defaults.IMPORT_WRITE_CHUNK):
        members = store.get_many(tenant_id, member_ids[start : start + defaults.IMPORT_WRITE_CHUNK])
        log.record_many(
            tenant_id, ((m.id, consent_events(m, via="import")) for m in members.values())
        )

"""Cases: citizens' reports of broken promises, in tables beside Rasa's `events`.

`cases` holds one row per report (bot.core.cases checks it first): the number the citizen
sees, the service and promise, the masked description, and, only when the citizen asked
for a reply, the contact details. This row is the one place contact details are kept:
they never reach the tracker's events nor a log line (log lines name the case number).
`case_notes` holds staff notes and state changes; `case_numbers` the last number used per
year, so numbers are never reused even after old cases are purged.

A report is stored in one transaction (number and row together): when the database is
down the caller gets CaseStoreUnavailable and nothing is half-stored. Two reports at the
same moment get different numbers: the counter row is updated inside the transaction
(PostgreSQL locks the row; SQLite lets one writer at a time), and a first report of a
year that races another for the counter's new row tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from bot.core.cases import (
    CLOSED,
    FORWARDED,
    NEW,
    CaseReport,
    Contact,
    case_number,
    case_year,
    check_state_change,
)
from bot.core.clock import STOCKHOLM
from bot.settings import number
from bot.store.conversations import engine_for
from bot.store.holds import held_case_numbers

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 4000
# How long a closed case is kept (CASE_RETENTION_DAYS): the municipality's gallringsbeslut
# decides; until then a year after it was closed.
DEFAULT_CASE_RETENTION_DAYS = 365
_NUMBERING_ATTEMPTS = 5

# Forwarding to the responsible nämnd (bot/review: e-mail when SMTP is configured).
NOT_FORWARDED = "ej_vidarebefordrad"  # not tried yet, or tried and failed (see forward_error)
SENT = "skickad"
EXPORTED = "exporterad"  # handed to the registrator in an export instead of by e-mail

metadata = sa.MetaData()
case_numbers = sa.Table(
    "case_numbers",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("last_sequence", sa.Integer, nullable=False),
)
cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("sequence", sa.Integer, nullable=False),
    # The conversation it came from (None when reported outside a conversation).
    sa.Column("sender_id", sa.String(255), index=True),
    sa.Column("service_id", sa.String(100), nullable=False, index=True),
    sa.Column("promise_id", sa.String(100), nullable=False, index=True),
    sa.Column("description", sa.Text, nullable=False),  # masked
    sa.Column("masked_kinds", sa.String(100), nullable=False, default=""),
    sa.Column("wants_reply", sa.Boolean, nullable=False),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("contact_email", sa.String(254)),
    sa.Column("contact_phone", sa.String(40)),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("closed_at", sa.DateTime(timezone=True)),
    sa.Column("forward_status", sa.String(20), nullable=False, default=NOT_FORWARDED),
    sa.Column("forward_attempts", sa.Integer, nullable=False, default=0),
    sa.Column("forward_error", sa.String(500)),
    sa.Column("forwarded_at", sa.DateTime(timezone=True)),
    sa.Column("forwarded_to", sa.String(254)),
    sa.UniqueConstraint("year", "sequence", name="uq_cases_year_sequence"),
)
case_notes = sa.Table(
    "case_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    # Set when the note records a state change: the new state.
    sa.Column("state", sa.String(20)),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_case_notes_case_id", "case_id"),
)


class CaseStoreUnavailable(Exception):
    """The case could not be read or stored because the database did not answer; nothing
    was stored."""


class CaseNotFound(LookupError):
    """No case with that number (never was, or purged)."""


@dataclass(frozen=True)
class StoredCase:
    number: str
    sender_id: str | None
    service_id: str
    promise_id: str
    description: str
    masked_kinds: tuple[str, ...]
    wants_reply: bool
    contact: Contact
    state: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    forward_status: str
    forward_attempts: int
    forward_error: str | None
    forwarded_at: datetime | None
    forwarded_to: str | None


@dataclass(frozen=True)
class CaseNote:
    author: str
    text: str
    state: str | None
    created_at: datetime


@dataclass(frozen=True)
class CaseFilter:
    """Which cases staff list; None or empty means any."""

    service_id: str | None = None
    promise_id: str | None = None
    state: str | None = None
    date_from: date | None = None  # reported on or after (UTC day)
    date_to: date | None = None  # reported on or before (UTC day)
    not_forwarded_only: bool = False


def create_case_tables(db_url: str) -> None:
    metadata.create_all(engine_for(db_url), checkfirst=True)


_tables_made: set[str] = set()


def ensure_case_tables(db_url: str) -> None:
    """The case tables exist (made once per process and database; the action server
    registers cases from the chat even where no web app made them at start).
    CaseStoreUnavailable when the database does not answer."""
    if db_url in _tables_made:
        return
    try:
        create_case_tables(db_url)
    except (OperationalError, DBAPIError) as exc:
        raise CaseStoreUnavailable("the case database did not answer") from exc
    _tables_made.add(db_url)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _stored(row: sa.engine.Row) -> StoredCase:
    return StoredCase(
        number=row.number,
        sender_id=row.sender_id,
        service_id=row.service_id,
        promise_id=row.promise_id,
        description=row.description,
        masked_kinds=tuple(k for k in (row.masked_kinds or "").split(",") if k),
        wants_reply=bool(row.wants_reply),
        contact=Contact(row.contact_name or "", row.contact_email or "", row.contact_phone or ""),
        state=row.state,
        created_at=_aware(row.created_at),  # type: ignore[arg-type]
        updated_at=_aware(row.updated_at),  # type: ignore[arg-type]
        closed_at=_aware(row.closed_at),
        forward_status=row.forward_status,
        forward_attempts=row.forward_attempts,
        forward_error=row.forward_error,
        forwarded_at=_aware(row.forwarded_at),
        forwarded_to=row.forwarded_to,
    )


def _next_sequence(connection: sa.engine.Connection, year: int) -> int:
    bumped = connection.execute(
        case_numbers.update()
        .where(case_numbers.c.year == year)
        .values(last_sequence=case_numbers.c.last_sequence + 1)
    )
    if bumped.rowcount == 0:
        # The year's first case; a concurrent first case makes this insert fail, and the
        # whole transaction is tried again (then the update finds the row).
        connection.execute(case_numbers.insert().values(year=year, last_sequence=1))
        return 1
    return int(
        connection.execute(
            sa.select(case_numbers.c.last_sequence).where(case_numbers.c.year == year)
        ).scalar_one()
    )


def register_case(db_url: str, report: CaseReport, now: datetime | None = None) -> StoredCase:
    """Store a checked report with the next number of its year, in one transaction.

    CaseStoreUnavailable when the database does not answer (nothing is stored)."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    year = case_year(now)
    engine = engine_for(db_url)
    for attempt in range(1, _NUMBERING_ATTEMPTS + 1):
        try:
            with engine.begin() as connection:
                sequence = _next_sequence(connection, year)
                number = case_number(year, sequence)
                connection.execute(
                    cases.insert().values(
                        number=number,
                        year=year,
                        sequence=sequence,
                        sender_id=report.sender_id,
                        service_id=report.service_id,
                        promise_id=report.promise_id,
                        description=report.description,
                        masked_kinds=",".join(report.masked_kinds),
                        wants_reply=report.wants_reply,
                        contact_name=report.contact.name or None,
                        contact_email=report.contact.email or None,
                        contact_phone=report.contact.phone or None,
                        state=NEW,
                        created_at=now,
                        updated_at=now,
                        forward_status=NOT_FORWARDED,
                        forward_attempts=0,
                    )
                )
        except IntegrityError:
            if attempt == _NUMBERING_ATTEMPTS:
                raise
            continue
        except (OperationalError, DBAPIError) as exc:
            logger.error("case not stored: the database did not answer (%s)", type(exc).__name__)
            raise CaseStoreUnavailable("the case database did not answer") from exc
        # The number only: never the description or contact details.
        logger.info("case %s registered (service %s)", number, report.service_id)
        found = find_case(db_url, number)
        assert found is not None
        return found
    raise AssertionError("unreachable")


def find_case(db_url: str, number: str) -> StoredCase | None:
    try:
        with engine_for(db_url).connect() as connection:
            row = connection.execute(sa.select(cases).where(cases.c.number == number)).first()
    except (OperationalError, DBAPIError) as exc:
        raise CaseStoreUnavailable("the case database did not answer") from exc
    return _stored(row) if row is not None else None


def _conditions(chosen: CaseFilter) -> list[sa.sql.ColumnElement]:
    where: list[sa.sql.ColumnElement] = []
    if chosen.service_id:
        where.append(cases.c.service_id == chosen.service_id)
    if chosen.promise_id:
        where.append(cases.c.promise_id == chosen.promise_id)
    if chosen.state:
        where.append(cases.c.state == chosen.state)
    if chosen.date_from:
        start = datetime(*chosen.date_from.timetuple()[:3], tzinfo=timezone.utc)
        where.append(cases.c.created_at >= start)
    if chosen.date_to:
        end = datetime(*chosen.date_to.timetuple()[:3], tzinfo=timezone.utc) + timedelta(days=1)
        where.append(cases.c.created_at < end)
    if chosen.not_forwarded_only:
        where.append(cases.c.forward_status == NOT_FORWARDED)
    return where


def list_cases(
    db_url: str, chosen: CaseFilter | None = None, limit: int = 200, offset: int = 0
) -> list[StoredCase]:
    """Cases matching the filter, newest first."""
    query = (
        sa.select(cases)
        .where(*_conditions(chosen or CaseFilter()))
        .order_by(cases.c.created_at.desc(), cases.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with engine_for(db_url).connect() as connection:
        return [_stored(row) for row in connection.execute(query)]


def count_cases(db_url: str, chosen: CaseFilter | None = None) -> int:
    query = (
        sa.select(sa.func.count()).select_from(cases).where(*_conditions(chosen or CaseFilter()))
    )
    with engine_for(db_url).connect() as connection:
        return int(connection.execute(query).scalar_one())


def _case_id(connection: sa.engine.Connection, number: str) -> tuple[int, str]:
    row = connection.execute(
        sa.select(cases.c.id, cases.c.state).where(cases.c.number == number)
    ).first()
    if row is None:
        raise CaseNotFound(number)
    return int(row.id), str(row.state)


def add_note(db_url: str, number: str, author: str, text: str, now: datetime | None = None) -> None:
    """A staff note on a case; ValueError when it is empty or too long."""
    text = text.strip()
    if not text:
        raise ValueError("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise ValueError(f"the note is longer than {MAX_NOTE_CHARS} characters")
    now = now or datetime.now(timezone.utc)
    with engine_for(db_url).begin() as connection:
        case_id, _state = _case_id(connection, number)
        connection.execute(
            case_notes.insert().values(case_id=case_id, author=author, text=text, created_at=now)
        )
        connection.execute(cases.update().where(cases.c.id == case_id).values(updated_at=now))


def change_state(
    db_url: str,
    number: str,
    new_state: str,
    author: str,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Move a case along (bot.core.cases.check_state_change), with a note that records it.
    CaseError when the change is not allowed; CaseNotFound when there is no such case."""
    now = now or datetime.now(timezone.utc)
    with engine_for(db_url).begin() as connection:
        case_id, current = _case_id(connection, number)
        check_state_change(current, new_state)
        values: dict[str, object] = {"state": new_state, "updated_at": now}
        if new_state == CLOSED:
            values["closed_at"] = now
        connection.execute(cases.update().where(cases.c.id == case_id).values(**values))
        connection.execute(
            case_notes.insert().values(
                case_id=case_id,
                author=author,
                text=note.strip()[:MAX_NOTE_CHARS] or f"{current} → {new_state}",
                state=new_state,
                created_at=now,
            )
        )


def notes(db_url: str, number: str) -> list[CaseNote]:
    with engine_for(db_url).connect() as connection:
        case_id, _state = _case_id(connection, number)
        rows = connection.execute(
            sa.select(case_notes)
            .where(case_notes.c.case_id == case_id)
            .order_by(case_notes.c.created_at, case_notes.c.id)
        )
        return [CaseNote(r.author, r.text, r.state, _aware(r.created_at)) for r in rows]  # type: ignore[arg-type]


def record_forwarding(
    db_url: str,
    number: str,
    sent_to: str | None,
    error: str | None,
    now: datetime | None = None,
    status: str = SENT,
) -> None:
    """The outcome of one attempt to hand a case on: sent (the case becomes
    vidarebefordrad if it was ny) or failed (kept, marked not forwarded, error shown)."""
    now = now or datetime.now(timezone.utc)
    with engine_for(db_url).begin() as connection:
        case_id, state = _case_id(connection, number)
        values: dict[str, object] = {
            "forward_attempts": cases.c.forward_attempts + 1,
            "updated_at": now,
        }
        if error is None:
            values.update(
                forward_status=status, forward_error=None, forwarded_at=now, forwarded_to=sent_to
            )
            if state == NEW:
                values["state"] = FORWARDED
        else:
            values.update(forward_status=NOT_FORWARDED, forward_error=error[:500])
        connection.execute(cases.update().where(cases.c.id == case_id).values(**values))


@dataclass(frozen=True)
class ClosedCasesPurged:
    """What one purge of closed cases did: how many it deleted, and the numbers of the
    cases old enough to go that it kept because they are on hold."""

    cutoff: datetime
    deleted: int
    held: tuple[str, ...] = ()


def purge_closed_cases(db_url: str, days: int, now: datetime | None = None) -> ClosedCasesPurged:
    """Delete cases closed more than `days` days ago, with their notes and contact
    details, except cases on hold (bot/store/holds.py). Open cases are never purged.
    The purge is logged by bot/store/retention.py (`purge_cases`)."""
    if days < 1:
        raise ValueError("the retention period must be at least 1 day")
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(cases.name):
        return ClosedCasesPurged(cutoff, 0)
    with engine.begin() as connection:
        on_hold = held_case_numbers(connection)
        old = connection.execute(
            sa.select(cases.c.id, cases.c.number).where(
                cases.c.state == CLOSED, cases.c.closed_at < cutoff
            )
        ).all()
        held = tuple(sorted(row.number for row in old if row.number in on_hold))
        doomed = [row.id for row in old if row.number not in on_hold]
        deleted = 0
        for start in range(0, len(doomed), 500):  # bounded IN lists
            chunk = doomed[start : start + 500]
            connection.execute(case_notes.delete().where(case_notes.c.case_id.in_(chunk)))
            deleted += connection.execute(cases.delete().where(cases.c.id.in_(chunk))).rowcount
    return ClosedCasesPurged(cutoff, int(deleted), held)


def case_retention_days(env: Mapping[str, str] | None = None) -> int:
    """CASE_RETENTION_DAYS, at least 1 (default 365); a bad value is a SettingsError."""
    return number(env, "CASE_RETENTION_DAYS", DEFAULT_CASE_RETENTION_DAYS, minimum=1, unit="days")


def case_counts_by_month(
    db_url: str, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[str, str, str, int]]:
    """(month 'YYYY-MM' in Swedish time, service_id, promise_id, cases reported) for the
    dashboard, for cases reported from `since` up to (not including) `until`."""
    query = sa.select(cases.c.created_at, cases.c.service_id, cases.c.promise_id)
    if since is not None:
        query = query.where(cases.c.created_at >= since)
    if until is not None:
        query = query.where(cases.c.created_at < until)
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(cases.name):
        return []
    counts: dict[tuple[str, str, str], int] = {}
    with engine.connect() as connection:
        for created_at, service_id, promise_id in connection.execute(query):
            month = f"{_aware(created_at).astimezone(STOCKHOLM):%Y-%m}"  # type: ignore[union-attr]
            key = (month, service_id, promise_id)
            counts[key] = counts.get(key, 0) + 1
    return sorted((*key, count) for key, count in counts.items())

"""Confirmed review dates ("Uppgifterna stämmer"), in the tracker database beside the
conversations, so every web app and action server (on any machine) reads the same dates.

| table            | one row per                                                      |
|------------------|------------------------------------------------------------------|
| content_reviews  | confirmation that a declaration is still right: service, the day |
|                  | it counts as reviewed, who confirmed it and when                 |

Rows are only ever added: the table is the history of confirmations, and its highest id
is the version that `ConfirmedReviewDates` (the core's `ReviewedDates`) reports, so a
process learns with one indexed `max(id)` whether anything changed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.core.catalog import CatalogStore
from bot.store.conversations import engine_for

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

content_reviews = sa.Table(
    "content_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(64), nullable=False, index=True),
    sa.Column("reviewed", sa.Date, nullable=False),
    sa.Column("confirmed_by", sa.String(64), nullable=False),
    sa.Column("confirmed_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class Confirmation:
    service_id: str
    reviewed: date
    confirmed_by: str
    confirmed_at: float


def create_content_tables(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def confirm(
    engine: Engine, service_id: str, day: date, username: str, now: float | None = None
) -> Confirmation:
    """Record that `username` confirmed `service_id`'s facts as right on `day`."""
    confirmation = Confirmation(service_id, day, username[:64], time.time() if now is None else now)
    with engine.begin() as connection:
        connection.execute(
            content_reviews.insert().values(
                service_id=confirmation.service_id,
                reviewed=confirmation.reviewed,
                confirmed_by=confirmation.confirmed_by,
                confirmed_at=confirmation.confirmed_at,
            )
        )
    return confirmation


def latest_confirmations(engine: Engine) -> dict[str, Confirmation]:
    """The latest confirmation of each service that has one."""
    newest = (
        sa.select(sa.func.max(content_reviews.c.id))
        .group_by(content_reviews.c.service_id)
        .scalar_subquery()
    )
    query = sa.select(content_reviews).where(content_reviews.c.id.in_(newest))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return {
        r.service_id: Confirmation(r.service_id, r.reviewed, r.confirmed_by, r.confirmed_at)
        for r in rows
    }


def confirmations_version(engine: Engine) -> int:
    """The id of the newest confirmation (0: none, or the table is not made yet)."""
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.max(content_reviews.c.id))).scalar() or 0
    except (OperationalError, ProgrammingError) as exc:
        if "content_reviews" in str(exc):  # no such table / relation does not exist
            return 0
        raise


class ConfirmedReviewDates:
    """The core's `ReviewedDates` read from the tracker database at `db_url`. Connects
    on first use, not when made; a SQLite file that does not exist yet holds no dates
    (and is not created by asking)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._engine: Engine | None = None

    def _database(self) -> Engine | None:
        if self._engine is None:
            if self.db_url.startswith("sqlite:///"):
                path = self.db_url.split("sqlite:///", 1)[1]
                if not Path(path).exists():
                    return None
            self._engine = engine_for(self.db_url)
        return self._engine

    def version(self) -> int:
        engine = self._database()
        return 0 if engine is None else confirmations_version(engine)

    def dates(self) -> dict[str, date]:
        engine = self._database()
        if engine is None or not confirmations_version(engine):
            return {}
        return {s: c.reviewed for s, c in latest_confirmations(engine).items()}


def follow_confirmations(store: CatalogStore, db_url: str) -> None:
    """Make `store` answer with the confirmed review dates of the database at `db_url`
    (read on the store's next check, not now)."""
    store.follow(ConfirmedReviewDates(db_url))

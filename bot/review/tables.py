"""The review tool's tables, beside Rasa's `events` in the tracker store database.

Ours (created by `create_tables`, never at import time), all prefixed `review_`:

| table                  | one row per                                               |
|------------------------|-----------------------------------------------------------|
| review_users           | staff account: name, role, argon2 hash                    |
| review_sessions        | logged-in browser: sha256 of the cookie token, CSRF token |
| review_login_failures  | failed login (account, IP, time), for the rate limit      |
| review_audit           | staff action: who, what, which conversation or export     |
| review_tags            | tag on a conversation                                     |
| review_notes           | note on a conversation, or on one message of it           |
| review_marks           | conversation marked as reviewed                           |
| review_nlu             | reviewer's verdict on one user message (NLU inbox)        |

Rasa's `events` table is declared here with its real columns (Rasa 3.6
`SQLTrackerStore.SQLEvent`) in a separate MetaData, so `create_tables` never creates or
alters it; `ensure_event_indexes` only adds indexes, with IF NOT EXISTS.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.conversations import engine_for, events  # noqa: F401 (re-exported)

logger = logging.getLogger(__name__)

# Rasa's table (read only) and the shared engine are declared once, in bot/store/conversations.py.

# Indexes on Rasa's table, measured with `make bench-review` (figures in the README).
# Rasa itself creates only ix_events_sender_id, which serves one conversation's events.
EVENT_INDEXES: dict[str, tuple[str, ...]] = {
    # Newest-first scans of user messages (the list, the NLU inbox) and per-day counts
    # (the dashboard). sender_id and intent_name ride along so that those scans and
    # counts read the index alone, not the 1-2 KB rows.
    "ix_review_events_type_time": ("type_name", "timestamp", "sender_id", "intent_name"),
}

# --- Our tables -------------------------------------------------------------------------------

metadata = sa.MetaData()

users = sa.Table(
    "review_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_login_at", sa.Float),
)

sessions = sa.Table(
    "review_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
)

login_failures = sa.Table(
    "review_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(255), nullable=False, index=True),
    sa.Column("ip", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
)

audit = sa.Table(
    "review_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("username", sa.String(64), nullable=False, index=True),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(255)),  # a sender id, an export kind, a user name
    sa.Column("detail", sa.Text),  # e.g. the filters of an export
)

tags = sa.Table(
    "review_tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("tag", sa.String(64), nullable=False, index=True),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("sender_id", "tag", name="uq_review_tags_sender_tag"),
)

notes = sa.Table(
    "review_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("event_id", sa.Integer),  # the message the note is about, or NULL
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

marks = sa.Table(
    "review_marks",
    metadata,
    sa.Column("sender_id", sa.String(255), primary_key=True),
    sa.Column("reviewed_by", sa.String(64), nullable=False),
    sa.Column("reviewed_at", sa.Float, nullable=False),
)

CONFIRMED = "confirmed"
DISMISSED = "dismissed"

nlu_verdicts = sa.Table(
    "review_nlu",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.Integer, nullable=False, unique=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    # The example as it will be exported (the reviewer may shorten or clean it).
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("predicted_intent", sa.String(255)),
    sa.Column("predicted_confidence", sa.Float),
    sa.Column("status", sa.String(16), nullable=False),  # CONFIRMED or DISMISSED
    sa.Column("intent", sa.String(255)),
    sa.Column("service", sa.String(64)),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("decided_at", sa.Float, nullable=False, index=True),
)


def create_tables(engine: Engine) -> None:
    """Create our tables if missing (never Rasa's)."""
    metadata.create_all(engine, checkfirst=True)


def ensure_event_indexes(engine: Engine) -> list[str]:
    """Add our indexes to Rasa's `events` table if it exists; returns the names created or
    already present. Safe to run while Rasa writes (CREATE INDEX IF NOT EXISTS)."""
    if not sa.inspect(engine).has_table(events.name):
        return []
    done = []
    with engine.begin() as connection:
        for name, columns in EVENT_INDEXES.items():
            connection.execute(
                sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON events ({', '.join(columns)})")
            )
            done.append(name)
    return done


def drop_event_indexes(engine: Engine) -> None:
    """Remove our indexes from `events` (the benchmark measures without them)."""
    with engine.begin() as connection:
        for name in EVENT_INDEXES:
            connection.execute(sa.text(f"DROP INDEX IF EXISTS {name}"))

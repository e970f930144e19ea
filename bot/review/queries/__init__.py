"""Read conversations straight from Rasa's tracker store (the `events` table).

Everything is SQLAlchemy Core with bound parameters: a filter value or search text never
becomes SQL text. JSON inside `events.data` is read with the database's own JSON
functions (SQLite `json_extract`/`json_each`, PostgreSQL `#>>`/`@>`), so the same code runs
on the default SQLite store and on PostgreSQL.

| module        | holds                                                              |
|---------------|--------------------------------------------------------------------|
| `sql`         | dialect helpers (JSON paths, entities, raw `LIKE`), feedback check |
| `listing`     | the newest-first scan, the list's filters, rows and pages          |
| `transcript`  | one conversation, one user message, messages for the CSV export    |
| `inbox`       | the NLU inbox                                                      |
"""

from bot.review.queries.inbox import (
    FELL_BACK,
    INBOX_PAGE_SIZE,
    LOW_CONFIDENCE,
    THUMBS_DOWN,
    InboxItem,
    inbox,
)
from bot.review.queries.listing import (
    PAGE_SIZE,
    ConversationRow,
    Page,
    conversation_rows,
    list_conditions,
    list_page,
    matching_senders,
    search_matches,
    search_variants,
    stream_user_messages,
)
from bot.review.queries.sql import (
    classifier_confidence,
    feedback_exists,
    has_entity,
    is_postgres,
    json_number,
    json_text,
    like_pattern,
    raw_json_contains,
    unindexed,
)
from bot.review.queries.transcript import (
    Line,
    Note,
    Transcript,
    conversation_exists,
    transcript,
    transcript_rows,
    user_message,
)

__all__ = [
    "FELL_BACK",
    "INBOX_PAGE_SIZE",
    "LOW_CONFIDENCE",
    "PAGE_SIZE",
    "THUMBS_DOWN",
    "ConversationRow",
    "InboxItem",
    "Line",
    "Note",
    "Page",
    "Transcript",
    "classifier_confidence",
    "conversation_exists",
    "conversation_rows",
    "feedback_exists",
    "has_entity",
    "inbox",
    "is_postgres",
    "json_number",
    "json_text",
    "like_pattern",
    "list_conditions",
    "list_page",
    "matching_senders",
    "raw_json_contains",
    "search_matches",
    "search_variants",
    "stream_user_messages",
    "transcript",
    "transcript_rows",
    "unindexed",
    "user_message",
]

"""The audit log: which staff member did what, to which conversation or export, when.

Written for every page that shows a conversation, every change and every export, and on
login, logout and account changes. Read by admins on /granska/admin/logg.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.review.tables import audit

# What happened (stored in `action`; the Swedish labels are in templates/audit.html).
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
OPEN_CONVERSATION = "open_conversation"
ADD_TAG = "add_tag"
REMOVE_TAG = "remove_tag"
ADD_NOTE = "add_note"
MARK_REVIEWED = "mark_reviewed"
UNMARK_REVIEWED = "unmark_reviewed"
NLU_VERDICT = "nlu_verdict"
EXPORT_NLU = "export_nlu"
EXPORT_TESTS = "export_tests"
EXPORT_CSV = "export_csv"
EXPORT_RECORDS = "export_records"
HOLD_CONVERSATION = "hold_conversation"
RELEASE_HOLD = "release_hold"
ADD_USER = "add_user"
REMOVE_USER = "remove_user"
OPEN_CASE = "open_case"
CASE_STATE = "case_state"
CASE_NOTE = "case_note"
CASE_FORWARD = "case_forward"
EXPORT_CASES = "export_cases"
HOLD_CASE = "hold_case"
RELEASE_CASE_HOLD = "release_case_hold"
CONFIRM_CONTENT = "confirm_content"
PUBLISH_CONTENT = "publish_content"
ROLLBACK_CONTENT = "rollback_content"
DRAFT_CONTENT = "draft_content"
SUBMIT_CONTENT = "submit_content"
REJECT_CONTENT = "reject_content"
DISCARD_CONTENT = "discard_content"

PAGE_SIZE = 100


@dataclass(frozen=True)
class Entry:
    id: int
    at: float
    username: str
    action: str
    target: str | None
    detail: str | None


def log(
    engine: Engine,
    username: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | str | None = None,
    now: float | None = None,
) -> None:
    if isinstance(detail, dict):
        detail = json.dumps(detail, ensure_ascii=False, sort_keys=True)
    with engine.begin() as connection:
        connection.execute(
            audit.insert().values(
                at=time.time() if now is None else now,
                username=username[:64],
                action=action,
                target=None if target is None else target[:255],
                detail=detail,
            )
        )


def entries(
    engine: Engine, page: int = 1, username: str | None = None, action: str | None = None
) -> tuple[list[Entry], bool]:
    """One page of the log, newest first, and whether there is a next page."""
    query = sa.select(audit).order_by(audit.c.id.desc())
    if username:
        query = query.where(audit.c.username == username)
    if action:
        query = query.where(audit.c.action == action)
    query = query.limit(PAGE_SIZE + 1).offset((max(page, 1) - 1) * PAGE_SIZE)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    found = [Entry(r.id, r.at, r.username, r.action, r.target, r.detail) for r in rows]
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE

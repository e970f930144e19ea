"""Drafts of a declaration, edited in the review tool and published only when a second
person approves (four eyes).

| table           | one row per                                                          |
|-----------------|----------------------------------------------------------------------|
| content_drafts  | draft of one declaration file: its whole YAML text, the published    |
|                 | version it was based on, who drafted and last changed it (revision), |
|                 | its state (draft → waiting → published / rejected / discarded), who  |
|                 | decided and the version it became, and whether it needs training     |

At most one open draft (draft or waiting) per service. A save carries the revision the
editor saw: another save in between is refused naming who made it (`DraftConflict`);
a publish in between that changed this declaration is refused the same way
(`content_catalog.PublishConflict`). Approval publishes through `content_catalog.publish`
(same validation, on top of the version published now) and is refused for anyone who
drafted or changed the draft (`OwnDraft`). Nothing is deleted: a closed draft stays as
the record of who decided what.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
import yaml
from sqlalchemy.engine import Engine

from bot.core.catalog import catalog_from_documents
from bot.paths import DEFAULT_MUNICIPALITY_FILE
from bot.store import content_catalog as published

DRAFT = "draft"
WAITING = "waiting"
PUBLISHED = "published"
REJECTED = "rejected"
DISCARDED = "discarded"
OPEN = (DRAFT, WAITING)
EDIT = "edit"  # content_versions.how for a version published from an approved draft

metadata = sa.MetaData()

content_drafts = sa.Table(
    "content_drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("service_id", sa.String(64), nullable=False, index=True),
    sa.Column("file_name", sa.String(128), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("based_on", sa.Integer),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("drafted_by", sa.String(64), nullable=False),
    sa.Column("drafted_at", sa.Float, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("needs_training", sa.Boolean, nullable=False, default=False),
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decided_at", sa.Float),
    sa.Column("version", sa.Integer),
)


@dataclass(frozen=True)
class Draft:
    id: int
    service_id: str
    file_name: str
    text: str
    based_on: int | None
    state: str
    revision: int
    drafted_by: str
    drafted_at: float
    updated_by: str
    updated_at: float
    needs_training: bool
    decided_by: str | None
    decided_at: float | None
    version: int | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def authors(self) -> set[str]:
        return {self.drafted_by, self.updated_by}


class DraftConflict(Exception):
    """Someone else saved or decided this draft after the editor opened it; `who` and
    `state` say who and what (the page words it in Swedish)."""

    def __init__(self, who: str, state: str) -> None:
        super().__init__(f"the draft was changed by {who} ({state})")
        self.who = who
        self.state = state


class OwnDraft(Exception):
    """The approver drafted or changed this draft: a second person must approve."""


class NotWaiting(Exception):
    """The draft is not waiting for approval (or no longer open)."""


def create_content_draft_tables(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def _draft(row: sa.engine.Row) -> Draft:
    return Draft(**{c.name: getattr(row, c.name) for c in content_drafts.c})


def get(engine: Engine, draft_id: int) -> Draft | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(content_drafts).where(content_drafts.c.id == draft_id)
        ).first()
    return None if row is None else _draft(row)


def open_draft(engine: Engine, service_id: str) -> Draft | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(content_drafts).where(
                content_drafts.c.service_id == service_id, content_drafts.c.state.in_(OPEN)
            )
        ).first()
    return None if row is None else _draft(row)


def open_drafts(engine: Engine) -> dict[str, Draft]:
    """The open draft of every service that has one."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(content_drafts).where(content_drafts.c.state.in_(OPEN))
        ).all()
    return {r.service_id: _draft(r) for r in rows}


def _latest(engine: Engine, service_id: str) -> Draft | None:
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(content_drafts)
            .where(content_drafts.c.service_id == service_id)
            .order_by(content_drafts.c.id.desc())
            .limit(1)
        ).first()
    return None if row is None else _draft(row)


def file_of(service_id: str) -> str:
    """The declaration file's name (the loader requires `<id>.yml`)."""
    return f"{service_id}.yml"


def needs_training(texts: dict[str, str], file_name: str, text: str) -> bool:
    """A new service, or a service with a new name: the NLU model's training data (the
    names the tokenizer replaces) should be made again; synonyms need no training."""
    if file_name not in texts:
        return True
    before = yaml.safe_load(texts[file_name]) or {}
    after = yaml.safe_load(text) or {}
    return bool(before.get("name") != after.get("name") or before.get("id") != after.get("id"))


def _check_published(engine: Engine, file_name: str, based_on: int | None) -> dict[str, str]:
    """The texts published now; PublishConflict when this declaration changed since
    `based_on` (a publish that changed other declarations does not matter)."""
    current = published.published_version(engine)
    texts = published.documents(engine)
    if current != based_on:
        before = published.documents(engine, based_on) if based_on else {}
        if before.get(file_name) != texts.get(file_name):
            info = published.version_info(engine, current) if current else None
            if info is not None:
                raise published.PublishConflict(info)
    return texts


def save(
    engine: Engine,
    service_id: str,
    text: str,
    username: str,
    based_on: int | None,
    revision: int | None,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
    now: float | None = None,
) -> Draft:
    """Save `text` as the open draft of `service_id`, edited from published version
    `based_on` and draft `revision` (None: the editor started from the published text).
    CatalogError when the text fails the catalog's validation (with every other
    published file), nothing saved; DraftConflict / PublishConflict as above."""
    create_content_draft_tables(engine)
    moment = time.time() if now is None else now
    file_name = file_of(service_id)
    texts = _check_published(engine, file_name, based_on)
    catalog_from_documents({**texts, file_name: text}, municipality_file)
    training = needs_training(texts, file_name, text)
    user = username[:64]
    with engine.begin() as connection:
        row = connection.execute(
            sa.select(content_drafts).where(
                content_drafts.c.service_id == service_id, content_drafts.c.state.in_(OPEN)
            )
        ).first()
        if row is None:
            if revision is not None:
                latest = _latest(engine, service_id)
                who = latest.decided_by or latest.updated_by if latest else username
                raise DraftConflict(who, latest.state if latest else DISCARDED)
            result = connection.execute(
                content_drafts.insert().values(
                    service_id=service_id,
                    file_name=file_name,
                    text=text,
                    based_on=based_on,
                    state=DRAFT,
                    revision=1,
                    drafted_by=user,
                    drafted_at=moment,
                    updated_by=user,
                    updated_at=moment,
                    needs_training=training,
                )
            )
            draft_id = int(result.inserted_primary_key[0])
        else:
            current = _draft(row)
            if revision != current.revision:
                raise DraftConflict(current.updated_by, current.state)
            updated = connection.execute(
                content_drafts.update()
                .where(
                    content_drafts.c.id == current.id,
                    content_drafts.c.revision == current.revision,
                )
                .values(
                    text=text,
                    based_on=based_on,
                    state=DRAFT,
                    revision=current.revision + 1,
                    updated_by=user,
                    updated_at=moment,
                    needs_training=training,
                )
            )
            if updated.rowcount != 1:
                raise DraftConflict(current.updated_by, current.state)
            draft_id = current.id
    saved = get(engine, draft_id)
    assert saved is not None
    return saved


def _transition(
    engine: Engine,
    draft: Draft,
    state: str,
    values: dict[str, object],
) -> None:
    with engine.begin() as connection:
        changed = connection.execute(
            content_drafts.update()
            .where(content_drafts.c.id == draft.id, content_drafts.c.revision == draft.revision)
            .values(state=state, revision=draft.revision + 1, **values)
        )
    if changed.rowcount != 1:
        latest = get(engine, draft.id)
        raise DraftConflict(latest.updated_by if latest else "?", latest.state if latest else "")


def _open(engine: Engine, draft_id: int, revision: int | None) -> Draft:
    draft = get(engine, draft_id)
    if draft is None:
        raise KeyError(draft_id)
    if not draft.is_open:
        raise DraftConflict(draft.decided_by or draft.updated_by, draft.state)
    if revision is not None and revision != draft.revision:
        raise DraftConflict(draft.updated_by, draft.state)
    return draft


def submit(engine: Engine, draft_id: int, username: str, revision: int | None) -> Draft:
    """Send the draft for approval."""
    draft = _open(engine, draft_id, revision)
    _transition(engine, draft, WAITING, {})
    return _must(get(engine, draft_id))


def approve(
    engine: Engine,
    draft_id: int,
    username: str,
    revision: int | None,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
    now: float | None = None,
) -> int:
    """Publish the draft as the next version (its declaration replaced, every other one as
    published now); returns the version. OwnDraft for its author, NotWaiting unless it
    was submitted, PublishConflict when the declaration was published meanwhile."""
    draft = _open(engine, draft_id, revision)
    if username[:64] in draft.authors():
        raise OwnDraft(username)
    if draft.state != WAITING:
        raise NotWaiting(draft.state)
    texts = _check_published(engine, draft.file_name, draft.based_on)
    current = published.published_version(engine)
    version, _ = published.publish(
        engine,
        {**texts, draft.file_name: draft.text},
        username,
        EDIT,
        current,
        municipality_file,
        now=now,
    )
    moment = time.time() if now is None else now
    _transition(
        engine,
        draft,
        PUBLISHED,
        {"decided_by": username[:64], "decided_at": moment, "version": version},
    )
    return version


def close(
    engine: Engine,
    draft_id: int,
    username: str,
    revision: int | None,
    state: str,
    now: float | None = None,
) -> Draft:
    """Reject (an approver) or discard (anyone who may edit) an open draft; the row stays."""
    if state not in (REJECTED, DISCARDED):
        raise ValueError(state)
    draft = _open(engine, draft_id, revision)
    moment = time.time() if now is None else now
    _transition(engine, draft, state, {"decided_by": username[:64], "decided_at": moment})
    return _must(get(engine, draft_id))


def _must(draft: Draft | None) -> Draft:
    if draft is None:
        raise RuntimeError("the draft vanished")
    return draft

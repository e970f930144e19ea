"""The tracker store: Rasa's SQLTrackerStore, masking personal data before it saves.

Defence in depth. Our channels (bot/adapters/channels.py) already mask every message before Rasa
sees it; this store masks again, right before events are written to the database or
streamed to an event broker, so a channel added later without masking still cannot store
a personnummer, phone number or e-mail address. Configured in endpoints.yml by
bot/ops/endpoints.py (`type: bot.adapters.tracker_store.MaskingSQLTrackerStore`), with the same
SQLite / PostgreSQL settings as Rasa's `type: SQL`.

It also spends less per message than Rasa's own store (docs/BENCHMARKS.md): SQLite through a
pooled engine with the write-ahead log (bot.store.database.sqlite_engine) instead of a new
connection per session; events read without building an ORM object per row; and no `count`
query before each save when the tracker being saved is the one this store read: it already
knows how many of its events are stored.

What is masked: the user's text (with the rest of a personnummer cut short in the
conversation's previous message, as the channels do), the text and entity values in
`parse_data`, the input channel's name, slot values, and the metadata (keys and values)
of every event but the bot's. Bot utterances (text and metadata)
are not: they come from domain.yml and the catalog (Kundtjänst's own phone number is not
personal data), and the bot never sees unmasked input to echo.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.channels import AWAITS_METADATA_KEY
from bot.core.redaction import AWAITS, merge_kinds, redact, redact_json
from bot.store.database import sqlite_engine

logger = logging.getLogger(__name__)


def _awaits(event: UserUttered) -> str | None:
    awaits = (event.metadata or {}).get(AWAITS_METADATA_KEY)
    return awaits if awaits in AWAITS else None


def mask_events(events: Iterable[Event], after: str | None = None) -> tuple[str, ...]:
    """Mask personal data in the events, in place; returns the kinds found. `after`:
    what the user message before these events left open (`metadata.redaction_awaits`)."""
    found: list[tuple[str, ...]] = []
    for event in events:
        if isinstance(event, UserUttered):
            text = redact(event.text or "", after)
            if text.found:
                event.text = text.text
                found.append(text.kinds)
            if text.awaits and not _awaits(event):
                event.metadata = {**(event.metadata or {}), AWAITS_METADATA_KEY: text.awaits}
            after = _awaits(event)
            if event.input_channel:
                channel = redact(event.input_channel)
                if channel.found:
                    event.input_channel = channel.text
                    found.append(channel.kinds)
            parse_data, in_parse_data = redact_json(event.parse_data)
            entities, in_entities = redact_json(event.entities)
            if in_parse_data.found or in_entities.found:
                event.parse_data = parse_data
                event.entities = entities
                found.extend((in_parse_data.kinds, in_entities.kinds))
        elif isinstance(event, SlotSet):
            value, in_value = redact_json(event.value)
            if in_value.found:
                event.value = value
                found.append(in_value.kinds)
        if isinstance(event, BotUttered):
            continue  # the bot's own sentence and the catalog values that filled it
        metadata, in_metadata = redact_json(event.metadata)
        if in_metadata.found:
            event.metadata = metadata
            found.append(in_metadata.kinds)
    return merge_kinds(found)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that never writes personal data: see the module docstring.

    Masks exactly the events a save writes (`_additional_events`) and the events it
    streams to an event broker (`_stream_new_events`), not the whole tracker on every
    save, which would cost more with every turn of a long conversation.
    """

    engine: Engine  # Rasa's attribute, typed here

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            url = self.engine.url.render_as_string(hide_password=False)
            self.engine.dispose()
            self.engine = sqlite_engine(url, future=False)  # Rasa's ORM code is 1.x style
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        """Rasa's retrieval, reading only the `data` column: Rasa builds an ORM object per
        event row only to read that column."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            rows = query.with_entities(self.SQLEvent.data).all()
        if not self.domain or not rows:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for (data,) in rows], self.domain.slots
        )
        if not fetch_events_from_all_sessions:
            # Every event of the latest session, as read from the database.
            _remember_stored(tracker, len(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        _remember_stored(tracker, len(tracker.events))

    def _additional_events(
        self, session: Session, tracker: DialogueStateTracker
    ) -> Iterator[Event]:
        stored = _stored(tracker)
        if stored is None:  # a tracker we did not read or save: ask the database (Rasa's way)
            events = list(super()._additional_events(session, tracker))
        else:
            events = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        earlier = itertools.islice(reversed(tracker.events), len(events), None)
        previous = next((e for e in earlier if isinstance(e, UserUttered)), None)
        self._mask(events, tracker.sender_id, _awaits(previous) if previous else None)
        return iter(events)

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        self._mask(new_events, sender_id)
        await super()._stream_new_events(event_broker, new_events, sender_id)

    @staticmethod
    def _mask(events: list[Event], sender_id: str, after: str | None = None) -> None:
        kinds = mask_events(events, after)
        if kinds:
            # Our channels mask first, so this means a channel without masking.
            logger.warning(
                "Masked %s in conversation %s before saving; the input channel did not mask it",
                ", ".join(kinds),
                sender_id,
            )


# How many of a tracker's events are in the database, kept on the tracker object itself:
# it lives exactly as long as the tracker, and a copy (which Rasa may make) does not have it,
# so a copy is counted in the database. Rasa's lock store makes one process at a time read,
# change and save a conversation, so nobody adds rows between our read and our save.
_STORED_EVENTS = "_skelleftea_stored_events"


def _remember_stored(tracker: DialogueStateTracker, count: int) -> None:
    setattr(tracker, _STORED_EVENTS, count)


def _stored(tracker: DialogueStateTracker) -> int | None:
    count = getattr(tracker, _STORED_EVENTS, None)
    if isinstance(count, int) and 0 <= count <= len(tracker.events):
        return count
    return None

"""Turn bot/ replies into dispatcher calls, in the conversation's language, and build
buttons from the catalog."""

from __future__ import annotations

from collections.abc import Iterable

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.answers import Reply
from bot.core.catalog import Catalog
from bot.core.message_language import ENGLISH, SWEDISH
from bot.core.payloads import intent_payload
from bot.core.questions import load_vocabulary
from bot.core.texts import load_texts
from bot.core.translations import cached_english_table, to_english
from bot.names import SLOT_LANGUAGE

__all__ = ["answer_language", "intent_payload", "send", "service_buttons"]


def answer_language(tracker: Tracker) -> str:
    """English for a conversation in English; Swedish for every other (the catalog is
    written in these two; Finnish and Sami got their fixed text from the rules)."""
    return ENGLISH if tracker.get_slot(SLOT_LANGUAGE) == ENGLISH else SWEDISH


def in_language(catalog: Catalog, replies: Iterable[Reply], language: str) -> list[Reply]:
    if language != ENGLISH:
        return list(replies)
    table = cached_english_table(catalog, load_vocabulary(), load_texts())
    return to_english(table, replies)


def send(
    dispatcher: CollectingDispatcher,
    replies: Iterable[Reply],
    catalog: Catalog | None = None,
    language: str = SWEDISH,
) -> None:
    if catalog is not None:
        replies = in_language(catalog, replies, language)
    for reply in replies:
        dispatcher.utter_message(response=reply.response, **reply.values)
        if reply.card:
            dispatcher.utter_message(json_message=reply.card)


def service_buttons(catalog: Catalog, intent: str, language: str = SWEDISH) -> list[dict[str, str]]:
    def title(name: str, english: str | None) -> str:
        return english if language == ENGLISH and english else name

    return [
        {
            "title": title(d.name, d.en.name if d.en else None),
            "payload": intent_payload(intent, d.id),
        }
        for d in catalog.sorted_by_name()
    ]

"""English answers: the same replies as in Swedish, with the catalog's English texts.

Knows nothing of Rasa. The answer plan works on the Swedish catalog (its words are what the
ranking knows); its replies are then carried into English here: every catalog text in a
reply's values is looked up among the English texts written beside it (a declaration's `en:`
block, the municipality's `*_en` fields, topics' `label_en`, data/texts.yml's English
words). A text that has no English stays Swedish, and the answer then starts with
`utter_only_in_swedish`, which says so in English. The response names stay the same: Rasa
picks their English variation by the conversation's `language` slot (domain.yml).

`missing_translations` lists what has no English yet, for `bot check` and the review tool.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.core.answers import BULLET, Reply, in_sentence
from bot.core.catalog import Catalog, Declaration
from bot.core.questions import Vocabulary
from bot.core.texts import Texts

UTTER_ONLY_IN_SWEDISH = "utter_only_in_swedish"

# Values that hold bullet lists of catalog texts, one per line.
_LISTS = ("promise_list", "expectation_list", "not_kept_list", "fact_list", "other_list")
# Values that hold one catalog text.
_TEXTS = ("summary", "board", "hours_note", "visiting_address", "handles")
# Values that hold service names, alone or joined by ", ".
_NAMES = ("service_name",)
_NAME_LISTS = ("serviceforklaringar", "servicenivaer")
_LIST_JOIN = ", "


@dataclass
class EnglishTable:
    """Swedish catalog text → the same text in English, for one catalog."""

    texts: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)  # day names, phone options

    def add(self, swedish: str | None, english: str | None) -> None:
        if swedish and english:
            self.texts[swedish] = english


def _add_declaration(table: EnglishTable, declaration: Declaration) -> None:
    english = declaration.en
    if english is None:
        return
    table.names[declaration.name] = english.name
    table.names[in_sentence(declaration.name)] = in_sentence(english.name)
    table.add(declaration.summary, english.summary)
    table.add(declaration.responsible_board, english.responsible_board)
    for promise in declaration.promises:
        table.add(promise.text, english.promises.get(promise.id))
    for fact in declaration.facts:
        table.add(fact.text, english.facts.get(fact.id))
    for swedish_list, english_list in (
        (declaration.expectations, english.expectations),
        (declaration.if_not_kept, english.if_not_kept),
        (declaration.contact.other, english.contact_other),
    ):
        for swedish, text in zip(swedish_list, english_list, strict=False):
            table.add(swedish, text)
    if declaration.contact.phone_option and english.phone_option:
        table.words[declaration.contact.phone_option] = english.phone_option


def english_table(catalog: Catalog, vocabulary: Vocabulary, texts: Texts) -> EnglishTable:
    table = EnglishTable()
    for declaration in catalog.declarations.values():
        _add_declaration(table, declaration)
    municipality = catalog.municipality
    info = municipality.serviceforklaring
    table.add(info.summary, info.summary_en)
    for swedish, english in zip(info.if_not_kept, info.if_not_kept_en, strict=False):
        table.add(swedish, english)
    kundtjanst = municipality.kundtjanst
    table.add(kundtjanst.hours_note, kundtjanst.hours_note_en)
    table.add(kundtjanst.visiting_address, kundtjanst.visiting_address_en)
    for fact in municipality.general_facts:
        table.add(fact.text, municipality.general_facts_en.get(fact.id))
    for authority in catalog.authorities:
        table.add(authority.handles, authority.handles_en)
        table.add(authority.name, authority.name_en)
        table.add(authority.web, authority.web_en)
    for topic in vocabulary.topics.values():
        if topic.label_en:
            table.labels[topic.label] = topic.label_en
    table.words.update(zip(texts.weekdays, texts.weekdays_en, strict=False))
    table.words[texts.today] = texts.today_en
    table.words[texts.tomorrow] = texts.tomorrow_en
    return table


_cache: tuple[int, EnglishTable] | None = None


def cached_english_table(catalog: Catalog, vocabulary: Vocabulary, texts: Texts) -> EnglishTable:
    """The table of the current catalog, built again only when the catalog changes."""
    global _cache
    key = id(catalog) ^ id(vocabulary) ^ id(texts)
    if _cache is None or _cache[0] != key:
        _cache = (key, english_table(catalog, vocabulary, texts))
    return _cache[1]


def _translated(table: EnglishTable, key: str, value: str) -> tuple[str, bool]:
    """The value in English, and whether all of it had an English text."""
    if not value:
        return value, True
    if key in _LISTS:
        lines, complete = [], True
        for line in value.split("\n"):
            text = line.removeprefix(BULLET)
            english = table.texts.get(text)
            complete = complete and english is not None
            lines.append(line if english is None else BULLET + english)
        return "\n".join(lines), complete
    if key in _TEXTS:
        return table.texts.get(value, value), value in table.texts
    if key in _NAMES:
        return table.names.get(value, value), value in table.names
    if key in _NAME_LISTS:
        names = [table.names.get(name, name) for name in value.split(_LIST_JOIN)]
        return _LIST_JOIN.join(names), True
    if key == "topic":
        return table.labels.get(value, value), value in table.labels
    if key in ("next_open_day", "phone_option"):
        return table.words.get(value, value), True
    if key == "phone_with_option":
        for swedish, english in table.words.items():
            value = value.replace(f"({swedish})", f"({english})")
        return value, True
    return value, True


def _card(table: EnglishTable, card: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    promises, complete = [], True
    for promise in card.get("promises", []):
        english = table.texts.get(promise["text"])
        complete = complete and english is not None
        promises.append({**promise, "text": english or promise["text"]})
    board = card.get("responsible_board")
    translated = {
        **card,
        "name": table.names.get(card["name"], card["name"]),
        "responsible_board": table.texts.get(board, board) if board else board,
        "promises": promises,
        "language": "en",
    }
    return translated, complete


def to_english(table: EnglishTable, replies: Iterable[Reply]) -> list[Reply]:
    """The replies with the catalog's English texts; first a note when some had none."""
    result: list[Reply] = []
    complete = True
    for reply in replies:
        values: dict[str, Any] = {}
        for key, value in reply.values.items():
            if isinstance(value, str):
                value, ok = _translated(table, key, value)
                complete = complete and ok
            values[key] = value
        card = reply.card
        if card is not None:
            card, ok = _card(table, card)
            complete = complete and ok
        result.append(Reply(reply.response, values, card))
    if not complete:
        result.insert(0, Reply(UTTER_ONLY_IN_SWEDISH))
    return result


def missing_translations(catalog: Catalog) -> list[str]:
    """Every catalog text without English, as 'file: field' lines (for `bot check`)."""
    missing: list[str] = []
    for declaration in sorted(catalog.declarations.values(), key=lambda d: d.id):
        where = f"declarations/{declaration.id}.yml"
        english = declaration.en
        if english is None:
            missing.append(f"{where}: en (no English at all)")
            continue
        if not english.summary:
            missing.append(f"{where}: en.summary")
        if declaration.responsible_board and not english.responsible_board:
            missing.append(f"{where}: en.responsible_board")
        missing += [
            f"{where}: en.promises.{p.id}"
            for p in declaration.promises
            if p.id not in english.promises
        ]
        missing += [
            f"{where}: en.facts.{f.id}" for f in declaration.facts if f.id not in english.facts
        ]
        for name, swedish, translated in (
            ("expectations", declaration.expectations, english.expectations),
            ("if_not_kept", declaration.if_not_kept, english.if_not_kept),
            ("contact_other", declaration.contact.other, english.contact_other),
        ):
            if swedish and not translated:
                missing.append(f"{where}: en.{name}")
    municipality = catalog.municipality
    info = municipality.serviceforklaring
    if not info.summary_en:
        missing.append("municipality.yml: serviceforklaring.summary_en")
    if not info.if_not_kept_en:
        missing.append("municipality.yml: serviceforklaring.if_not_kept_en")
    if municipality.kundtjanst.hours_note and not municipality.kundtjanst.hours_note_en:
        missing.append("municipality.yml: kundtjanst.hours_note_en")
    missing += [
        f"municipality.yml: general_facts_en.{f.id}"
        for f in municipality.general_facts
        if f.id not in municipality.general_facts_en
    ]
    missing += [
        f"authorities.yml: {a.id}.handles_en" for a in catalog.authorities if not a.handles_en
    ]
    return missing

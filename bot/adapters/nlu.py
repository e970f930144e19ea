"""Rasa NLU components: the service-masking tokenizer, the `service` / `unknown_service` /
`authority` / `topic` entities, the intent corrected by that evidence, and the message's
`language`.

A thin adapter: all the matching lives in bot/core/matcher.py, which knows nothing
of Rasa. The words come from the catalog when the model loads (and again whenever a
catalog file changes), so a new synonym works without retraining and a new service
needs only its file plus `make train` for the intent model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot import names
from bot.core.catalog import DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE, CatalogStore
from bot.core.matcher import AUTHORITY, KNOWN, ServiceMatcher
from bot.core.message_language import FINNISH, OTHER, SAMI, default_identifier
from bot.core.questions import best_topic, load_vocabulary
from bot.store.content_catalog import follow_database
from bot.store.database import tracker_db_url

# What the intent classifier sees instead of a service's name.
SERVICE_PLACEHOLDER = "tjänstenamn"


class _CatalogMatcher:
    """The current ServiceMatcher, rebuilt when the catalog changes: the files while
    training; in a loaded model (serving), the catalog published in the tracker database
    (`follow_database`), so a new synonym reaches the matcher without retraining."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._store = CatalogStore(
            Path(config.get("catalog_dir") or DEFAULT_CATALOG_DIR),
            Path(config.get("municipality_file") or DEFAULT_MUNICIPALITY_FILE),
        )
        self._catalog = self._store.get()
        self._matcher = ServiceMatcher(self._catalog)

    def follow_database(self) -> None:
        follow_database(self._store, tracker_db_url())

    def get(self) -> ServiceMatcher:
        catalog = self._store.get()
        if catalog is not self._catalog:
            self._catalog = catalog
            self._matcher = ServiceMatcher(catalog)
        return self._matcher


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ServiceMaskingTokenizer(WhitespaceTokenizer):
    """Whitespace tokens, with every service name replaced by one placeholder token.

    What a citizen asks (how long, what must I do, whom to call) does not depend on
    which service they name, so the intent classifier should not learn from service
    words. The message text itself is untouched; only the tokens the featurizers see
    change, so entity offsets and the stored text stay as typed.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            **WhitespaceTokenizer.get_default_config(),
            "catalog_dir": None,
            "municipality_file": None,
        }

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._matcher = _CatalogMatcher(config)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ServiceMaskingTokenizer:
        """Serving: the published catalog's words (training reads the files)."""
        tokenizer = cls(config)
        tokenizer._matcher.follow_database()
        return tokenizer

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute != TEXT or not tokens:
            return tokens
        spans = [
            (m.start, m.end)
            for m in self._matcher.get().find(message.get(TEXT) or "")
            if m.entity != AUTHORITY  # another authority's words tell the classifier "not us"
        ]
        if not spans:
            return tokens
        masked: list[Token] = []
        for token in tokens:
            inside = any(token.start < end and start < token.end for start, end in spans)
            if not inside:
                masked.append(token)
            elif not (
                masked
                and masked[-1].text == SERVICE_PLACEHOLDER
                and masked[-1].end >= token.start - 1
            ):
                masked.append(
                    Token(SERVICE_PLACEHOLDER, token.start, token.end, lemma=SERVICE_PLACEHOLDER)
                )
            else:
                masked[-1].end = token.end
        return masked


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class ServiceEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"catalog_dir": None, "municipality_file": None}

    def __init__(self, config: dict[str, Any]) -> None:
        self._matcher = _CatalogMatcher(config)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ServiceEntityExtractor:
        return cls(config)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ServiceEntityExtractor:
        """Serving: the published catalog's words (training reads the files)."""
        extractor = cls(config)
        extractor._matcher.follow_database()
        return extractor

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        matcher = self._matcher.get()
        for message in messages:
            text = message.get(TEXT) or ""
            found = [
                {
                    "entity": m.entity,
                    "value": m.value,
                    "start": m.start,
                    "end": m.end,
                    "confidence": 1.0,
                }
                for m in matcher.find(text)
            ]
            if found:
                entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
        return messages


TOPIC_ENTITY = names.ENTITY_TOPIC
FALLBACK_INTENT = names.INTENT_NLU_FALLBACK
OUT_OF_SCOPE_INTENT = names.INTENT_OUT_OF_SCOPE
# Small-talk intents the evidence may overrule when the model is not sure of them.
SMALL_TALK = set(names.SMALL_TALK_INTENTS)
SURE = 0.9
# Intents that a named service overrules: a message naming bygglov is about bygglov.
OTHER_TOPICS = {
    names.INTENT_BOT_CHALLENGE,
    names.INTENT_LIST_SERVICES,
    names.INTENT_HUMAN_HANDOFF,
    names.INTENT_WHAT_IS_SERVICEFORKLARING,
}
# Which intent asks for which part of a declaration (data/topics.yml `aspect`).
ASPECT_INTENTS = {aspect: intent for intent, aspect in names.SERVICE_INTENT_ASPECTS.items()}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionEvidence(GraphComponent, EntityExtractorMixin):
    """After the intent classifier and the fallback: adds the `topic` entity (what is
    asked, from data/topics.yml) and corrects an unsure intent with the evidence.

    A message that names a service and asks something recognisable ("carporten, hur
    länge?") is a service question even when the model fell back or took it for small
    talk; a message that names another authority and nothing of ours is out of scope.
    Confident intents are left alone. The model's own ranking stays in
    `intent_ranking`, so the review tool shows both.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"topics_file": None}

    def __init__(self, config: dict[str, Any]) -> None:
        path = config.get("topics_file")
        self._vocabulary = load_vocabulary(Path(path)) if path else load_vocabulary()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> QuestionEvidence:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            topic = best_topic(self._vocabulary, text)
            if topic:
                found = [{"entity": TOPIC_ENTITY, "value": topic, "confidence": 1.0}]
                entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
                message.set(ENTITIES, entities, add_to_output=True)
            corrected = self._corrected_intent(message, topic)
            if corrected:
                intent = dict(message.get(INTENT) or {})
                intent["name"] = corrected
                message.set(INTENT, intent, add_to_output=True)
        return messages

    def _corrected_intent(self, message: Message, topic: str | None) -> str | None:
        intent = message.get(INTENT) or {}
        name, confidence = intent.get("name"), intent.get("confidence") or 0.0
        unsure = name == FALLBACK_INTENT or (name in SMALL_TALK and confidence < SURE)
        kinds = {e.get("entity") for e in message.get(ENTITIES, [])}
        asked = ASPECT_INTENTS.get(self._vocabulary.topics[topic].aspect) if topic else None
        if KNOWN in kinds and name in OTHER_TOPICS:
            if asked:
                return asked
            handoff = name == names.INTENT_HUMAN_HANDOFF
            return names.INTENT_ASK_CONTACT if handoff else names.INTENT_ASK_OVERVIEW
        if not unsure:  # out_of_scope stays: the answer plan weighs a service word there
            return None
        if KNOWN in kinds:
            return asked or names.INTENT_ASK_OVERVIEW
        if AUTHORITY in kinds:
            return OUT_OF_SCOPE_INTENT
        if asked:
            return asked  # a follow-up ("och hur lång tid tar det då?"): the service is known
        return None


LANGUAGE_ENTITY = names.ENTITY_LANGUAGE
# Names of things (services, authorities) are Swedish words in any language.
_NAME_ENTITIES = {names.ENTITY_SERVICE, names.ENTITY_UNKNOWN_SERVICE, names.ENTITY_AUTHORITY}
# Identified languages the bot does not answer in: the message gets the fixed text.
_NOT_ANSWERED = {FINNISH, SAMI, OTHER}


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MessageLanguage(GraphComponent, EntityExtractorMixin):
    """Last in the pipeline: adds the `language` entity (sv, en, fi, se, other) when the
    message says enough to tell (bot/core/message_language.py), and sets the intent
    `other_language` for Finnish, Northern Sami and other languages, whatever DIET said
    (its ranking stays in `intent_ranking`). A short message gets no entity, so the
    conversation's `language` slot keeps its value. Service and authority names, found by
    the entity extractor before, are left out: they are Swedish in any language."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    def __init__(self, config: dict[str, Any]) -> None:
        self._identifier = default_identifier()

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MessageLanguage:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue  # a button's payload (`/ask_overview{...}`), not words
            spans = [
                (e["start"], e["end"])
                for e in message.get(ENTITIES, [])
                if e.get("entity") in _NAME_ENTITIES and "start" in e and "end" in e
            ]
            guess = self._identifier.identify(text, names=spans)
            if not guess.decided:
                continue
            found = [{"entity": LANGUAGE_ENTITY, "value": guess.language, "confidence": 1.0}]
            entities = message.get(ENTITIES, []) + self.add_extractor_name(found)
            message.set(ENTITIES, entities, add_to_output=True)
            if guess.language in _NOT_ANSWERED:
                intent = dict(message.get(INTENT) or {})
                intent.update(name=names.INTENT_OTHER_LANGUAGE, confidence=1.0)
                message.set(INTENT, intent, add_to_output=True)
        return messages

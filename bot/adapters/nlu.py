"""Rasa NLU component that adds `service` / `unknown_service` entities.

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
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.catalog import DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE, CatalogStore
from bot.core.matcher import ServiceMatcher

# What the intent classifier sees instead of a service's name.
SERVICE_PLACEHOLDER = "tjänstenamn"


class _CatalogMatcher:
    """The current ServiceMatcher, rebuilt when the catalog files change."""

    def __init__(self, config: dict[str, Any]) -> None:
        self._store = CatalogStore(
            Path(config.get("catalog_dir") or DEFAULT_CATALOG_DIR),
            Path(config.get("municipality_file") or DEFAULT_MUNICIPALITY_FILE),
        )
        self._catalog = self._store.get()
        self._matcher = ServiceMatcher(self._catalog)

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

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        tokens = super().tokenize(message, attribute)
        if attribute != TEXT or not tokens:
            return tokens
        spans = [(m.start, m.end) for m in self._matcher.get().find(message.get(TEXT) or "")]
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

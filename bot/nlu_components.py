"""Rasa NLU component that adds `service` / `unknown_service` entities.

A thin adapter: all the matching lives in bot/service_matcher.py, which knows nothing
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
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.declarations import DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE, CatalogStore
from bot.service_matcher import ServiceMatcher


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False
)
class ServiceEntityExtractor(GraphComponent, EntityExtractorMixin):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"catalog_dir": None, "municipality_file": None}

    def __init__(self, config: dict[str, Any]) -> None:
        self._store = CatalogStore(
            Path(config.get("catalog_dir") or DEFAULT_CATALOG_DIR),
            Path(config.get("municipality_file") or DEFAULT_MUNICIPALITY_FILE),
        )
        self._catalog = self._store.get()
        self._matcher = ServiceMatcher(self._catalog)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ServiceEntityExtractor:
        return cls(config)

    def _current_matcher(self) -> ServiceMatcher:
        catalog = self._store.get()
        if catalog is not self._catalog:
            self._catalog = catalog
            self._matcher = ServiceMatcher(catalog)
        return self._matcher

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        matcher = self._current_matcher()
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

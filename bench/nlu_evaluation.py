"""Measure a trained model on a holdout file: intent accuracy and macro-F1, service
entity accuracy and F1, fallback rate. Used by tests/e2e/test_nlu_holdout.py and `make bench`.

The holdout (tests/data/nlu_holdout.yml) is never used for training. Intent accuracy is
measured on the classifier's top intent (as rasa-demo does, without the fallback
classifier), and the fallback rate is reported beside it: a message that falls back is
not answered wrongly, it is answered with "I am not sure".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.names import ENTITY_SERVICE, INTENT_NLU_FALLBACK

FALLBACK_INTENT = INTENT_NLU_FALLBACK
SERVICE_ENTITY = ENTITY_SERVICE


@dataclass
class Example:
    text: str
    intent: str
    services: frozenset[str]


@dataclass
class Prediction:
    example: Example
    intent: str  # the classifier's top intent (never nlu_fallback)
    confidence: float
    fell_back: bool
    services: frozenset[str]


@dataclass
class Report:
    predictions: list[Prediction] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.predictions)

    @property
    def intent_accuracy(self) -> float:
        return sum(p.intent == p.example.intent for p in self.predictions) / max(self.n, 1)

    @property
    def fallback_rate(self) -> float:
        return sum(p.fell_back for p in self.predictions) / max(self.n, 1)

    @property
    def confident_wrong_rate(self) -> float:
        """Share answered with a wrong intent without falling back: the costly error."""
        return sum(
            (not p.fell_back) and p.intent != p.example.intent for p in self.predictions
        ) / max(self.n, 1)

    @property
    def entity_accuracy(self) -> float:
        return sum(p.services == p.example.services for p in self.predictions) / max(self.n, 1)

    def per_intent(self) -> dict[str, dict[str, float]]:
        intents = sorted(
            {p.example.intent for p in self.predictions} | {p.intent for p in self.predictions}
        )
        table = {}
        for intent in intents:
            tp = sum(p.intent == intent == p.example.intent for p in self.predictions)
            fp = sum(p.intent == intent != p.example.intent for p in self.predictions)
            fn = sum(p.example.intent == intent != p.intent for p in self.predictions)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / (tp + fn) if tp + fn else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            table[intent] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
        return table

    @property
    def intent_macro_f1(self) -> float:
        rows = [r for r in self.per_intent().values() if r["support"]]
        return sum(r["f1"] for r in rows) / max(len(rows), 1)

    @property
    def entity_f1(self) -> float:
        tp = fp = fn = 0
        for p in self.predictions:
            tp += len(p.services & p.example.services)
            fp += len(p.services - p.example.services)
            fn += len(p.example.services - p.services)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def errors(self) -> list[str]:
        lines = []
        for p in self.predictions:
            if p.intent != p.example.intent or p.services != p.example.services:
                lines.append(
                    f"{p.example.text!r}: intent {p.example.intent} -> {p.intent} "
                    f"({p.confidence:.2f}{', fallback' if p.fell_back else ''}); services "
                    f"{sorted(p.example.services)} -> {sorted(p.services)}"
                )
        return lines

    def summary(self) -> str:
        return (
            f"n={self.n} intent_accuracy={self.intent_accuracy:.3f} "
            f"intent_macro_f1={self.intent_macro_f1:.3f} "
            f"entity_accuracy={self.entity_accuracy:.3f} entity_f1={self.entity_f1:.3f} "
            f"fallback_rate={self.fallback_rate:.3f} "
            f"confident_wrong_rate={self.confident_wrong_rate:.3f}"
        )

    def table(self) -> str:
        lines = [f"{'intent':28} {'prec':>5} {'rec':>5} {'f1':>5} {'n':>4}"]
        for intent, row in self.per_intent().items():
            lines.append(
                f"{intent:28} {row['precision']:5.2f} {row['recall']:5.2f} {row['f1']:5.2f} "
                f"{int(row['support']):4d}"
            )
        return "\n".join(lines)


def load_examples(path: Path) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    examples = []
    for message in data.intent_examples:
        services = frozenset(
            e["value"]
            for e in message.get("entities", []) or []
            if e.get("entity") == SERVICE_ENTITY
        )
        examples.append(Example(message.get("text"), message.get("intent"), services))
    return examples


def predict(parse: dict[str, Any], example: Example) -> Prediction:
    ranking = [r for r in parse.get("intent_ranking", []) if r.get("name") != FALLBACK_INTENT]
    top = ranking[0] if ranking else {"name": None, "confidence": 0.0}
    fell_back = (parse.get("intent") or {}).get("name") == FALLBACK_INTENT
    services = frozenset(
        e["value"] for e in parse.get("entities", []) if e.get("entity") == SERVICE_ENTITY
    )
    return Prediction(example, top["name"], float(top["confidence"]), fell_back, services)


async def _evaluate(model_path: Path, examples: list[Example]) -> Report:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    report = Report()
    for example in examples:
        parse = await agent.parse_message(example.text)
        report.predictions.append(predict(parse, example))
    return report


def evaluate(model_path: Path, holdout: Path) -> Report:
    return asyncio.run(_evaluate(model_path, load_examples(holdout)))

"""NLU on the holdout (tests/data/nlu_holdout.yml), with the small model the tests train.
Prints the figures; asserts the bars of the spine issue.

The holdout was written blind to the training data and is never used to make decisions.
tests/data/nlu_dev.yml is the earlier test set that guided training-data and pipeline choices:
it must not leak into training either, but its figures are optimistic."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.nlu_evaluation import evaluate, load_examples
from bench.training import training_files

HOLDOUT = Path(__file__).parents[1] / "data" / "nlu_holdout.yml"
DEV = Path(__file__).parents[1] / "data" / "nlu_dev.yml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(quick_model):
    result = evaluate(quick_model, HOLDOUT)
    print("\nNLU holdout (quick model):", result.summary())
    print(result.table())
    for line in result.errors():
        print("  miss:", line)
    return result


@pytest.mark.parametrize("path", [HOLDOUT, DEV], ids=["holdout", "dev"])
def test_test_sets_are_large_and_never_used_for_training(path):
    examples = load_examples(path)
    assert len(examples) >= 150
    training_text = "\n".join(p.read_text(encoding="utf-8").lower() for p in training_files())
    reused = [e.text for e in examples if f"- {e.text.lower()}\n" in training_text]
    assert reused == []


def test_intent_accuracy_is_at_least_90_percent(report):
    assert report.intent_accuracy >= 0.90, report.summary()


def test_service_entity_accuracy_is_at_least_90_percent(report):
    assert report.entity_accuracy >= 0.90, report.summary()


def test_few_confident_wrong_answers(report):
    # Wrong intents should mostly end in the fallback ("I am not sure"), not in an answer.
    assert report.confident_wrong_rate <= 0.08, report.summary()

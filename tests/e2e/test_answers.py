"""The quick answer-level check (`make eval` is the full one): a fixed subset of the dev
split, the staff-reviewed cases and part of the out-of-scope set, through the REST webhook
of the real stack with the quick test model. A regression in what the bot answers fails CI.

The blind split is not run here: its score is reported by `make eval` once per model
change, and nothing in the test suite is tuned on it.
"""

from __future__ import annotations

import pytest

from bench.answer_eval import Judge, Webhook, load_cases, run_cases, summarise

pytestmark = pytest.mark.slow

# Every n-th case of a split: fixed, spread over all kinds, small enough for CI.
DEV_STEP = 4
OUT_OF_SCOPE_STEP = 8
# Regression bars at what the quick model measured (2026-12-03: dev subset 32/58 = 55 %,
# out-of-scope subset 4/25 answered with a declaration), not the targets
# (97 % and 2 %), which `make eval` reports against.
MIN_DEV_ACCURACY = 0.50
MAX_DECLARATION_PRESENTED = 6


@pytest.fixture(scope="module")
def judge(catalog):
    return Judge(catalog)


def test_a_fixed_dev_subset_is_answered_right(running_bot, judge):
    cases = load_cases("dev")[::DEV_STEP]
    assert len(cases) >= 50
    outcomes = run_cases(Webhook(running_bot.rasa_url), judge, cases)
    summary = summarise("dev", outcomes)
    failures = [(o.case.id, o.reasons) for o in outcomes if not o.correct]
    print(f"\ndev subset: {summary.correct}/{summary.total} = {summary.accuracy:.1%}")
    invented_times = [t for o in outcomes for t in o.invented if not t.startswith("declaration")]
    assert invented_times == []  # every time the bot states is in the catalog
    assert summary.accuracy >= MIN_DEV_ACCURACY, failures


def test_questions_for_other_authorities_get_no_declaration(running_bot, judge):
    cases = load_cases("out_of_scope")[::OUT_OF_SCOPE_STEP]
    outcomes = run_cases(Webhook(running_bot.rasa_url), judge, cases)
    summary = summarise("out_of_scope", outcomes)
    print(f"\nout-of-scope subset: presented a declaration {summary.declaration_presented}")
    assert summary.declaration_presented <= MAX_DECLARATION_PRESENTED


def test_every_reviewed_case_is_answered_right(running_bot, judge):
    """Cases staff confirmed or corrected in the review tool (`bot export-eval`)."""
    cases = load_cases("reviewed")
    if not cases:
        pytest.skip("no reviewed cases exported yet (tests/data/eval/reviewed.yml)")
    outcomes = run_cases(Webhook(running_bot.rasa_url), judge, cases)
    assert [o.case.id for o in outcomes if not o.correct] == []

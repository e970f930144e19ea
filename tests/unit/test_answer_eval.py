"""The answer-level evaluation's judge, and the review tool's export of reviewed cases
(tests/data/eval/reviewed.yml): both decide what counts as a right answer."""

from __future__ import annotations

import yaml

from bench.answer_eval import EVAL_DIR, SPLITS, Case, Judge, load_cases
from bot.review.nlu_export import eval_yaml
from bot.review.reviews import Verdict


def case(**fields) -> Case:
    base = {
        "id": "T1",
        "split": "dev",
        "kind": "times",
        "difficulty": "easy",
        "question": "hur lång tid tar bygglov?",
        "service": "bygglov",
    }
    return Case(**{**base, **fields})


def test_a_right_answer_cites_its_service_and_matches_the_facts(catalog):
    judge = Judge(catalog)
    url = catalog.declarations["bygglov"].source_url
    reply = f"Beslut inom högst 8 veckor. Källa: {url}"
    ok, reasons, invented = judge.judge(case(must=[r"(8|åtta) veckor"]), reply)
    assert ok and reasons == [] and invented == []


def test_a_missing_fact_a_forbidden_fact_and_a_missing_citation_each_fail(catalog):
    judge = Judge(catalog)
    ok, reasons, _ = judge.judge(case(must=["8 veckor"], must_not=["4 veckor"]), "4 veckor")
    assert not ok
    assert reasons == ["missing /8 veckor/", "forbidden /4 veckor/", "does not cite bygglov"]


def test_a_time_the_catalog_does_not_state_counts_as_invented(catalog):
    judge = Judge(catalog)
    url = catalog.declarations["bygglov"].source_url
    _, _, invented = judge.judge(case(), f"Du får svar inom 77 dagar. Källa: {url}")
    assert invented == ["77 dagar"]


def test_a_declaration_presented_for_another_authoritys_question_fails(catalog):
    judge = Judge(catalog)
    url = catalog.declarations["snorojning"].source_url
    oos = case(kind="out_of_scope", service=None, question="hur förnyar jag passet?")
    ok, reasons, invented = judge.judge(oos, f"Plogning … Källa: {url}")
    assert not ok and reasons[0].startswith("presented a declaration")
    assert invented
    assert judge.judge(oos, "Det sköter Polisen.")[0]


def test_every_split_loads_and_every_regex_compiles():
    import re

    for split in SPLITS:
        for item in load_cases(split):
            for pattern in item.must + item.must_not:
                re.compile(pattern)
    assert len(load_cases("blind")) >= 300
    assert len(load_cases("out_of_scope")) >= 150
    assert (EVAL_DIR / "dev.yml").exists()


def verdict(event_id, text, intent, service=None, predicted=None) -> Verdict:
    return Verdict(
        event_id,
        "s1",
        text,
        predicted or intent,
        0.9,
        "confirmed",
        intent,
        service,
        "kim",
        float(event_id),
    )


def test_reviewed_examples_become_answer_level_cases_with_their_context():
    verdicts = [
        verdict(1, "hur lång tid tar bygglov?", "ask_promises", "bygglov"),
        verdict(2, "och om ni inte håller det?", "ask_not_kept", "bygglov", "goodbye"),
        verdict(3, "hur förnyar jag passet", "out_of_scope"),
        verdict(4, "tack så mycket", "thank"),
    ]
    export = eval_yaml(verdicts, ["bygglov"], lambda v: ["hur lång tid tar bygglov?"], "kim")
    cases = yaml.safe_load(export.text)["cases"]
    assert [c["id"] for c in cases] == ["R1", "R2", "R3"]  # small talk left out
    assert cases[0]["history"] == [] and cases[0]["service"] == "bygglov"
    assert cases[1]["history"] == ["hur lång tid tar bygglov?"]  # a follow-up keeps context
    assert cases[1]["difficulty"] == "hard"  # the model had it wrong
    assert cases[2]["kind"] == "out_of_scope" and cases[2]["service"] is None
    assert export.examples == 3 and export.skipped_invalid == 1


def test_the_session_opening_disclosure_is_not_judged_as_part_of_the_answer():
    from bench.answer_eval import reply_text
    from bot.core.texts import domain_response_text
    from bot.names import UTTER_AI_DISCLOSURE

    disclosure = domain_response_text(UTTER_AI_DISCLOSURE)
    replies = [
        {"text": disclosure},
        {"text": "Bygglov tar högst 10 veckor.", "buttons": [{"title": "Bygglov"}]},
    ]
    assert reply_text(replies) == "Bygglov tar högst 10 veckor.\n[Bygglov]"


def test_the_english_split_is_blind_and_counts_replies_in_english():
    from bench.answer_eval import OPEN_SPLITS, Outcome, summarise

    assert "english" in SPLITS and "english" not in OPEN_SPLITS
    english = "Times and promises for building permit (bygglov): within 8 weeks."
    swedish = "Tider och löften för bygglov: beslut inom högst 8 veckor."
    note = "This part is only available in Swedish, so here it is in Swedish:\n" + swedish
    outcomes = [
        Outcome(case(split="english"), reply, True, [], [], 0.1)
        for reply in (english, swedish, note)
    ]
    assert summarise("english", outcomes).in_english == 1
    assert summarise("dev", outcomes).in_english is None

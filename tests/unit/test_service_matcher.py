"""The service matcher finds services as citizens write them."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
import yaml

from bot.core.language import edit_distance, tokens
from bot.core.matcher import (
    KNOWN,
    UNKNOWN,
    ServiceMatch,
    ServiceMatcher,
    _short_in_phrase,
    _token_score,
)
from bot.paths import PROJECT_ROOT


@pytest.fixture(scope="module")
def matcher(catalog):
    return ServiceMatcher(catalog)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hur lång tid tar bygglov?", {"bygglov"}),
        ("hur lang tid tar bygglovet", {"bygglov"}),
        ("när får jag svar på min bygglovsansökan", {"bygglov"}),
        ("BYGGLOV", {"bygglov"}),
        ("bygglv tid?", {"bygglov"}),
        ("när kommer snöröjningen", {"snorojning"}),
        ("nar plogas var gata", {"snorojning"}),
        ("plogbilen har inte varit här", {"snorojning"}),
        ("snörjningen är dålig", {"snorojning"}),
        ("soporna har inte hämtats", {"avfall_sophamtning"}),
        ("pengar från soc", {"forsorjningsstod"}),
        ("ansöka om försörjningsstöd", {"forsorjningsstod"}),
        ("forsorjningsstod beslut", {"forsorjningsstod"}),
        ("förskoleplats till min son", {"forskoleplats"}),
        ("skolskjutsen kom inte", {"skolskjuts"}),
        ("fardtjanst ansokan", {"fardtjanst"}),
        ("how long does a building permit take", {"bygglov"}),
        ("bygglov och nybyggnadskarta", {"bygglov", "nybyggnadskarta"}),
    ],
)
def test_finds_the_service(matcher, text, expected):
    found = {m.value for m in matcher.find(text) if m.entity == KNOWN}
    assert found == expected


@pytest.mark.parametrize(
    "text",
    [
        "va händer om ni inte håller det?",
        "hej hur mår du",
        "vad är en serviceförklaring",
        "jag vill prata med en människa",
        "hur lång tid tar det?",
        "tack så mycket",
    ],
)
def test_finds_nothing_where_no_service_is_named(matcher, text):
    assert [m for m in matcher.find(text) if m.entity == KNOWN] == []


def test_services_without_declaration_are_recognised_as_such(matcher):
    matches = matcher.find("vad lovar ni om simhallen?")
    assert [m.entity for m in matches] == [UNKNOWN]


def test_offsets_point_at_the_words(matcher):
    text = "Hur lång tid tar bygglovsansökan?"
    (match,) = matcher.find(text)
    assert text[match.start : match.end] == "bygglovsansökan"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vad kostar min va-avgift", "vatten_avlopp"),
        ("VA och avlopp", "vatten_avlopp"),
        ("hur funkar snöplogningen", "snorojning"),
        ("ansöka om bygg lov", "bygglov"),
    ],
)
def test_abbreviations_compounds_and_split_words(matcher, text, expected):
    assert expected in {m.value for m in matcher.find(text) if m.entity == KNOWN}


# --- the indexed search finds exactly what trying every phrase everywhere finds -------------


def every_phrase_everywhere(matcher: ServiceMatcher, text: str) -> list[ServiceMatch]:
    """The matcher's rules applied the slow, obvious way: every phrase at every position,
    candidates kept in phrase order, then the best non-overlapping ones."""
    words = tokens(text)
    marked = [text[s:e].isupper() or text[e : e + 1] == "-" for _, s, e in words]
    joined = [
        (a[0] + b[0], a[1], b[2])
        for a, b in zip(words, words[1:], strict=False)
        if len(a[0]) >= 3 and len(b[0]) >= 3
    ]
    score_of = lru_cache(maxsize=None)(_token_score)
    candidates = []
    for phrase, entity, value in matcher._phrases:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            window = words[i : i + n]
            # A one- or two-letter word counts only inside a longer phrase ("i Luleå").
            scores = [
                score_of(w, m, p) or (n > 1 and _short_in_phrase(w, p))
                for (w, _, _), m, p in zip(window, marked[i : i + n], phrase, strict=True)
            ]
            if all(scores):
                start, end = window[0][1], window[-1][2]
                match = ServiceMatch(entity, value, start, end, text[start:end], sum(scores))
                candidates.append((sum(scores), n, match))
        if n == 1:
            for word, start, end in joined:
                score = score_of(word, False, phrase[0])
                if score >= 2:
                    match = ServiceMatch(entity, value, start, end, text[start:end], score)
                    candidates.append((score, 1, match))
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)  # stable: phrase order on ties
    chosen: list[ServiceMatch] = []
    for _, _, match in candidates:
        if not any(match.start < c.end and c.start < match.end for c in chosen):
            chosen.append(match)
    chosen.sort(key=lambda m: m.start)
    seen, result = set(), []
    for match in chosen:
        if (match.entity, match.value) not in seen:
            seen.add((match.entity, match.value))
            result.append(match)
    return result


def corpus() -> list[str]:
    """A spread of real messages: every 8th training example, the holdout's and the old dev
    set's every 4th, and every 4th dev eval question (long stories, follow-ups)."""
    texts: list[str] = []
    sources = [(p, 8) for p in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml"))] + [
        (PROJECT_ROOT / "tests" / "data" / "nlu_holdout.yml", 4),
        (PROJECT_ROOT / "tests" / "data" / "nlu_dev.yml", 4),
    ]
    for path, every in sources:
        lines = []
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line)
                lines.append(text.lstrip("- ").strip())
        texts.extend(lines[::every])
    dev = yaml.safe_load((PROJECT_ROOT / "tests/data/eval/dev.yml").read_text(encoding="utf-8"))
    for case in dev["cases"][::4]:
        texts.extend([*case.get("history", []), case["question"]])
    return [t for t in texts if t]


def test_the_indexed_search_finds_what_trying_every_phrase_finds(matcher):
    texts = corpus()
    assert len(texts) > 400
    differences = [
        text
        for text in texts + [t.upper() for t in texts[:50]] + ["bygg lov", "snö röjning"]
        if list(matcher.find(text)) != every_phrase_everywhere(matcher, text)
    ]
    assert differences == []


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("snorojning", "snorojning", 2, 0),
        ("snorojnig", "snorojning", 2, 1),  # a letter left out
        ("snoorjning", "snorojning", 2, 1),  # two letters swapped: one edit
        ("bygglv", "bygglov", 1, 1),
        ("plog", "bygglov", 2, 3),  # above the limit: limit + 1
        ("", "abc", 1, 2),
    ],
)
def test_edit_distance_counts_a_swap_as_one_and_stops_above_the_limit(a, b, limit, expected):
    assert edit_distance(a, b, limit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vad kostar serveringstillstånd i Luleå?", "i Luleå"),
        ("skolskjuts i umea?", "i umea"),
        ("hur lång tid tar bygglov hos Piteå", "hos Piteå"),
    ],
)
def test_a_short_word_counts_inside_a_longer_phrase(matcher, text, expected):
    found = [m for m in matcher.find(text) if m.value == "annan_kommun"]
    assert [m.text for m in found] == [expected]


@pytest.mark.parametrize("text", ["i", "bo i stan", "hur gör jag i bygglov", "på"])
def test_a_short_word_alone_matches_nothing_by_itself(matcher, text):
    assert all(len(m.text) > 2 for m in matcher.find(text))

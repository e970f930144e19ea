"""The service matcher finds services as citizens write them."""

from __future__ import annotations

import pytest

from bot.core.matcher import KNOWN, UNKNOWN, ServiceMatcher


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

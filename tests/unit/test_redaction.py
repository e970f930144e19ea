"""Masking personal data (bot/core/redaction.py): tables of what is and is not masked, and
properties over generated personnummer, samordningsnummer, phone numbers and e-mails."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.privacy import (
    AREA_CODES,
    PNR_FORMATS,
    birth_range,
    format_personnummer,
    fuzz_function,
    leaked,
    random_email,
    random_harmless,
    random_phone,
)
from bot.core.redaction import (
    EPOST,
    PERSONNUMMER,
    TELEFON,
    Redaction,
    is_personnummer,
    redact,
    redact_json,
)

P, T, E = "[personnummer]", "[telefon]", "[e-post]"


@pytest.mark.parametrize(
    "text, masked, kinds",
    [
        # personnummer, every written form (811218-9876 has a valid check digit)
        ("811218-9876", P, (PERSONNUMMER,)),
        ("8112189876", P, (PERSONNUMMER,)),
        ("811218 9876", P, (PERSONNUMMER,)),
        ("811218+9876", P, (PERSONNUMMER,)),
        ("19811218-9876", P, (PERSONNUMMER,)),
        ("198112189876", P, (PERSONNUMMER,)),
        ("19811218 9876", P, (PERSONNUMMER,)),
        ("811218\u20139876", P, (PERSONNUMMER,)),  # en dash from a word processor
        ("811218\u00a09876", P, (PERSONNUMMER,)),  # no-break space
        # samordningsnummer: day + 60
        ("811278-9873", P, (PERSONNUMMER,)),
        ("19811278-9873", P, (PERSONNUMMER,)),
        (
            "Mitt personnummer är 811218-9876, hur lång tid tar bygglov?",
            f"Mitt personnummer är {P}, hur lång tid tar bygglov?",
            (PERSONNUMMER,),
        ),
        ("pnr:198112189876.", f"pnr:{P}.", (PERSONNUMMER,)),
        # phone numbers, mobile and landline, national and international
        ("070-123 45 67", T, (TELEFON,)),
        ("0701234567", T, (TELEFON,)),
        ("070 123 45 67", T, (TELEFON,)),
        ("073-1234567", T, (TELEFON,)),
        ("0910-73 50 00", T, (TELEFON,)),
        ("0910-735000", T, (TELEFON,)),
        ("0910 12345", T, (TELEFON,)),
        ("(0910) 73 50 00", T, (TELEFON,)),
        ("08-12 34 56", T, (TELEFON,)),
        ("08-123 456 78", T, (TELEFON,)),
        ("031-12 34 56", T, (TELEFON,)),
        ("+46 70 123 45 67", T, (TELEFON,)),
        ("+46701234567", T, (TELEFON,)),
        ("+46 (0)70-123 45 67", T, (TELEFON,)),
        ("+46 910 73 50 00", T, (TELEFON,)),
        ("0046 70 123 45 67", T, (TELEFON,)),
        ("ring mig på 070-123 45 67 efter 17", f"ring mig på {T} efter 17", (TELEFON,)),
        ("tel:0701234567", f"tel:{T}", (TELEFON,)),
        # e-mail
        ("anna.svensson@exempel.se", E, (EPOST,)),
        ("åsa.öberg@företag.se", E, (EPOST,)),
        ("skriv till lars+kommun@mail.example.org.", f"skriv till {E}.", (EPOST,)),
        # several kinds in one message
        (
            "811218-9876 / 070-123 45 67 / a@b.se",
            f"{P} / {T} / {E}",
            (PERSONNUMMER, TELEFON, EPOST),
        ),
    ],
)
def test_personal_data_is_masked(text, masked, kinds):
    result = redact(text)
    assert result.text == masked
    assert result.kinds == kinds
    assert result.count == len(kinds)


@pytest.mark.parametrize(
    "text",
    [
        "2023-12-01",  # date
        "20231201",  # date, no dashes
        "01-02-2023",  # date, day first
        "1/12 2023",
        "2023-1234",  # case number
        "KS 2023/0456",
        "dnr BN 2022-000123",
        "811218-9877",  # wrong check digit
        "19811218-9877",
        "8112189877",
        "811232-9876",  # no 32nd of December
        "051201-1234",  # personnummer shape, wrong check digit, leading 0
        "556016-0680",  # organisationsnummer (month 60 is no date)
        "ordernummer 123456789012",
        "år 2024",
        "10 314 kr",
        "1 500 kronor",
        "kl 07:30",
        "kl. 14.15",
        "07.30-17.00",
        "postnummer 931 85",
        "3 veckor",
        "inom 7 arbetsdagar eller 8 veckor",
        "ring 112 eller 1177",
        "0910",  # an area code alone
        "2019-2023",
        "version 3.6.21",
        "kundtjanst@skelleftea",  # no top-level domain
        "",
    ],
)
def test_harmless_text_stays_as_typed(text):
    assert redact(text) == Redaction(text)


def test_redact_json_masks_every_string_but_machine_ids():
    value = {
        "text": "mitt nr 070-123 45 67",
        "entities": [{"value": "a@b.se"}],
        "message_id": "a8112189876b",
        "n": 8112189876,
        "nested": ("811218-9876",),
    }
    masked, summary = redact_json(value)
    assert masked == {
        "text": f"mitt nr {T}",
        "entities": [{"value": E}],
        "message_id": "a8112189876b",
        "n": 8112189876,
        "nested": [P],
    }
    assert summary.kinds == (PERSONNUMMER, TELEFON, EPOST) and summary.count == 3
    assert value["text"] == "mitt nr 070-123 45 67"  # the input is not changed


# --- properties -----------------------------------------------------------------------

TODAY = date.today()
SENTENCES = st.sampled_from(
    [
        "{}",
        "Mitt personnummer är {}.",
        "hej {} här, när plogas Storgatan?",
        "Ring mig på {} tack",
        "({})",
        "nr:{}, bygglov 2023-1234",
        "{} {}",
        "Jag, Anna Marklund {}, undrar om färdtjänst",
        "mejla {}!",
    ]
)


@st.composite
def personnummer(
    draw: st.DrawFn, valid: bool = True, formats: tuple[str, ...] = PNR_FORMATS
) -> str:
    fmt = draw(st.sampled_from(formats))
    first, last = birth_range(fmt, TODAY)
    birth = draw(st.dates(min_value=first, max_value=last))
    return format_personnummer(
        birth, draw(st.integers(1, 999)), fmt, coordination=draw(st.booleans()), valid=valid
    )


def random_strategy(generator) -> st.SearchStrategy[str]:
    return st.randoms(use_true_random=False).map(lambda r: generator(random.Random(r.random())))


def embed(sentence: str, item: str) -> str:
    return sentence.format(*([item] * sentence.count("{}")))


@settings(max_examples=400)
@given(personnummer(), SENTENCES)
def test_every_valid_personnummer_and_samordningsnummer_is_masked(number, sentence):
    assert is_personnummer(number)
    result = redact(embed(sentence, number))
    assert PERSONNUMMER in result.kinds
    assert not leaked(PERSONNUMMER, number, result.text)


@settings(max_examples=300)
@given(random_strategy(random_phone), SENTENCES)
def test_every_phone_number_is_masked(phone, sentence):
    result = redact(embed(sentence, phone))
    # 0907276612 is a phone number and also a valid personnummer: masked either way.
    assert result.kinds in ((TELEFON,), (PERSONNUMMER,), (PERSONNUMMER, TELEFON)), phone
    assert not leaked(TELEFON, phone, result.text)


@settings(max_examples=200)
@given(random_strategy(random_email), SENTENCES)
def test_every_email_is_masked(email, sentence):
    result = redact(embed(sentence, email))
    assert result.kinds == (EPOST,)
    assert email not in result.text and "@" not in result.text


@settings(max_examples=300)
@given(
    personnummer(valid=False, formats=("12-", "12 ", "12", "10-", "10 ", "10+")),
    SENTENCES.filter(lambda s: "{} {}" not in s),
)
def test_wrong_check_digit_is_left_alone(number, sentence):
    # (Two such numbers side by side, "000101 0109 000101 0109", can also be read as a
    # phone number in the middle, "0109 000101", and are masked: the safe side.)
    text = embed(sentence, number)
    assert redact(text).text == text


@settings(max_examples=200)
@given(personnummer(valid=False, formats=("10",)))
def test_ten_bare_digits_with_wrong_check_digit_are_kept_unless_phone_shaped(number):
    # "0512011234" is also a phone number (area code 051); anything else stays.
    result = redact(number)
    assert result.text == number or (number.startswith("0") and result.kinds == (TELEFON,))


@settings(max_examples=300)
@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.sampled_from(
        ["{:%Y-%m-%d}", "{:%Y%m%d}", "{:%d-%m-%Y}", "{:%d/%m %Y}", "{:%Y-%m-%d} kl {:%H:%M}"]
    ),
)
def test_dates_stay_as_typed(day, pattern):
    text = f"Beslut {pattern.format(day, day)}, diarienummer {day.year}-1234"
    assert redact(text).text == text


@settings(max_examples=300)
@given(random_strategy(random_harmless))
def test_harmless_numbers_stay_as_typed(number):
    text = f"Jag fick {number} i beslutet"
    assert redact(text).text == text


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_masking_any_text_is_safe_and_idempotent(text):
    once = redact(text)
    assert redact(once.text).text == once.text
    assert once.count >= len(once.kinds)


@pytest.mark.parametrize("area", AREA_CODES)
def test_every_area_code_masks(area):
    assert redact(f"nummer {area}-12 34 56").text == f"nummer {T}"


def test_samordningsnummer_day_is_a_real_day_plus_60():
    assert is_personnummer(format_personnummer(date(2000, 2, 29), 123, "12-", True))
    assert not is_personnummer("20000290-1230")  # no 30th of February + 60


def test_fuzz_sample_has_no_leaks_and_no_false_masks():
    tally = fuzz_function(3000, seed=7)
    assert sum(tally.leaks.values()) == 0, tally.report("fuzz")
    assert tally.harmless_changed == 0, tally.report("fuzz")


def test_birth_ranges_match_the_separator():
    first, last = birth_range("10+", TODAY)
    assert last < TODAY.replace(year=TODAY.year - 99) and first.year >= TODAY.year - 120
    assert birth_range("10-", TODAY)[0] > TODAY.replace(year=TODAY.year - 100, day=1) - timedelta(
        days=31
    )

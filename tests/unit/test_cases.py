"""Reports of broken promises (bot/core/cases.py): what is refused, what is masked, what is
kept, and the case numbers."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bot.core import cases
from bot.core.cases import CaseError, Contact, check_report

REPLY = Contact(name="Anna Andersson", email="anna@example.se", phone="")


def _report(catalog, **changes):
    values = {
        "service_id": "bygglov",
        "promise_id": "aterkoppling",
        "description": "Ingen har hört av sig på tre veckor.",
        "wants_reply": False,
        "contact": None,
    }
    values.update(changes)
    return check_report(catalog, **values)


def test_an_anonymous_report_is_accepted_and_keeps_no_contact_details_even_if_sent(catalog):
    report = _report(catalog, wants_reply=False, contact=REPLY)
    assert (report.service_id, report.promise_id) == ("bygglov", "aterkoppling")
    assert report.description == "Ingen har hört av sig på tre veckor."
    assert report.contact.is_empty
    assert report.wants_reply is False


def test_a_report_that_wants_a_reply_keeps_the_contact_details_unmasked(catalog):
    report = _report(catalog, wants_reply=True, contact=REPLY)
    assert report.contact == REPLY


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"description": ""}, cases.EMPTY_DESCRIPTION),
        ({"description": "   \n\t "}, cases.EMPTY_DESCRIPTION),
        ({"description": None}, cases.EMPTY_DESCRIPTION),
        ({"description": "x" * 10_000}, cases.LONG_DESCRIPTION),
        ({"service_id": "finns_inte"}, cases.UNKNOWN_SERVICE),
        ({"service_id": None}, cases.UNKNOWN_SERVICE),
        ({"promise_id": "finns_inte"}, cases.UNKNOWN_PROMISE),
        # A promise of another service is not a promise of this one.
        ({"promise_id": "start_ovriga_gc"}, cases.UNKNOWN_PROMISE),
        ({"wants_reply": True, "contact": None}, cases.CONTACT_REQUIRED),
        ({"wants_reply": True, "contact": Contact(name="Anna")}, cases.CONTACT_REQUIRED),
        ({"wants_reply": True, "contact": Contact(email="anna")}, cases.BAD_EMAIL),
        ({"wants_reply": True, "contact": Contact(email="a@b.se<script>")}, cases.BAD_EMAIL),
        ({"wants_reply": True, "contact": Contact(phone="ring mig")}, cases.BAD_PHONE),
        (
            {"wants_reply": True, "contact": Contact(name="A" * 201, phone="070-123 45 67")},
            cases.LONG_NAME,
        ),
    ],
)
def test_bad_reports_are_refused_with_a_code_the_citizen_can_act_on(catalog, changes, code):
    with pytest.raises(CaseError) as refused:
        _report(catalog, **changes)
    assert refused.value.code == code


def test_the_refusal_never_repeats_what_the_citizen_wrote(catalog):
    with pytest.raises(CaseError) as refused:
        _report(catalog, description="Mitt personnummer 19121212-1212 " + "x" * 3000)
    assert "1212" not in str(refused.value)


def test_a_description_at_the_limit_is_accepted_whole(catalog):
    text = "a" * cases.MAX_DESCRIPTION_CHARS
    assert _report(catalog, description=text).description == text


def test_personal_data_in_the_description_is_masked_and_named(catalog):
    report = _report(
        catalog, description="Jag heter Anna, 19121212-1212, ring 070-123 45 67 eller anna@x.se"
    )
    assert "1212" not in report.description
    assert "070" not in report.description
    assert "anna@x.se" not in report.description
    assert set(report.masked_kinds) == {"personnummer", "telefon", "e-post"}


def test_html_is_kept_as_text_and_control_characters_removed(catalog):
    report = _report(catalog, description="<b>Ingen</b> svarade\x00\x07 <script>x</script>")
    assert report.description == "<b>Ingen</b> svarade <script>x</script>"


def test_phone_only_is_enough_for_a_reply(catalog):
    report = _report(catalog, wants_reply=True, contact=Contact(phone=" +46 70-123 45 67 "))
    assert report.contact == Contact(phone="+46 70-123 45 67")


@pytest.mark.parametrize(
    ("year", "sequence", "number"),
    [(2026, 42, "SF-2026-00042"), (2027, 1, "SF-2027-00001"), (2026, 123456, "SF-2026-123456")],
)
def test_case_numbers_read_back(year, sequence, number):
    assert cases.case_number(year, sequence) == number
    assert cases.parse_case_number(number) == (year, sequence)
    assert cases.parse_case_number(number.lower()) == (year, sequence)


@pytest.mark.parametrize("text", ["", "SF-26-1", "XX-2026-00001", "SF-2026-0001", "SF-2026-00001x"])
def test_other_strings_are_not_case_numbers(text):
    assert cases.parse_case_number(text) is None


def test_numbers_start_at_one():
    with pytest.raises(ValueError):
        cases.case_number(2026, 0)


def test_a_case_reported_on_new_years_eve_night_in_sweden_belongs_to_the_new_year():
    # 23:30 UTC on 31 December is 00:30 on 1 January in Sweden.
    assert cases.case_year(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc)) == 2027


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("ny", "vidarebefordrad", True),
        ("ny", "avslutad", True),
        ("vidarebefordrad", "avslutad", True),
        ("vidarebefordrad", "ny", False),
        ("avslutad", "ny", False),
        ("avslutad", "vidarebefordrad", False),
        ("ny", "ny", False),
        ("ny", "borttagen", False),
    ],
)
def test_state_changes(current, new, allowed):
    if allowed:
        cases.check_state_change(current, new)
    else:
        with pytest.raises(CaseError) as refused:
            cases.check_state_change(current, new)
        assert refused.value.code == cases.BAD_STATE

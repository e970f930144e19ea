"""The case tables (bot/store/cases.py) on SQLite and PostgreSQL: numbering per year that
holds under concurrent reports, contact details only in the case row, state changes and
notes, forwarding outcomes, purging closed cases (except those on hold, each run logged),
and a database that does not answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from bot.core.cases import CaseError, Contact, check_report
from bot.store import cases as store
from bot.store import holds
from bot.store.conversations import engine_for
from bot.store.retention import purge_cases, purge_cases_now, read_case_purge_log

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)
DECISION = "KS 2026-123 § 45"


@pytest.fixture(params=["sqlite", "postgresql"])
def case_db(request, tmp_path) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    store.create_case_tables(url)
    return url


def _report(catalog, description="Ingen hörde av sig.", **changes):
    values = {"service_id": "bygglov", "promise_id": "aterkoppling", "wants_reply": False}
    values.update(changes)
    return check_report(catalog, description=description, **values)


def test_reports_are_numbered_from_one_each_year(case_db, catalog):
    first = store.register_case(case_db, _report(catalog), now=NOW)
    second = store.register_case(case_db, _report(catalog), now=NOW + timedelta(minutes=1))
    next_year = store.register_case(
        case_db, _report(catalog), now=datetime(2027, 1, 2, tzinfo=timezone.utc)
    )
    assert [first.number, second.number, next_year.number] == [
        "SF-2026-00001",
        "SF-2026-00002",
        "SF-2027-00001",
    ]
    assert first.state == "ny" and first.forward_status == store.NOT_FORWARDED


def test_several_reports_from_one_conversation_each_get_a_number(case_db, catalog):
    numbers = {
        store.register_case(case_db, _report(catalog, sender_id="conv-1"), now=NOW).number
        for _ in range(3)
    }
    assert len(numbers) == 3
    assert store.count_cases(case_db) == 3


def test_concurrent_reports_never_share_a_number(case_db, catalog):
    report = _report(catalog)
    with ThreadPoolExecutor(max_workers=6) as pool:
        stored = list(pool.map(lambda _: store.register_case(case_db, report), range(24)))
    numbers = [case.number for case in stored]
    assert len(set(numbers)) == 24
    year = stored[0].created_at.year
    assert sorted(numbers) == [f"SF-{year}-{n:05d}" for n in range(1, 25)]


def test_numbers_are_not_reused_after_old_cases_are_purged(case_db, catalog):
    old = store.register_case(case_db, _report(catalog), now=NOW)
    store.change_state(case_db, old.number, "avslutad", "rita", now=NOW)
    assert store.purge_closed_cases(case_db, days=30, now=NOW + timedelta(days=31)).deleted == 1
    newer = store.register_case(case_db, _report(catalog), now=NOW + timedelta(days=31))
    assert newer.number == "SF-2026-00002"


def test_contact_details_are_kept_only_when_a_reply_is_wanted(case_db, catalog):
    contact = Contact("Anna Andersson", "anna@example.se", "070-123 45 67")
    anonymous = store.register_case(case_db, _report(catalog, contact=contact), now=NOW)
    replied = store.register_case(
        case_db, _report(catalog, wants_reply=True, contact=contact), now=NOW
    )
    assert store.find_case(case_db, anonymous.number).contact.is_empty
    assert store.find_case(case_db, replied.number).contact == contact


def test_the_description_is_stored_masked_and_html_as_text(case_db, catalog):
    case = store.register_case(
        case_db, _report(catalog, description="<i>Ring</i> 070-123 45 67"), now=NOW
    )
    found = store.find_case(case_db, case.number)
    assert found.description == "<i>Ring</i> [telefon]"
    assert found.masked_kinds == ("telefon",)


def test_state_changes_and_notes_are_recorded_in_order(case_db, catalog):
    case = store.register_case(case_db, _report(catalog), now=NOW)
    store.add_note(case_db, case.number, "rita", "Ringde bygglov.", now=NOW + timedelta(hours=1))
    store.change_state(
        case_db, case.number, "vidarebefordrad", "rita", now=NOW + timedelta(hours=2)
    )
    store.change_state(
        case_db, case.number, "avslutad", "rita", "Klart.", now=NOW + timedelta(hours=3)
    )
    with pytest.raises(CaseError):
        store.change_state(case_db, case.number, "ny", "rita")
    found = store.find_case(case_db, case.number)
    assert found.state == "avslutad"
    assert found.closed_at == NOW + timedelta(hours=3)
    assert [(n.text, n.state) for n in store.notes(case_db, case.number)] == [
        ("Ringde bygglov.", None),
        ("ny → vidarebefordrad", "vidarebefordrad"),
        ("Klart.", "avslutad"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "x" * (store.MAX_NOTE_CHARS + 1)])
def test_empty_or_overlong_notes_are_refused(case_db, catalog, text):
    case = store.register_case(case_db, _report(catalog), now=NOW)
    with pytest.raises(ValueError):
        store.add_note(case_db, case.number, "rita", text)
    assert store.notes(case_db, case.number) == []


def test_an_unknown_case_is_reported_as_such(case_db):
    assert store.find_case(case_db, "SF-2026-99999") is None
    with pytest.raises(store.CaseNotFound):
        store.add_note(case_db, "SF-2026-99999", "rita", "x")


def test_a_failed_forwarding_keeps_the_case_marked_not_forwarded_and_a_retry_succeeds(
    case_db, catalog
):
    case = store.register_case(case_db, _report(catalog), now=NOW)
    store.record_forwarding(case_db, case.number, None, "SMTP: connection refused", now=NOW)
    failed = store.find_case(case_db, case.number)
    assert (failed.state, failed.forward_status, failed.forward_attempts) == (
        "ny",
        store.NOT_FORWARDED,
        1,
    )
    assert failed.forward_error == "SMTP: connection refused"
    assert [
        c.number for c in store.list_cases(case_db, store.CaseFilter(not_forwarded_only=True))
    ] == [case.number]

    store.record_forwarding(case_db, case.number, "bmn@example.se", None, now=NOW)
    sent = store.find_case(case_db, case.number)
    assert (sent.state, sent.forward_status, sent.forward_attempts) == (
        "vidarebefordrad",
        store.SENT,
        2,
    )
    assert sent.forward_error is None and sent.forwarded_to == "bmn@example.se"


def test_filters_by_service_promise_state_and_date(case_db, catalog):
    a = store.register_case(case_db, _report(catalog), now=NOW)
    b = store.register_case(
        case_db, _report(catalog, promise_id="beslut_enkelt_arende"), now=NOW + timedelta(days=3)
    )
    c = store.register_case(
        case_db, _report(catalog, service_id="snorojning", promise_id="start_ovriga_gc"), now=NOW
    )
    store.change_state(case_db, c.number, "avslutad", "rita")

    def numbers(**chosen):
        return {x.number for x in store.list_cases(case_db, store.CaseFilter(**chosen))}

    assert numbers() == {a.number, b.number, c.number}
    assert numbers(service_id="bygglov") == {a.number, b.number}
    assert numbers(promise_id="beslut_enkelt_arende") == {b.number}
    assert numbers(state="avslutad") == {c.number}
    assert numbers(date_from=date(2026, 5, 5)) == {b.number}
    assert numbers(date_to=date(2026, 5, 4)) == {a.number, c.number}
    assert store.list_cases(case_db)[0].number == b.number  # newest first


def test_only_cases_closed_long_enough_ago_are_purged_with_their_notes(case_db, catalog):
    open_case = store.register_case(case_db, _report(catalog), now=NOW)
    closed = store.register_case(
        case_db, _report(catalog, wants_reply=True, contact=Contact(email="a@b.se")), now=NOW
    )
    store.add_note(case_db, closed.number, "rita", "Svarat.", now=NOW)
    store.change_state(case_db, closed.number, "avslutad", "rita", now=NOW)
    assert store.purge_closed_cases(case_db, days=30, now=NOW + timedelta(days=29)).deleted == 0
    assert store.purge_closed_cases(case_db, days=30, now=NOW + timedelta(days=31)).deleted == 1
    assert store.find_case(case_db, closed.number) is None
    assert store.find_case(case_db, open_case.number) is not None
    with engine_for(case_db).connect() as connection:
        assert (
            connection.execute(
                sa.select(sa.func.count()).select_from(store.case_notes)
            ).scalar_one()
            == 0
        )
        emails = connection.execute(sa.select(store.cases.c.contact_email)).scalars().all()
    assert "a@b.se" not in emails


def test_a_failure_after_the_number_was_taken_stores_nothing(case_db, catalog):
    store.case_notes.drop(engine_for(case_db))
    store.cases.drop(engine_for(case_db))
    with pytest.raises(store.CaseStoreUnavailable):
        store.register_case(case_db, _report(catalog), now=NOW)
    with engine_for(case_db).connect() as connection:
        counters = connection.execute(sa.select(store.case_numbers)).all()
    assert counters == []  # the number taken was rolled back with the failed insert


def test_a_database_that_does_not_answer_is_reported_and_nothing_is_logged_of_the_report(
    catalog, caplog
):
    down = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
    report = _report(
        catalog,
        description="Ring 070-123 45 67",
        wants_reply=True,
        contact=Contact(email="anna@example.se"),
    )
    with pytest.raises(store.CaseStoreUnavailable):
        store.register_case(down, report)
    assert "anna@example.se" not in caplog.text
    assert "070" not in caplog.text


def test_contact_details_never_reach_the_log(case_db, catalog, caplog):
    caplog.set_level("DEBUG")
    contact = Contact("Anna Andersson", "anna@example.se", "070-123 45 67")
    case = store.register_case(case_db, _report(catalog, wants_reply=True, contact=contact))
    assert case.number in caplog.text
    for secret in ("Anna", "anna@example.se", "070-123"):
        assert secret not in caplog.text


def test_the_daily_purge_step_uses_case_retention_days_and_logs_each_run(case_db, catalog):
    long_ago = datetime.now(timezone.utc) - timedelta(days=400)
    old = store.register_case(case_db, _report(catalog), now=long_ago)
    store.change_state(case_db, old.number, "avslutad", "rita", now=long_ago)
    recent = store.register_case(case_db, _report(catalog), now=long_ago)
    store.change_state(case_db, recent.number, "avslutad", "rita")  # closed today
    assert purge_cases_now(case_db, "pytest", {"CASE_RETENTION_DAYS": "abc"}) is None
    done = purge_cases_now(case_db, "pytest", {"CASE_RETENTION_DAYS": "365"})
    assert done is not None and (done.cases, done.held, done.retention_days) == (1, 0, 365)
    assert store.find_case(case_db, old.number) is None
    assert store.find_case(case_db, recent.number) is not None
    assert read_case_purge_log(case_db) == [done]


def test_a_case_on_hold_is_kept_by_the_purge_which_logs_it_until_released(case_db, catalog, caplog):
    caplog.set_level("INFO")
    engine = engine_for(case_db)
    kept = store.register_case(case_db, _report(catalog), now=NOW)
    gone = store.register_case(case_db, _report(catalog), now=NOW)
    for case in (kept, gone):
        store.change_state(case_db, case.number, "avslutad", "rita", now=NOW)
    held = holds.hold_case(engine, kept.number, "  Ingår i ett klagomål,\n dnr 2026/12 ", "hanna")
    assert held.reason == "Ingår i ett klagomål, dnr 2026/12"
    assert holds.case_hold_of(engine, kept.number) == held
    assert holds.case_hold_of(engine, gone.number) is None

    later = NOW + timedelta(days=400)
    first = purge_cases(case_db, 365, "pytest", now=later, decision=DECISION)
    assert (first.cases, first.held, first.decision) == (1, 1, DECISION)
    assert store.find_case(case_db, kept.number) is not None
    assert store.find_case(case_db, gone.number) is None
    assert f"Kept on hold: {kept.number}" in caplog.text and DECISION in caplog.text
    assert read_case_purge_log(case_db) == [first]

    assert holds.release_case(engine, kept.number) is True
    assert holds.release_case(engine, kept.number) is False  # not on hold any more
    second = purge_cases(case_db, 365, "pytest", now=later, decision=DECISION)
    assert (second.cases, second.held) == (1, 0)
    assert store.find_case(case_db, kept.number) is None
    assert [r.cases for r in read_case_purge_log(case_db)] == [1, 1]


def test_a_hold_on_an_open_case_keeps_it_after_it_is_closed(case_db, catalog):
    engine = engine_for(case_db)
    case = store.register_case(case_db, _report(catalog), now=NOW)
    holds.hold_case(engine, case.number, "Begärd ut", "hanna")
    holds.hold_case(engine, case.number, "Begärd ut, dnr 2026/3", "adam")  # a new reason
    store.change_state(case_db, case.number, "avslutad", "hanna", now=NOW)
    purged = store.purge_closed_cases(case_db, days=30, now=NOW + timedelta(days=60))
    assert (purged.deleted, purged.held) == (0, (case.number,))
    assert holds.all_case_holds(engine)[case.number].held_by == "adam"


@pytest.mark.parametrize(
    ("reason", "code"), [(" \n ", "hold_reason_missing"), ("x" * 501, "hold_reason_too_long")]
)
def test_a_case_hold_needs_a_short_reason(case_db, reason, code):
    with pytest.raises(holds.HoldError) as refused:
        holds.hold_case(engine_for(case_db), "SF-2026-00001", reason, "hanna")
    assert refused.value.code == code
    assert holds.all_case_holds(engine_for(case_db)) == {}

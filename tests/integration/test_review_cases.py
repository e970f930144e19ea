"""Ärenden in /granska through `app.test_client`: the list and its filters, one case with
notes and state changes, holds (bevaras) that the case purge keeps, contact details only
for roles with case access, every change audited, the registrator's export (CSV
formula-safe, JSON), and forwarding by e-mail to a local SMTP server (aiosmtpd): sent,
or the server down (kept, marked, retried)."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from sanic import Sanic

from bot.core.cases import Contact, check_report
from bot.core.catalog import load_catalog
from bot.ops.stack import free_port
from bot.review import accounts, audit, forwarding
from bot.review.tables import engine_for
from bot.review.views.cases import email_body
from bot.store import cases as case_store
from bot.store import holds
from bot.store.retention import purge_cases
from bot.web import WebConfig, create_app
from tests.helpers.review import Client, add_staff

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
SECRET_EMAIL = "anna.andersson@example.se"


@pytest.fixture
def db_url(db_url, catalog) -> str:
    """tests/integration/conftest.py's (reviewer `rita`), with a case handler and three cases."""
    add_staff(db_url, "hanna", accounts.CASE_HANDLER)
    case_store.create_case_tables(db_url)
    reports = [
        ("bygglov", "aterkoppling", "Ingen hörde av sig <b>alls</b>.", True, NOW),
        (
            "bygglov",
            "beslut_enkelt_arende",
            '=HYPERLINK("http://x")',
            False,
            NOW + timedelta(days=10),
        ),
        ("snorojning", "start_ovriga_gc", "Inte plogat.", False, NOW + timedelta(days=40)),
    ]
    for service, promise, text, reply, when in reports:
        report = check_report(
            catalog, service, promise, text, reply, Contact("Anna Andersson", SECRET_EMAIL, "")
        )
        case_store.register_case(db_url, report, now=when)
    return db_url


@pytest.fixture
def app(db_url) -> Sanic:
    return create_app(WebConfig(tracker_db_url=db_url), features=("review",))


def client(app: Sanic, username: str) -> Client:
    browser = Client(app)
    assert browser.login(username).status == 303
    return browser


def numbers_in(page: str) -> list[str]:
    return sorted(set(re.findall(r"SF-2026-\d{5}", page)))


def test_staff_see_the_list_with_numbers_and_filters(app):
    rita = client(app, "rita")
    page = rita.get("/granska/arenden")
    assert page.status == 200
    assert numbers_in(page.text) == ["SF-2026-00001", "SF-2026-00002", "SF-2026-00003"]
    assert numbers_in(rita.get("/granska/arenden", params={"tjanst": "snorojning"}).text) == [
        "SF-2026-00003"
    ]
    only_promise = rita.get("/granska/arenden", params={"lofte": "beslut_enkelt_arende"})
    assert numbers_in(only_promise.text) == ["SF-2026-00002"]
    dated = rita.get("/granska/arenden", params={"fran": "2026-03-05", "till": "2026-03-20"})
    assert numbers_in(dated.text) == ["SF-2026-00002"]
    bad = rita.get("/granska/arenden", params={"fran": "inte-ett-datum", "status": "x"})
    assert bad.status == 200 and len(numbers_in(bad.text)) == 3


def test_a_reviewer_sees_a_case_but_not_its_contact_details_and_cannot_change_it(app):
    rita = client(app, "rita")
    page = rita.get("/granska/arenden/SF-2026-00001")
    assert page.status == 200
    assert SECRET_EMAIL not in page.text and "Anna Andersson" not in page.text
    assert "&lt;b&gt;alls&lt;/b&gt;" in page.text  # the citizen's HTML shown as text
    assert rita.post("/granska/arenden/SF-2026-00001/status", {"state": "avslutad"}).status == 403
    assert rita.post("/granska/arenden/SF-2026-00001/anteckning", {"text": "x"}).status == 403
    assert rita.get("/granska/arenden/export.csv").status == 403


def test_a_case_handler_sees_contact_details_adds_notes_and_moves_the_state(app, db_url):
    hanna = client(app, "hanna")
    page = hanna.get("/granska/arenden/SF-2026-00001")
    assert SECRET_EMAIL in page.text
    note = hanna.post("/granska/arenden/SF-2026-00001/anteckning", {"text": "Ringt <nämnden>."})
    assert note.status == 303
    moved = hanna.post(
        "/granska/arenden/SF-2026-00001/status", {"state": "vidarebefordrad", "note": ""}
    )
    assert moved.status == 303 and "meddelande=case_state" in moved.headers["location"]
    back = hanna.post("/granska/arenden/SF-2026-00001/status", {"state": "ny"})
    assert "fel=case_state" in back.headers["location"]
    page = hanna.get("/granska/arenden/SF-2026-00001")
    assert "Ringt &lt;nämnden&gt;." in page.text
    assert case_store.find_case(db_url, "SF-2026-00001").state == "vidarebefordrad"
    actions = [e.action for e in audit.entries(engine_for(db_url), 1, "hanna")[0]]
    assert {audit.OPEN_CASE, audit.CASE_NOTE, audit.CASE_STATE} <= set(actions)
    logged = json.dumps(
        [e.__dict__ for e in audit.entries(engine_for(db_url), 1, None)[0]], default=str
    )
    assert SECRET_EMAIL not in logged


def test_posts_without_the_csrf_token_are_refused(app, db_url):
    hanna = client(app, "hanna")
    refused = hanna.post("/granska/arenden/SF-2026-00001/status", {"state": "avslutad"}, csrf=False)
    assert refused.status == 403
    assert case_store.find_case(db_url, "SF-2026-00001").state == "ny"


def test_a_case_handler_holds_a_case_for_the_purge_and_releases_it(app, db_url):
    hanna = client(app, "hanna")
    number = "SF-2026-00003"
    empty = hanna.post(f"/granska/arenden/{number}/bevara", {"reason": "  "})
    assert "fel=case_hold_reason_missing" in empty.headers["location"]
    held = hanna.post(f"/granska/arenden/{number}/bevara", {"reason": "Klagomål <dnr 2026/9>"})
    assert held.status == 303 and "meddelande=case_held" in held.headers["location"]
    page = hanna.get(f"/granska/arenden/{number}").text
    assert "Bevaras: Klagomål &lt;dnr 2026/9&gt;" in page and "Häv bevarandet" in page
    listed = hanna.get("/granska/arenden").text
    row = next(r for r in listed.split("<tr>") if number in r)
    assert "(bevaras)" in row and listed.count("(bevaras)") == 1

    case_store.change_state(db_url, number, "avslutad", "hanna", now=NOW)
    kept = purge_cases(db_url, 30, "test", now=NOW + timedelta(days=400))
    assert (kept.cases, kept.held) == (0, 1)
    assert hanna.get(f"/granska/arenden/{number}").status == 200

    released = hanna.post(f"/granska/arenden/{number}/bevara/hav")
    assert "meddelande=case_released" in released.headers["location"]
    assert "Bevara ärendet" in hanna.get(f"/granska/arenden/{number}").text
    assert purge_cases(db_url, 30, "test", now=NOW + timedelta(days=400)).cases == 1
    assert hanna.get(f"/granska/arenden/{number}").status == 404
    add_staff(db_url, "adam", accounts.ADMIN)
    settings = client(app, "adam").get("/granska/admin/installningar").text
    log = settings.split("Senaste gallringar av ärenden", 1)[1]
    counts = re.findall(r'<td class="num">(\d+)</td><td class="num">(\d+)</td>', log)
    assert counts == [("1", "0"), ("0", "1")]  # (cases, kept on hold), newest first
    audited = [
        (e.action, e.target, e.detail)
        for e in audit.entries(engine_for(db_url), 1, "hanna")[0]
        if e.action in (audit.HOLD_CASE, audit.RELEASE_CASE_HOLD)
    ]
    assert sorted(audited) == [
        (
            audit.HOLD_CASE,
            number,
            json.dumps({"reason": "Klagomål <dnr 2026/9>"}, ensure_ascii=False),
        ),
        (audit.RELEASE_CASE_HOLD, number, None),
    ]


def test_holding_a_case_needs_a_session_case_access_and_the_csrf_token(app, db_url):
    number = "SF-2026-00001"
    anonymous = Client(app).post(f"/granska/arenden/{number}/bevara", {"reason": "x"}, csrf=False)
    assert anonymous.status in (302, 303) and "/granska/logga-in" in anonymous.headers["location"]
    rita = client(app, "rita")
    assert rita.post(f"/granska/arenden/{number}/bevara", {"reason": "x"}).status == 403
    assert "Bevara ärendet" not in rita.get(f"/granska/arenden/{number}").text
    hanna = client(app, "hanna")
    no_csrf = hanna.post(f"/granska/arenden/{number}/bevara", {"reason": "x"}, csrf=False)
    assert no_csrf.status == 403
    assert hanna.post("/granska/arenden/SF-2026-99999/bevara", {"reason": "x"}).status == 404
    assert hanna.post(f"/granska/arenden/{number}/bevara", {"reason": "Begärd ut"}).status == 303
    assert rita.post(f"/granska/arenden/{number}/bevara/hav").status == 403
    assert hanna.post(f"/granska/arenden/{number}/bevara/hav", csrf=False).status == 403
    assert Client(app).post(f"/granska/arenden/{number}/bevara/hav", csrf=False).status in (
        302,
        303,
    )
    assert holds.case_hold_of(engine_for(db_url), number) is not None  # still held
    assert [e.action for e in audit.entries(engine_for(db_url), 1, None)[0]].count(
        audit.HOLD_CASE
    ) == 1


def test_unknown_or_malformed_case_numbers_are_not_found(app):
    hanna = client(app, "hanna")
    assert hanna.get("/granska/arenden/SF-2026-99999").status == 404
    assert hanna.get("/granska/arenden/<script>").status == 404
    assert hanna.post("/granska/arenden/SF-2026-99999/anteckning", {"text": "x"}).status == 404


def test_the_registrators_export_is_formula_safe_audited_and_filtered(app, db_url):
    hanna = client(app, "hanna")
    response = hanna.get("/granska/arenden/export.csv", params={"tjanst": "bygglov"})
    assert response.status == 200
    assert 'filename="arenden.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert [r["number"] for r in rows] == ["SF-2026-00002", "SF-2026-00001"]
    assert rows[0]["description"].startswith("'=")  # no live formula
    assert rows[1]["contact_email"] == SECRET_EMAIL and rows[0]["contact_email"] == ""
    as_json = hanna.get("/granska/arenden/export.json").json
    assert len(as_json["cases"]) == 3
    assert as_json["cases"][-1]["description"] == "Ingen hörde av sig <b>alls</b>."
    actions = [e.action for e in audit.entries(engine_for(db_url), 1, "hanna")[0]]
    assert actions.count(audit.EXPORT_CASES) == 2


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(
            f"To: {parsed['To']}\nSubject: {parsed['Subject']}\n\n{parsed.get_content()}"
        )
        return "250 OK"


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    """A local SMTP server (aiosmtpd) and the settings and addresses that point at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    addresses = tmp_path / "case_forwarding.yml"
    addresses.write_text(
        'default: "registrator@example.se"\n'
        'boards:\n  "Bygg- och miljönämnden": "bmn@example.se"\n',
        encoding="utf-8",
    )
    env = {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_FROM": "chattbot@example.se",
        "SMTP_TIMEOUT_SECONDS": "3",
        "CASE_FORWARDING_FILE": str(addresses),
        "CASE_FORWARD_RETRY_SECONDS": "0",  # the tests send and retry by hand
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield mailbox, forwarding.SmtpSettings.from_env(env), controller
    if controller.loop.is_running():
        controller.stop()


def test_a_case_is_forwarded_to_its_boards_address_by_email(app, db_url, smtp):
    mailbox, _settings, _controller = smtp
    hanna = client(app, "hanna")
    sent = hanna.post("/granska/arenden/SF-2026-00001/vidarebefordra")
    assert "meddelande=forwarded" in sent.headers["location"]
    case = case_store.find_case(db_url, "SF-2026-00001")
    assert (case.state, case.forward_status, case.forwarded_to) == (
        "vidarebefordrad",
        case_store.SENT,
        "bmn@example.se",
    )
    assert len(mailbox.messages) == 1
    mail = mailbox.messages[0]
    assert "SF-2026-00001" in mail and "To: bmn@example.se" in mail
    assert SECRET_EMAIL in mail  # the board needs it to reply
    assert "Ingen hörde av sig <b>alls</b>." in mail  # plain text, not HTML-escaped
    again = hanna.post("/granska/arenden/SF-2026-00001/vidarebefordra")
    assert "meddelande=forwarded" in again.headers["location"]
    assert len(mailbox.messages) == 1  # never sent twice


def test_smtp_down_keeps_the_case_marked_not_forwarded_shows_it_and_a_retry_sends_it(
    app, db_url, smtp, catalog
):
    mailbox, settings, controller = smtp
    controller.stop()
    hanna = client(app, "hanna")
    failed = hanna.post("/granska/arenden/SF-2026-00001/vidarebefordra")
    assert "fel=forward_failed" in failed.headers["location"]
    case = case_store.find_case(db_url, "SF-2026-00001")
    assert (case.state, case.forward_status, case.forward_attempts) == (
        "ny",
        case_store.NOT_FORWARDED,
        1,
    )
    page = hanna.get("/granska/arenden/SF-2026-00001")
    assert "Inte vidarebefordrad</strong>" in page.text
    listed = hanna.get("/granska/arenden", params={"ej_vidarebefordrade": "ja"})
    assert "SF-2026-00001" in listed.text and "Misslyckades" in listed.text

    restarted = Controller(mailbox, hostname="127.0.0.1", port=settings.port)
    restarted.start()
    try:
        sent, still_failing = forwarding.retry_pending(db_url, load_catalog(), settings, email_body)
    finally:
        restarted.stop()
    assert (sent, still_failing) == (3, 0)  # the failed one and the two never tried
    assert forwarding.retry_pending(db_url, load_catalog(), settings, email_body) == (0, 0)
    assert case_store.find_case(db_url, "SF-2026-00001").forward_status == case_store.SENT
    assert len(mailbox.messages) == 3


def test_without_smtp_there_is_no_forwarding_only_the_export(app, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    hanna = client(app, "hanna")
    page = hanna.get("/granska/arenden/SF-2026-00001")
    assert "Skicka till nämnden nu" not in page.text
    refused = hanna.post("/granska/arenden/SF-2026-00001/vidarebefordra")
    assert "fel=no_forwarding" in refused.headers["location"]
    assert "export.csv" in hanna.get("/granska/arenden").text


def test_smtp_host_without_a_sender_is_a_settings_error():
    with pytest.raises(ValueError, match="SMTP_FROM"):
        forwarding.SmtpSettings.from_env({"SMTP_HOST": "mail.example.se"})


def test_the_list_is_quick_enough(app):
    rita = client(app, "rita")
    started = time.perf_counter()
    assert rita.get("/granska/arenden").status == 200
    assert time.perf_counter() - started < 2


def test_breaches_per_service_and_promise_per_month_beside_the_questions(db_url):
    from collections import Counter
    from datetime import date

    from bot.review.breaches import breaches
    from bot.review.stats import Dashboard, Day

    days = [
        Day(date(2026, 3, 2), services=Counter({"bygglov": 4, "snorojning": 1})),
        Day(date(2026, 3, 20), services=Counter({"bygglov": 3})),
        Day(date(2026, 4, 11), services=Counter({"snorojning": 6})),
    ]
    broken = breaches(db_url, Dashboard(date(2026, 3, 1), date(2026, 4, 30), days))
    assert [(r.month, r.service_id, r.reports, r.questions) for r in broken.by_service] == [
        ("2026-03", "bygglov", 2, 7),
        ("2026-04", "snorojning", 1, 6),
    ]
    assert [(r.month, r.promise_id, r.reports) for r in broken.by_promise] == [
        ("2026-03", "aterkoppling", 1),
        ("2026-03", "beslut_enkelt_arende", 1),
        ("2026-04", "start_ovriga_gc", 1),
    ]
    assert broken.total == 3
    outside = breaches(db_url, Dashboard(date(2026, 5, 1), date(2026, 5, 31), []))
    assert outside.by_service == [] and outside.total == 0


def test_the_dashboard_shows_the_breach_counts(app):
    rita = client(app, "rita")
    page = rita.get("/granska/oversikt", params={"fran": "2026-03-01", "till": "2026-04-30"})
    assert page.status == 200
    assert "Anmälda brutna löften" in page.text
    assert re.search(
        r"<th scope=\"row\">2026-03</th><td>Bygglov</td><td class=\"num\">2</td>", page.text
    )
    assert "Kommunen hör av sig till dig inom 7 arbetsdagar" in page.text  # the promise's text

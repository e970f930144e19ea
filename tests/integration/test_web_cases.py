"""Reporting a broken promise through the web app (bot/web/api/cases.py), on the Sanic test
client with a real SQLite tracker database: numbered cases, masked descriptions, contact
details only in the case row, every bad input refused with Swedish text, and a database
that does not answer."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa
import yaml
from sanic import Sanic

from bot.core.cases import MAX_DESCRIPTION_CHARS
from bot.store import cases as case_store
from bot.store.conversations import engine_for
from bot.web import WebConfig, create_app
from bot.web.config import DEFAULT_TEXTS_FILE

TEXTS = yaml.safe_load(DEFAULT_TEXTS_FILE.read_text(encoding="utf-8"))
CONTACT = {"name": "Anna Andersson", "email": "anna@example.se", "phone": "070-123 45 67"}


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture
def app(db_url) -> Sanic:
    # Rasa is never called by these routes: its URL points nowhere.
    return create_app(WebConfig(rasa_url="http://127.0.0.1:9", tracker_db_url=db_url))


def _token(app: Sanic) -> str:
    return app.ctx.tokens.new_conversation().token


def report(app: Sanic, token: str | None, **changes):
    body = {
        "token": token,
        "service": "bygglov",
        "promise": "aterkoppling",
        "description": "Ingen hörde av sig på fem veckor.",
        "wants_reply": False,
    }
    body.update(changes)
    _, response = app.test_client.post(
        "/api/cases", content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    return response


def test_the_report_form_offers_each_service_with_its_promises(app):
    _, response = app.test_client.get("/api/report/services")
    assert response.status == 200
    services = {s["id"]: s for s in response.json["services"]}
    assert "bygglov" in services
    assert "aterkoppling" in [p["id"] for p in services["bygglov"]["promises"]]
    assert all(s["promises"] for s in services.values())


def test_the_widget_gets_the_report_texts_and_the_description_limit(app):
    _, response = app.test_client.get("/api/texts")
    assert response.json["report"]["submit"] == TEXTS["report"]["submit"]
    assert response.json["limits"]["max_description_chars"] == MAX_DESCRIPTION_CHARS


def test_an_anonymous_report_gets_a_number_and_keeps_no_contact(app, db_url):
    token = _token(app)
    response = report(app, token, contact=CONTACT)
    assert response.status == 201, response.text
    number = response.json["number"]
    assert number.startswith("SF-") and number.endswith("-00001")
    stored = case_store.find_case(db_url, number)
    assert stored.sender_id == app.ctx.tokens.sender_of(token)
    assert stored.contact.is_empty and stored.wants_reply is False


def test_a_second_report_from_the_same_conversation_gets_the_next_number(app):
    token = _token(app)
    first = report(app, token).json["number"]
    second = report(app, token, promise="beslut_enkelt_arende").json["number"]
    assert first.endswith("-00001") and second.endswith("-00002")


def test_contact_details_are_stored_only_in_the_case_and_never_logged(app, db_url, caplog):
    caplog.set_level(logging.DEBUG)
    response = report(
        app,
        _token(app),
        wants_reply=True,
        contact=CONTACT,
        description="Ring mig på 070-765 43 21, personnummer 19121212-1212",
    )
    assert response.status == 201, response.text
    assert response.json["masked"] == ["personnummer", "telefon"]
    stored = case_store.find_case(db_url, response.json["number"])
    assert stored.contact.email == "anna@example.se"
    assert stored.description == "Ring mig på [telefon], personnummer [personnummer]"
    for secret in ("anna@example.se", "070-123 45 67", "Andersson", "765 43 21", "1212-1212"):
        assert secret not in caplog.text
    with engine_for(db_url).connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        if "events" in tables:
            rows = connection.execute(sa.text("select data from events")).scalars().all()
            assert not any("anna@example.se" in (row or "") for row in rows)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"description": ""}, "empty_description"),
        ({"description": "   "}, "empty_description"),
        ({"description": "x" * 10_000}, "long_description"),
        ({"service": "finns_inte"}, "unknown_service"),
        ({"promise": "finns_inte"}, "unknown_promise"),
        ({"wants_reply": True}, "contact_required"),
        ({"wants_reply": True, "contact": {"email": "inte-en-adress"}}, "bad_email"),
        ({"wants_reply": True, "contact": {"phone": "ring mig"}}, "bad_phone"),
    ],
)
def test_bad_reports_are_refused_with_swedish_text_and_nothing_is_stored(
    app, db_url, changes, code
):
    response = report(app, _token(app), **changes)
    assert response.status == 422, response.text
    assert response.json["error"] == code
    assert response.json["message"] == TEXTS["errors"][code].format(
        max_description_chars=MAX_DESCRIPTION_CHARS
    )
    assert case_store.count_cases(db_url) == 0


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"wants_reply": "ja"}, 400, "invalid_request"),
        ({"description": ["a"]}, 400, "invalid_request"),
        ({"contact": "anna@example.se", "wants_reply": True}, 400, "invalid_request"),
    ],
)
def test_malformed_reports_are_refused(app, changes, status, code):
    response = report(app, _token(app), **changes)
    assert (response.status, response.json["error"]) == (status, code)


def test_a_report_needs_the_conversations_token(app):
    assert report(app, None).status == 401
    assert report(app, "made-up").status == 403


def test_html_in_the_description_is_kept_as_text(app, db_url):
    response = report(app, _token(app), description="<img src=x onerror=alert(1)> inget svar")
    stored = case_store.find_case(db_url, response.json["number"])
    assert stored.description == "<img src=x onerror=alert(1)> inget svar"


def test_a_database_that_does_not_answer_tells_the_citizen_and_stores_nothing(
    app, db_url, monkeypatch
):
    token = _token(app)
    report(app, token)  # starts the app (tables created) and stores case 1

    def down(url: str, report: object, now: object = None) -> object:
        raise case_store.CaseStoreUnavailable("the case database did not answer")

    monkeypatch.setattr(case_store, "register_case", down)
    response = report(app, token)
    assert response.status == 503
    assert response.json["error"] == "case_unavailable"
    assert "0910-73 50 00" in response.json["message"]
    monkeypatch.undo()
    assert case_store.count_cases(db_url) == 1

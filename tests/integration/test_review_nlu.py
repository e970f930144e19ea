"""The NLU inbox (unsure, fallback, thumbs down), reviewers' verdicts, the exports as Rasa
NLU YAML (training data and test cases, through the web and `bot export-nlu/-tests`), and
the dashboard with its SVG charts."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
import yaml

from bot.review import queries, stats
from bot.review.filters import swedish_datetime
from bot.review.nlu_export import clean_text, domain_intents, nlu_yaml, training_texts
from bot.review.reviews import Verdict
from bot.review.tables import create_tables, engine_for, events
from bot.web import WebConfig, create_app
from tests.helpers.review import (
    BASE,
    Client,
    add_feedback,
    sqlite_store,
)

DAY = swedish_datetime(BASE.timestamp()).date().isoformat()


@pytest.fixture
def db_url(db_url) -> str:
    """tests/integration/conftest.py's, with bygglov-1's two answers rated as well."""
    add_feedback(db_url, "bygglov-1", 1, "up")
    add_feedback(db_url, "bygglov-1", 2, "down")  # a confident answer the citizen disliked
    return db_url


@pytest.fixture
def client(db_url) -> Client:
    client = Client(create_app(WebConfig(tracker_db_url=db_url), features=("review",)))
    assert client.login("rita").status == 303
    return client


def inbox(client: Client) -> dict[str, dict]:
    return {item["text"]: item for item in client.get("/granska/api/nlu").json["items"]}


def event_id(client: Client, text: str) -> int:
    return inbox(client)[text]["event_id"]


def test_inbox_has_unsure_fallback_and_thumbs_down_messages(client):
    items = client.get("/granska/api/nlu").json["items"]
    reasons = {item["sender_id"]: item["reasons"] for item in items}
    assert list(reasons) == ["xss-1", "snow-1", "fallback-1", "bygglov-1"]  # newest first
    assert reasons["snow-1"] == ["low_confidence", "thumbs_down"]
    assert reasons["fallback-1"] == ["fallback", "low_confidence"]
    assert reasons["xss-1"] == ["low_confidence"]
    assert reasons["bygglov-1"] == ["thumbs_down"]
    # the disliked answer was to the second message, not the first
    assert [i["text"] for i in items if i["sender_id"] == "bygglov-1"] == ["tack så mycket"]
    page = client.get("/granska/nlu").text
    assert "Låg konfidens" in page and "Tumme ner på svaret" in page and "fallback" in page


def test_confirming_with_a_corrected_intent_and_service(client, db_url):
    message = event_id(client, "när plogar ni vår gata")
    response = client.post(
        f"/granska/nlu/{message}",
        {"intent": "ask_overview", "service": "snorojning", "beslut": "bekrafta"},
    )
    assert response.status == 303
    assert response.headers["location"] == "/granska/nlu?meddelande=verdict_saved"
    assert "när plogar ni vår gata" not in inbox(client)  # decided: out of the inbox
    page = client.get("/granska/nlu?meddelande=verdict_saved").text
    assert "Bedömningen är sparad." in page and "ask_overview" in page
    transcript = client.get("/granska/samtal/snow-1").text
    assert "Bedömt: rätt intent ask_overview, tjänst Snöröjning" in transcript


def test_dismissing_takes_it_out_of_inbox_and_exports(client):
    message = event_id(client, "blorf snurk")
    client.post(f"/granska/nlu/{message}", {"intent": "greet", "beslut": "avfarda"})
    assert "blorf snurk" not in inbox(client)
    assert "blorf snurk" not in client.get("/granska/nlu/export/traningsdata.yml").text


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"intent": "no_such_intent"}, "bad_intent"),
        ({"intent": "nlu_fallback"}, "bad_intent"),
        ({"intent": "' OR 1=1 --"}, "bad_intent"),
        ({"intent": "greet", "service": "simhallen"}, "bad_service"),
        ({"intent": "greet", "text": "x" * 501}, "bad_example"),
    ],
)
def test_verdicts_must_name_a_domain_intent_and_catalog_service(client, form, error):
    message = event_id(client, "när plogar ni vår gata")
    response = client.post(f"/granska/nlu/{message}", {**form, "beslut": "bekrafta"})
    assert response.headers["location"] == f"/granska/nlu?fel={error}"
    assert "när plogar ni vår gata" in inbox(client)


def test_verdict_on_a_message_that_is_gone_is_404(client):
    assert client.post("/granska/nlu/999999", {"intent": "greet"}).status == 404


def test_verdict_from_the_transcript_returns_there(client):
    message = event_id(client, "när plogar ni vår gata")
    response = client.post(
        f"/granska/nlu/{message}", {"intent": "ask_promises", "tillbaka": "samtal"}
    )
    assert response.headers["location"] == "/granska/samtal/snow-1?meddelande=verdict_saved"


def confirm(
    client: Client, text: str, intent: str, service: str = "", example: str | None = None
) -> None:
    form = {"intent": intent, "service": service, "beslut": "bekrafta"}
    if example is not None:
        form["text"] = example
    assert client.post(f"/granska/nlu/{event_id(client, text)}", form).status == 303


def test_export_training_data_is_rasa_nlu_yaml(client, tmp_path):
    confirm(client, "när plogar ni vår gata", "ask_promises", "snorojning")
    confirm(client, "blorf snurk", "out_of_scope")
    confirm(client, "tack så mycket", "thank", example="info om snöröjning")  # already known
    response = client.get("/granska/nlu/export/traningsdata.yml")
    assert response.status == 200
    assert "attachment" in response.headers["content-disposition"]
    text = response.text
    body = yaml.safe_load(text)
    assert body["version"] == "3.1"
    assert body["nlu"] == [
        {"intent": "ask_promises", "examples": "- när plogar ni vår gata\n"},
        {"intent": "out_of_scope", "examples": "- blorf snurk\n"},
    ]
    assert "  examples: |\n    - när plogar ni vår gata\n" in text  # data/nlu's layout
    path = tmp_path / "export.yml"
    path.write_text(text, encoding="utf-8")
    from rasa.shared.nlu.training_data.loading import load_data

    loaded = load_data(str(path))
    assert {(m.get("text"), m.get("intent")) for m in loaded.intent_examples} == {
        ("när plogar ni vår gata", "ask_promises"),
        ("blorf snurk", "out_of_scope"),
    }


def test_export_test_cases_marks_the_service(client, tmp_path):
    confirm(client, "när plogar ni vår gata", "ask_promises", "snorojning")
    confirm(client, "blorf snurk", "out_of_scope")
    text = client.get("/granska/nlu/export/tester.yml").text
    assert '- när [plogar]{"entity": "service", "value": "snorojning"} ni vår gata' in text
    path = tmp_path / "tests.yml"
    path.write_text(text, encoding="utf-8")
    from bench.nlu_evaluation import load_examples

    examples = {e.text: e for e in load_examples(path)}
    assert examples["när plogar ni vår gata"].services == frozenset({"snorojning"})
    assert examples["när plogar ni vår gata"].intent == "ask_promises"
    assert examples["blorf snurk"].services == frozenset()


def test_export_cleans_text_and_keeps_the_latest_verdict():
    intents = domain_intents()
    now = 1_800_000_000.0

    def verdict(text: str, intent: str, at: float) -> Verdict:
        return Verdict(1, "s", text, None, None, "confirmed", intent, None, "rita", at)

    export = nlu_yaml(
        [
            verdict("hej [du](greet)  där", "greet", now),
            verdict("Hej [du](greet) där", "thank", now + 1),
            verdict("vad gäller", "no_such_intent", now),
        ],
        intents,
        set(),
    )
    body = yaml.safe_load(export.text)
    assert body["nlu"] == [{"intent": "thank", "examples": "- Hej (du)(greet) där\n"}]
    assert export.skipped_invalid == 1
    assert clean_text("a\x00b\u2028c {x}") == "a b c (x)"
    assert "info om snöröjning" in training_texts()


def test_cli_exports(client, db_url, tmp_path, monkeypatch, capsys):
    from bot.ops.cli import main

    confirm(client, "när plogar ni vår gata", "ask_promises", "snorojning")
    monkeypatch.setenv("TRACKER_DB_URL", db_url)
    out = tmp_path / "nlu.yml"
    assert main(["export-nlu", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["nlu"][0]["intent"] == "ask_promises"
    tests = tmp_path / "tests.yml"
    assert main(["export-tests", "--out", str(tests)]) == 0
    assert '"value": "snorojning"' in tests.read_text()
    assert main(["export-nlu"]) == 0
    assert "- intent: ask_promises" in capsys.readouterr().out
    from bot.review import audit

    actions = [e.action for e in audit.entries(engine_for(db_url))[0]]
    assert actions.count(audit.EXPORT_NLU) == 2 and audit.EXPORT_TESTS in actions


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_figures(client):
    body = client.get("/granska/api/oversikt", params={"fran": DAY, "till": DAY}).json
    (day,) = body["days"]
    assert day == {"day": DAY, "conversations": 6, "messages": 7, "fallbacks": 1, "handoffs": 1}
    assert dict(body["top_intents"])["ask_promises"] == 2
    assert dict(body["top_services"]) == {"bygglov": 2, "snorojning": 1}
    assert body["unknown_services"] == [["simhall och badhus", 1]]
    assert body["languages"] == [["sv", 2], ["en", 1]]  # conversations per language
    # the ratings were given today, inside the default period
    default = client.get("/granska/api/oversikt").json
    assert (default["thumbs_up"], default["thumbs_down"]) == (1, 2)


def test_dashboard_page_has_accessible_svg_charts(client):
    page = client.get("/granska/oversikt", params={"fran": DAY, "till": DAY}).text
    charts = re.findall(r"<svg [^>]*>", page)
    assert len(charts) >= 5
    for chart in charts:
        assert 'role="img"' in chart and "aria-labelledby" in chart
        ids = re.search(r'aria-labelledby="([^"]+)"', chart).group(1).split()
        for id_ in ids:
            assert f'id="{id_}"' in page
    assert page.count("<title id=") == len(charts) and page.count("<desc id=") == len(charts)
    assert "Visa siffrorna som tabell" in page and "<caption>" in page
    assert "Bygglov" in page and "simhall och badhus" in page
    assert "Samtal per språk" in page and '<th scope="row">engelska</th>' in page
    assert "Alla katalogens texter finns på engelska." in page
    assert "<script" not in page  # no JavaScript, no chart library


def test_chart_text_is_escaped(db_url):
    engine = engine_for(db_url)
    data = {
        "event": "user",
        "text": "x",
        "parse_data": {
            "intent": {"name": "ask_overview", "confidence": 0.9},
            "entities": [{"entity": "unknown_service", "value": "<script>alert(1)</script>"}],
        },
    }
    with engine.begin() as connection:
        connection.execute(
            events.insert().values(
                sender_id="svg-1",
                type_name="user",
                timestamp=BASE.timestamp() + 60,
                intent_name="ask_overview",
                data=json.dumps(data),
            )
        )
    board = stats.DashboardCache(0).dashboard(
        engine, date.fromisoformat(DAY), date.fromisoformat(DAY)
    )
    from bot.review import charts

    svg = str(charts.bar_chart("<t>", "<d>", board.unknown_services))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;t&gt;" in svg


def test_days_follow_swedish_time(tmp_path):
    url, _ = sqlite_store(tmp_path / "days.db")
    engine = engine_for(url)
    create_tables(engine)
    # 22:30 UTC on 14 January is 23:30 in Sweden; 23:30 UTC is already the 15th.
    moments = [
        datetime(2026, 1, 14, 22, 30, tzinfo=timezone.utc),
        datetime(2026, 1, 14, 23, 30, tzinfo=timezone.utc),
        datetime(2026, 7, 14, 21, 30, tzinfo=timezone.utc),  # 23:30 summer time
        datetime(2026, 7, 14, 22, 30, tzinfo=timezone.utc),
    ]  # 00:30 on the 15th
    with engine.begin() as connection:
        for n, moment in enumerate(moments):
            connection.execute(
                events.insert().values(
                    sender_id=f"d{n}",
                    type_name="user",
                    timestamp=moment.timestamp(),
                    intent_name="greet",
                    data=json.dumps({"event": "user", "text": "hej"}),
                )
            )
    counted = {
        d: stats.count_day(engine, d).messages
        for d in (date(2026, 1, 14), date(2026, 1, 15), date(2026, 7, 14), date(2026, 7, 15))
    }
    assert counted == {
        date(2026, 1, 14): 1,
        date(2026, 1, 15): 1,
        date(2026, 7, 14): 1,
        date(2026, 7, 15): 1,
    }


def test_days_that_are_over_are_counted_once(db_url, monkeypatch):
    engine = engine_for(db_url)
    calls: list[list[date]] = []
    real = stats.count_days

    def counting(engine_: sa.engine.Engine, days: list[date]) -> dict[date, stats.Day]:
        calls.append(list(days))
        return real(engine_, days)

    monkeypatch.setattr(stats, "count_days", counting)
    cache = stats.DashboardCache(3600)
    today = date(2026, 3, 10)
    cache.dashboard(engine, date(2026, 3, 8), today, today=today)
    cache.dashboard(engine, date(2026, 3, 8), today, today=today)
    assert calls == [[date(2026, 3, 8), date(2026, 3, 9), today], [today]]  # today: always


def test_counting_days_together_or_one_by_one_agrees(db_url):
    from datetime import timedelta

    engine = engine_for(db_url)
    day = date.fromisoformat(DAY)
    span = [day - timedelta(days=1), day, day + timedelta(days=1)]
    together = stats.count_days(engine, span)
    for one in span:
        alone = stats.count_day(engine, one)
        for name in (
            "messages",
            "conversations",
            "fallbacks",
            "handoffs",
            "intents",
            "services",
            "unknown_services",
            "thumbs_up",
            "thumbs_down",
        ):
            assert getattr(together[one], name) == getattr(alone, name), (one, name)
    assert together[day].messages == 7


def test_period_defaults_to_the_last_30_days():
    assert stats.period(None, None, today=date(2026, 3, 31)) == (
        date(2026, 3, 2),
        date(2026, 3, 31),
    )
    assert stats.period(date(2026, 3, 5), date(2026, 3, 1)) == (date(2026, 3, 1), date(2026, 3, 5))
    start, end = stats.period(date(2020, 1, 1), date(2026, 1, 1))
    assert (end - start).days == stats.MAX_DAYS - 1


def test_inbox_pages(db_url):
    engine = engine_for(db_url)
    create_tables(engine)
    first, more = queries.inbox(engine, 0.7, 1, page_size=2)
    second, more_after = queries.inbox(engine, 0.7, 2, page_size=2)
    assert more and not more_after
    assert [i.sender_id for i in first + second] == ["xss-1", "snow-1", "fallback-1", "bygglov-1"]

""" "Innehåll" (/granska/innehall) through `app.test_client` on a real SQLite tracker
database: every service with its kind, nämnd, owner, review dates and state; "Uppgifterna
stämmer" sets the review date, records who (audit log) and reaches the bot's answer (the
action server's catalog follows the same database); the dashboard lists what is overdue
or due soon; only an admin with a session and CSRF token may confirm."""

from __future__ import annotations

from datetime import date

import pytest
from sanic import Sanic

from actions.service_answers import ActionAnswerService
from bot.core import catalog as catalog_module
from bot.core.catalog import CatalogStore, load_catalog
from bot.core.clock import today_in_sweden
from bot.review import accounts, audit
from bot.review.tables import engine_for
from bot.store.content_reviews import follow_confirmations, latest_confirmations
from bot.web import WebConfig, create_app
from tests.helpers.review import Client, add_staff
from tests.helpers.trackers import make_tracker, run_action, service_entity, user_message

STALE = "utter_facts_stale"


@pytest.fixture
def db_url(db_url) -> str:
    """tests/integration/conftest.py's, with the admin `adam` as well."""
    add_staff(db_url, "adam", accounts.ADMIN)
    return db_url


@pytest.fixture
def app(db_url) -> Sanic:
    return create_app(WebConfig(tracker_db_url=db_url), features=("review",))


@pytest.fixture
def admin(app) -> Client:
    client = Client(app)
    assert client.login("adam").status == 303
    return client


def services(client: Client) -> dict[str, dict]:
    response = client.get("/granska/api/innehall")
    assert response.status == 200
    return {s["id"]: s for s in response.json["services"]}


def test_the_list_shows_every_service_with_kind_nämnd_dates_and_state(app):
    reviewer = Client(app)
    reviewer.login("rita")
    page = reviewer.get("/granska/innehall")

    assert page.status == 200
    catalog = load_catalog()
    for declaration in catalog.declarations.values():
        assert f'id="tjanst-{declaration.id}"' in page.text
    assert "Bygg- och miljönämnden" in page.text and "Servicenivå" in page.text
    assert "Publicerad" in page.text
    assert "Uppgifterna stämmer" not in page.text  # a reviewer may not confirm
    assert "Publicerad version 1 av innehållet" in page.text  # seeded from the folder
    assert reviewer.get("/granska/api/innehall").json["version"] == 1
    listed = services(reviewer)
    assert set(listed) == set(catalog.declarations)
    bygglov = listed["bygglov"]
    assert (bygglov["kind"], bygglov["responsible_board"]) == (
        "serviceförklaring",
        "Bygg- och miljönämnden",
    )
    assert bygglov["reviewed"] == "2019-01-01" and bygglov["next_review"] == "2020-01-01"
    assert (bygglov["due"], bygglov["state"], bygglov["confirmed_by"]) == (
        "overdue",
        "published",
        None,
    )


def test_confirming_sets_the_review_date_records_who_and_reaches_the_bot(
    app, admin, db_url, domain, monkeypatch
):
    # The action server's catalog, following the same database as actions/__init__.py does.
    action_store = CatalogStore(check_interval=0)
    follow_confirmations(action_store, db_url)
    monkeypatch.setattr(catalog_module, "_default_store", action_store)
    tracker = make_tracker(user_message("bygglov?", "ask_overview", [service_entity("bygglov")]))
    _, before = run_action(ActionAnswerService(), tracker, domain)
    assert STALE in [m["response"] for m in before]

    page = admin.get("/granska/innehall")
    assert 'action="/granska/innehall/bygglov/stammer"' in page.text
    response = admin.post("/granska/innehall/bygglov/stammer")

    assert response.status == 303
    assert response.headers["location"].startswith("/granska/innehall?meddelande=content_confirmed")
    today = today_in_sweden()
    bygglov = services(admin)["bygglov"]
    assert bygglov["reviewed"] == today.isoformat() and bygglov["due"] == "current"
    assert bygglov["reviewed_approximate"] is False and bygglov["confirmed_by"] == "adam"
    assert services(admin)["snorojning"]["confirmed_by"] is None  # only that one
    entries, _ = audit.entries(engine_for(db_url), action=audit.CONFIRM_CONTENT)
    assert [(e.username, e.target) for e in entries] == [("adam", "bygglov")]
    assert today.isoformat() in (entries[0].detail or "")
    assert "Uppgifterna är bekräftade" in admin.get(response.headers["location"]).text

    _, after = run_action(ActionAnswerService(), tracker, domain)
    responses = [m["response"] for m in after]
    assert STALE not in responses
    source = next(m for m in after if m["response"] in ("utter_source", "utter_source_approx"))
    assert source["response"] == "utter_source"  # an exact date now
    assert source["reviewed"] == today.isoformat()


def test_the_dashboard_lists_overdue_and_due_soon_declarations(app, admin, db_url, monkeypatch):
    page = admin.get("/granska/oversikt")
    assert page.status == 200
    assert "Innehåll att granska" in page.text
    assert 'href="/granska/innehall#tjanst-bygglov"' in page.text  # reviewed 2019: overdue

    admin.post("/granska/innehall/bygglov/stammer")
    assert 'href="/granska/innehall#tjanst-bygglov"' not in admin.get("/granska/oversikt").text

    # Due soon: with a 1-month period and 31 days' warning, today's confirmation is.
    monkeypatch.setenv("CONTENT_REVIEW_MONTHS", "1")
    monkeypatch.setenv("CONTENT_REVIEW_WARN_DAYS", "31")
    soon = admin.get("/granska/oversikt").text
    section = soon.split("Ska granskas inom 31 dagar", 1)[1]
    assert 'href="/granska/innehall#tjanst-bygglov"' in section


def test_a_reviewer_no_session_or_no_csrf_token_cannot_confirm(app, db_url):
    reviewer = Client(app)
    reviewer.login("rita")
    assert reviewer.post("/granska/innehall/bygglov/stammer").status == 403
    assert Client(app).post("/granska/innehall/bygglov/stammer", {"csrf_token": "x"}).status == 302
    admin = Client(app)
    admin.login("adam")
    assert admin.post("/granska/innehall/bygglov/stammer", csrf=False).status == 403
    assert Client(app).get("/granska/api/innehall").status == 401
    assert latest_confirmations(engine_for(db_url)) == {}


def test_an_unknown_service_is_not_found_and_nothing_is_recorded(app, admin, db_url):
    for service_id in ("finns_inte", "<script>alert(1)</script>", "BYGGLOV", "bygglov.yml"):
        response = admin.post(f"/granska/innehall/{service_id}/stammer")
        assert response.status == 404, service_id
        assert "<script>alert" not in response.text
    assert latest_confirmations(engine_for(db_url)) == {}


def test_a_later_date_in_the_file_wins_over_an_older_confirmation(db_url, tmp_path):
    from bot.store.content_reviews import confirm, create_content_tables

    engine = engine_for(db_url)
    create_content_tables(engine)
    confirm(engine, "bygglov", date(2020, 5, 1), "adam")
    store = CatalogStore(check_interval=0)
    follow_confirmations(store, db_url)
    assert store.get().declarations["bygglov"].reviewed == date(2020, 5, 1)
    assert store.get().declarations["snorojning"].reviewed == (
        load_catalog().declarations["snorojning"].reviewed  # 2024: later than any confirmation
    )


def test_a_missing_database_file_holds_no_dates_and_is_not_created(tmp_path):
    path = tmp_path / "nowhere" / "tracker.db"
    store = CatalogStore(check_interval=0)
    follow_confirmations(store, f"sqlite:///{path}")
    assert store.get().declarations["bygglov"].reviewed == date(2019, 1, 1)
    assert not path.exists()


OLD_PROMISE = "Personalen bemöter dig på ett bra sätt."
NEW_PROMISE = "Personalen bemöter dig <b>alltid</b> väl & snabbt."


def publish_change(db_url: str, by: str = "anna") -> int:
    from bot.store import content_catalog as published

    engine = engine_for(db_url)
    current = published.published_version(engine)
    texts = published.documents(engine)
    texts["bygglov.yml"] = texts["bygglov.yml"].replace(OLD_PROMISE, NEW_PROMISE)
    version, _ = published.publish(engine, texts, by, published.IMPORT, current)
    return version


def test_versions_show_who_what_changed_and_an_admin_rolls_back_in_one_action(app, admin, db_url):
    from bot.store import content_catalog as published

    admin.get("/granska/innehall")  # the app has started once: version 1 is seeded
    assert publish_change(db_url) == 2
    reviewer = Client(app)
    reviewer.login("rita")
    listing = reviewer.get("/granska/innehall/versioner")
    assert listing.status == 200 and "anna" in listing.text and "/aterstall" not in listing.text

    changes = reviewer.get("/granska/innehall/versioner/2").text
    assert "-    - id: gott_bemotande" not in changes  # only the changed line
    assert "-    text: &#34;Personalen bemöter dig på ett bra sätt.&#34;" in changes
    assert "&lt;b&gt;alltid&lt;/b&gt; väl &amp; snabbt" in changes and "<b>alltid" not in changes

    page = admin.get("/granska/innehall/versioner")
    assert 'action="/granska/innehall/versioner/1/aterstall"' in page.text
    response = admin.post("/granska/innehall/versioner/1/aterstall", {"current": "2"})

    assert response.status == 303 and "content_rolled_back" in response.headers["location"]
    engine = engine_for(db_url)
    assert [(v.version, v.how, v.published_by) for v in published.history(engine)][0] == (
        3,
        published.ROLLBACK,
        "adam",
    )
    assert OLD_PROMISE in published.documents(engine)["bygglov.yml"]
    assert app.ctx.catalog.get(True).declarations["bygglov"].promises[0].text == OLD_PROMISE
    entries, _ = audit.entries(engine, action=audit.ROLLBACK_CONTENT)
    assert [(e.username, e.target) for e in entries] == [("adam", "version 3")]


def test_a_rollback_from_a_stale_page_is_refused_naming_who_published(app, admin, db_url):
    from bot.store import content_catalog as published

    admin.get("/granska/innehall")
    publish_change(db_url, by="bertil")  # version 2, after the admin's page showed 1
    response = admin.post("/granska/innehall/versioner/1/aterstall", {"current": "1"})

    assert response.status == 303 and "fel=content_conflict" in response.headers["location"]
    page = admin.get(response.headers["location"]).text
    assert "någon annan har publicerat" in page and "bertil" in page
    assert published.published_version(engine_for(db_url)) == 2  # nothing published
    assert admin.post("/granska/innehall/versioner/9/aterstall", {"current": "2"}).status == 404
    assert admin.get("/granska/innehall/versioner/9").status == 404


def test_a_reviewer_or_a_missing_csrf_token_cannot_roll_back(app, admin, db_url):
    from bot.store import content_catalog as published

    admin.get("/granska/innehall")
    publish_change(db_url)
    reviewer = Client(app)
    reviewer.login("rita")
    assert reviewer.post("/granska/innehall/versioner/1/aterstall", {"current": "2"}).status == 403
    assert (
        admin.post("/granska/innehall/versioner/1/aterstall", {"current": "2"}, csrf=False).status
        == 403
    )
    assert published.published_version(engine_for(db_url)) == 2

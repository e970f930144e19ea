"""Innehåll → Redigera through `app.test_client` on a real SQLite tracker database: a
redaktör drafts a change to a promise in the plain form (row buttons without JavaScript,
the loader's rules with each error in Swedish beside its field, nothing lost), sees the
bot's real answers in the preview, and sends it; an admin who did not write it approves,
which publishes a new version the action server's catalog answers from; two editors of one
declaration are refused naming who; HTML in any field is text; every new route needs a
session, the role and the CSRF token."""

from __future__ import annotations

import re

import pytest
import yaml
from markupsafe import escape
from sanic import Sanic

from actions.service_answers import ActionAnswerService
from bot.core import catalog as catalog_module
from bot.core.catalog import CatalogStore
from bot.review import accounts, audit, content_form
from bot.review.tables import engine_for
from bot.store import content_catalog as published
from bot.store import content_drafts as drafts
from bot.web import WebConfig, create_app
from tests.helpers.review import Client, add_staff
from tests.helpers.trackers import make_tracker, render, run_action, service_entity, user_message

OLD = (
    "Startbesked för en eldstad får du inom högst 2 veckor efter att alla handlingar har kommit in."
)
NEW = "Startbesked för en eldstad får du inom högst 2 veckor, också under semestern."
XSS = "<script>alert(1)</script>"
EDIT = "/granska/innehall/bygglov/redigera"
DRAFT = "/granska/innehall/bygglov/utkast"


@pytest.fixture
def db_url(db_url) -> str:
    add_staff(db_url, "adam", accounts.ADMIN)
    add_staff(db_url, "berit", accounts.ADMIN)
    add_staff(db_url, "erik", accounts.EDITOR)
    add_staff(db_url, "frida", accounts.EDITOR)
    return db_url


@pytest.fixture
def app(db_url) -> Sanic:
    return create_app(WebConfig(tracker_db_url=db_url), features=("review",))


def client(app, username: str) -> Client:
    staff_client = Client(app)
    assert staff_client.login(username).status == 303
    return staff_client


def values_of(form: content_form.EditForm, **extra: str) -> dict[str, str]:
    """What the browser posts for `form` (every field, blanks included)."""
    values = {name: form.scalars[name] for name in content_form.SCALARS}
    values.update({f"contact-{k}": v for k, v in form.contact.items()})
    for name, rows in form.lists.items():
        values[f"{name}-n"] = str(len(rows))
        values.update({f"{name}-{i}": v for i, v in enumerate(rows)})
    values["promises-n"] = str(len(form.promises))
    for i, promise in enumerate(form.promises):
        values.update({f"promises-{i}-{k}": v for k, v in promise.items()})
    return {**values, **extra}


def published_form(db_url: str) -> content_form.EditForm:
    text = published.documents(engine_for(db_url))["bygglov.yml"]
    return content_form.form_from_data(yaml.safe_load(text))


def promise_index(form: content_form.EditForm, text: str) -> int:
    return next(i for i, p in enumerate(form.promises) if p["text"] == text)


def save(staff_client: Client, form: content_form.EditForm, **extra: str):
    return staff_client.post(
        EDIT, values_of(form, based_on=extra.pop("based_on", "1"), gora="spara", **extra)
    )


def test_an_editor_drafts_a_promise_sees_the_preview_and_another_admin_publishes_it(
    app, db_url, domain, monkeypatch
):
    action_store = CatalogStore(check_interval=0)  # the action server's, as actions/ follows
    published.follow_database(action_store, db_url)
    monkeypatch.setattr(catalog_module, "_default_store", action_store)
    erik, adam = client(app, "erik"), client(app, "adam")

    listing = erik.get("/granska/innehall")
    assert 'href="/granska/innehall/bygglov/redigera"' in listing.text
    page = erik.get(EDIT)
    assert page.status == 200 and OLD in page.text
    form = published_form(db_url)
    form.promises[promise_index(form, OLD)]["text"] = NEW
    response = save(erik, form)

    assert response.status == 303 and response.headers["location"].startswith(DRAFT)
    preview = erik.get(DRAFT).text
    section = preview.split('id="preview-promises"', 1)[1].split("</section>", 1)[0]
    assert NEW in section and "Tider och löften för bygglov" in section
    assert "Källa: https://" in section  # the real answer ends with its source
    assert "utkast/bygglov.yml" in preview and NEW in preview.split('class="diff"', 1)[1]
    assert "Godkänn och publicera" not in preview
    assert "Utkast" in erik.get("/granska/innehall").text

    assert erik.post(f"{DRAFT}/skicka", {"revision": "1"}).status == 303
    assert "Väntar på godkännande" in adam.get("/granska/innehall").text
    assert erik.post(f"{DRAFT}/godkann", {"revision": "2"}).status == 403  # a redaktör
    approved = adam.post(f"{DRAFT}/godkann", {"revision": "2"})

    assert approved.status == 303 and "draft_published" in approved.headers["location"]
    engine = engine_for(db_url)
    assert published.published_version(engine) == 2
    assert published.version_info(engine, 2).how == drafts.EDIT
    tracker = make_tracker(
        user_message(
            "hur lång tid tar startbesked för eldstad?", "ask_times", [service_entity("bygglov")]
        )
    )
    _, messages = run_action(ActionAnswerService(), tracker, domain)
    said = "\n".join(render(m, domain) for m in messages)
    assert NEW in said and OLD not in said
    assert "redigerat utkast, godkänt" in adam.get("/granska/innehall/versioner").text
    actions = {e.action: e.username for e in audit.entries(engine)[0]}
    assert actions[audit.DRAFT_CONTENT] == "erik" and actions[audit.SUBMIT_CONTENT] == "erik"
    assert actions[audit.PUBLISH_CONTENT] == "adam"


def test_an_admin_cannot_approve_their_own_draft(app, db_url):
    adam, berit = client(app, "adam"), client(app, "berit")
    form = published_form(db_url)
    form.promises[promise_index(form, OLD)]["text"] = NEW
    assert save(adam, form).status == 303
    adam.post(f"{DRAFT}/skicka", {"revision": "1"})
    assert "Godkänn och publicera" not in adam.get(DRAFT).text
    refused = adam.post(f"{DRAFT}/godkann", {"revision": "2"})
    assert "fel=own_draft" in refused.headers["location"]
    assert "själv har skrivit" in adam.get(refused.headers["location"]).text
    assert published.published_version(engine_for(db_url)) == 1
    assert "Godkänn och publicera" in berit.get(DRAFT).text
    assert berit.post(f"{DRAFT}/godkann", {"revision": "2"}).status == 303
    assert published.published_version(engine_for(db_url)) == 2


def test_errors_are_shown_in_swedish_beside_each_field_and_nothing_is_lost(app, db_url):
    erik = client(app, "erik")
    form = published_form(db_url)
    form.promises[0]["text"] = ""
    form.promises[3]["id"] = "Fel id"
    form.scalars["source_url"] = "skelleftea.se/bygglov"
    form.lists["synonyms"].append("   ")
    form.scalars["summary"] = "Min nya sammanfattning " + XSS
    response = save(erik, form)

    assert response.status == 422
    page = response.text
    assert 'aria-describedby="promises-0-text-error" aria-invalid="true"' in page
    error = re.search(r'id="promises-0-text-error">([^<]+)<', page).group(1)
    assert error.startswith("Fältet får inte vara tomt")
    assert re.search(r'id="source_url-error">Skriv en hel webbadress', page)
    assert 'id="promises-3-id-error">Id får bara ha' in page
    last = len(form.lists["synonyms"]) - 1
    assert f'id="synonyms-{last}-error"' in page
    # Nothing lost: the form comes back as posted, HTML in it as text.
    assert "Min nya sammanfattning &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert XSS not in page
    assert 'value="skelleftea.se/bygglov"' in page
    assert drafts.open_draft(engine_for(db_url), "bygglov") is None

    # The list's own rules (checked once its rows are valid): unique ids, one synonym.
    form = published_form(db_url)
    form.promises[1]["id"] = form.promises[2]["id"]
    form.lists["synonyms"] = []
    again = save(erik, form).text
    assert 'id="promises-error">Två löften har samma id' in again
    assert 'id="synonyms-error">Det behövs minst en rad här' in again


def test_row_buttons_add_remove_and_move_rows_without_saving(app, db_url):
    erik = client(app, "erik")
    form = published_form(db_url)
    first, second = (str(escape(p["text"])) for p in form.promises[:2])

    moved = erik.post(EDIT, values_of(form, based_on="1", rad="down:promises:0")).text
    assert moved.index(second) < moved.index(first)
    assert 'id="promises-1-id"' in moved and "autofocus" in moved
    added = erik.post(EDIT, values_of(form, based_on="1", rad="add:expectations")).text
    count = len(form.lists["expectations"])
    assert f'name="expectations-n" value="{count + 1}"' in added
    assert re.search(
        rf'id="expectations-{count}" name="expectations-{count}"[^>]*></textarea>', added
    )
    removed = erik.post(EDIT, values_of(form, based_on="1", rad="remove:promises:0")).text
    assert first not in removed and f'name="promises-n" value="{len(form.promises) - 1}"' in removed
    assert drafts.open_draft(engine_for(db_url), "bygglov") is None


def test_the_second_of_two_editors_is_refused_naming_the_first_with_the_form_kept(app, db_url):
    erik, frida = client(app, "erik"), client(app, "frida")
    erik.get(EDIT)
    frida.get(EDIT)  # both opened the published text
    form = published_form(db_url)
    form.promises[promise_index(form, OLD)]["text"] = NEW
    assert save(erik, form).status == 303
    form.promises[promise_index(form, NEW)]["text"] = "Fridas text."
    refused = save(frida, form)

    assert refused.status == 409
    assert "erik har ändrat samma tjänst" in refused.text
    assert "Fridas text." in refused.text  # nothing lost
    assert NEW in drafts.open_draft(engine_for(db_url), "bygglov").text


def test_a_new_name_is_marked_as_needing_training(app, db_url):
    erik = client(app, "erik")
    form = published_form(db_url)
    form.scalars["name"] = "Bygglov och anmälan"
    assert save(erik, form).status == 303
    assert "Behöver träning" in erik.get("/granska/innehall").text
    assert "Behöver träning" in erik.get(DRAFT).text
    listed = {s["id"]: s for s in erik.get("/granska/api/innehall").json["services"]}
    assert listed["bygglov"]["state"] == "draft" and listed["bygglov"]["needs_training"]


def test_html_in_a_field_is_text_in_the_preview_the_diff_and_the_list(app, db_url):
    erik = client(app, "erik")
    form = published_form(db_url)
    form.promises[promise_index(form, OLD)]["text"] = OLD + " " + XSS
    form.lists["synonyms"].append("bygg <b>lov</b>")
    assert save(erik, form).status == 303
    page = erik.get(DRAFT).text
    assert XSS not in page and "<b>lov" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


NEW_ROUTES = [
    ("GET", EDIT),
    ("POST", EDIT),
    ("GET", DRAFT),
    ("POST", f"{DRAFT}/skicka"),
    ("POST", f"{DRAFT}/kasta"),
    ("POST", f"{DRAFT}/godkann"),
    ("POST", f"{DRAFT}/avvisa"),
]


@pytest.mark.parametrize(("method", "path"), NEW_ROUTES)
def test_every_new_route_needs_a_session_the_role_and_csrf(app, db_url, method, path):
    anonymous = Client(app)
    if method == "GET":
        assert anonymous.get(path).status == 302
    else:
        assert anonymous.post(path, {"csrf_token": "x"}).status == 302
    reviewer = client(app, "rita")
    call = reviewer.get if method == "GET" else reviewer.post
    assert call(path).status == 403
    if method == "POST":
        admin = client(app, "adam")
        assert admin.post(path, {"revision": "1", "gora": "spara"}, csrf=False).status == 403
    if path.endswith(("godkann", "avvisa")):
        assert client(app, "erik").post(path, {"revision": "1"}).status == 403
    engine = engine_for(db_url)
    assert published.published_version(engine) == 1
    assert drafts.open_drafts(engine) == {}


def test_a_rejected_or_discarded_draft_leaves_the_published_text(app, db_url):
    erik, adam = client(app, "erik"), client(app, "adam")
    form = published_form(db_url)
    form.promises[promise_index(form, OLD)]["text"] = NEW
    save(erik, form)
    erik.post(f"{DRAFT}/skicka", {"revision": "1"})
    rejected = adam.post(f"{DRAFT}/avvisa", {"revision": "2"})
    assert rejected.status == 303 and "draft_rejected" in rejected.headers["location"]
    assert "Utkastet är avvisat" in adam.get(rejected.headers["location"]).text
    save(erik, form)
    assert erik.post(f"{DRAFT}/kasta", {"revision": "1"}).status == 303
    engine = engine_for(db_url)
    assert drafts.open_drafts(engine) == {} and published.published_version(engine) == 1
    assert OLD in erik.get(EDIT).text
    actions = [e.action for e in audit.entries(engine)[0]]
    assert audit.REJECT_CONTENT in actions and audit.DISCARD_CONTENT in actions
    # A decision on a draft that is gone says so.
    gone = adam.post(f"{DRAFT}/godkann", {"revision": "1"})
    assert "fel=draft_gone" in gone.headers["location"]

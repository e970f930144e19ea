"""A broken promise reported from the chat, on the real stack (`web_bot`: action server,
Rasa and the web app with a SQLite tracker store of its own):

- through the web app's REST API: the bot's answer carries the offer, an anonymous report
  gets a number, and a second one from the same conversation the next;
- in real Chromium: the citizen reports with a reply wanted, sees the number; a case
  handler logs in to /granska and finds the case under Ärenden with that number; the
  contact details are in the case row and nowhere in `events` (read from the database).
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.request
from pathlib import Path

import pytest

from bot.review import accounts
from tests.helpers.review import PASSWORD, add_staff

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]
TITLE = "Fråga om kommunens service"
QUESTION = "vad händer om kommunen inte håller tiden för bygglov?"
EMAIL = "anna.e2e@example.se"
NUMBER = re.compile(r"SF-\d{4}-\d{5}")


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _db(web_bot) -> str:
    return web_bot.env["TRACKER_DB_URL"].split("sqlite:///", 1)[1]


def test_the_offer_and_anonymous_reports_through_the_rest_api(web_bot):
    status, answer = _post(f"{web_bot.web_url}/api/chat", {"message": QUESTION})
    assert status == 200, answer
    offers = [
        m["custom"]
        for m in answer["messages"]
        if (m.get("custom") or {}).get("type") == "report_offer"
    ]
    assert offers == [{"type": "report_offer", "service": "bygglov", "name": "Bygglov"}]
    report = {
        "token": answer["token"],
        "service": "bygglov",
        "promise": "aterkoppling",
        "description": "Ingen hörde av sig.",
        "wants_reply": False,
    }
    first_status, first = _post(f"{web_bot.web_url}/api/cases", report)
    second_status, second = _post(f"{web_bot.web_url}/api/cases", report)
    assert (first_status, second_status) == (201, 201)
    year, first_seq = first["number"].split("-")[1:]
    assert second["number"] == f"SF-{year}-{int(first_seq) + 1:05d}"
    empty_status, empty = _post(f"{web_bot.web_url}/api/cases", {**report, "description": " "})
    assert (empty_status, empty["error"]) == (422, "empty_description")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_a_report_in_the_widget_reaches_staff_with_its_number_and_no_contact_in_events(
    web_bot, browser
):
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(web_bot.web_url + "/")
    page.wait_for_selector(".skw-root[data-ready]", state="attached")
    page.get_by_role("button", name=TITLE).click()
    page.fill("#skw-input", QUESTION)
    page.press("#skw-input", "Enter")
    page.get_by_role("button", name="Anmäl att ett löfte inte hölls").click()

    page.wait_for_selector("form.skw-report")
    assert page.locator("#skw-report-service").input_value() == "bygglov"
    page.get_by_label("Kommunen hör av sig till dig inom 7 arbetsdagar", exact=False).check()
    page.get_by_label("Vad hände? Beskriv kort.").fill("Ingen har hört av sig. Ring 070-123 45 67.")
    page.get_by_label("Ja, jag vill ha svar").check()
    page.get_by_label("E-post").fill(EMAIL)
    page.get_by_role("button", name="Skicka anmälan").click()
    confirmation = page.locator(".skw-case-number")
    confirmation.wait_for()
    number = NUMBER.search(confirmation.inner_text()).group(0)
    assert errors == []

    with sqlite3.connect(_db(web_bot)) as connection:
        stored = connection.execute(
            "select contact_email, description, wants_reply from cases where number = ?", (number,)
        ).fetchone()
        event_data = [row[0] or "" for row in connection.execute("select data from events")]
    assert stored == (EMAIL, "Ingen har hört av sig. Ring [telefon].", 1)
    assert event_data and not any(EMAIL in data or "070-123 45 67" in data for data in event_data)

    add_staff(web_bot.env["TRACKER_DB_URL"], "hanna", accounts.CASE_HANDLER)
    staff = browser.new_context(locale="sv-SE").new_page()
    staff.goto(f"{web_bot.web_url}/granska/arenden")
    staff.get_by_label("Användarnamn").fill("hanna")
    staff.get_by_label("Lösenord").fill(PASSWORD)
    staff.get_by_role("button", name="Logga in").click()
    staff.wait_for_url("**/granska/arenden")
    staff.get_by_role("link", name=number).click()
    staff.wait_for_url(f"**/granska/arenden/{number}")
    assert EMAIL in staff.content()
    context.close()

"""The review tool in real Chromium against the real web server (`python -m bot.web`):
log in, filter, open a transcript, annotate it, pick the right intent in the NLU inbox,
download the training data and check it with `rasa data validate` together with the
project's data. With axe-core present (npm install), the pages are checked for WCAG 2.1
AA problems as well."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bench.harness import RestClient
from bench.review import Server
from bot.core.cases import Contact, check_report
from bot.core.catalog import load_catalog
from bot.paths import PROJECT_ROOT
from bot.review import accounts
from bot.store import cases as case_store
from bot.store.conversations import engine_for
from bot.store.holds import hold_case
from tests.helpers.review import (
    PASSWORD,
    add_feedback,
    add_staff,
    sqlite_store,
    write_conversations,
)

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


def add_cases(url: str) -> None:
    """Two cases for Ärenden: SF-…-00001 with a reply wanted and on hold (its page shows
    the contact details and the release button), SF-…-00002 anonymous (the hold form)."""
    catalog = load_catalog()
    case_store.create_case_tables(url)
    wanted = check_report(
        catalog, "bygglov", "aterkoppling", "Ingen hörde av sig.", True, Contact(email="a@b.se")
    )
    first = case_store.register_case(url, wanted)
    anonymous = check_report(catalog, "snorojning", "start_ovriga_gc", "Inte plogat.", False)
    case_store.register_case(url, anonymous)
    hold_case(engine_for(url), first.number, "Ingår i ett klagomål", "adam")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y chromium")
    folder = tmp_path_factory.mktemp("review-browser")
    url, store = sqlite_store(folder / "tracker.db")
    write_conversations(store)
    add_feedback(url, "snow-1", 1, "down")
    add_staff(url, "rita", accounts.REVIEWER)
    add_staff(url, "adam", accounts.ADMIN)  # sees the admin's forms (Innehåll)
    add_cases(url)
    with Server(url, create_indexes=True, log_dir=folder) as running:
        yield f"http://127.0.0.1:{running.port}"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def validate(export: Path, folder: Path) -> subprocess.CompletedProcess:
    """`rasa data validate` on a copy of the project's data plus the exported file."""
    data = folder / "data"
    for part in ("nlu", "rules", "stories"):
        shutil.copytree(PROJECT_ROOT / "data" / part, data / part)
    shutil.copy(export, data / "nlu" / "granskade.yml")
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--domain",
            str(PROJECT_ROOT / "domain.yml"),
            "--config",
            str(PROJECT_ROOT / "config.yml"),
            "--data",
            str(data),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def axe_violations(page) -> list:
    """axe-core's WCAG 2.1 AA violations on the page as it is (the context bypasses CSP)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa']})"
    )
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]


def test_review_in_chromium(server, browser, tmp_path):
    context = browser.new_context(accept_downloads=True, locale="sv-SE")
    page = context.new_page()

    # Log in (the list sends us to the login page first).
    page.goto(f"{server}/granska/")
    assert "/granska/logga-in" in page.url
    page.get_by_label("Användarnamn").fill("rita")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server}/granska/")
    assert page.locator("table.list tbody tr").count() == 7

    # Filter on a service.
    page.get_by_label("Tjänst").select_option("bygglov")
    page.get_by_role("button", name="Filtrera").click()
    page.wait_for_url("**tjanst=bygglov**")
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 2
    assert page.locator("tr[data-sender=bygglov-1]").count() == 1

    # Open a transcript; the XSS attempt in the other row is plain text, not markup.
    assert page.locator('text=<script>alert("xss")</script>').count() == 1
    page.get_by_role("link", name="hur lång tid tar bygglov?").click()
    page.wait_for_url("**/granska/samtal/bygglov-1")
    assert page.locator("li.user").first.locator("dd").first.inner_text() == "ask_promises"
    assert "service = bygglov" in page.locator("li.user").first.inner_text()

    # Annotate: a tag, a note on the first message, mark as reviewed.
    page.get_by_label("Ny tagg").fill("Bra svar")
    page.get_by_role("button", name="Lägg till").click()
    page.wait_for_url("**meddelande=tag_added")
    assert "bra svar" in page.locator("ul.tags").inner_text()
    first = page.locator("li.user").first
    first.locator("summary", has_text="Anteckning om meddelandet").click()
    first.get_by_label("Anteckning").fill("Rätt tolkat.")
    first.get_by_role("button", name="Spara anteckning").click()
    page.wait_for_url("**meddelande=note_added")
    assert "Rätt tolkat." in page.locator("li.user").first.inner_text()
    page.get_by_role("button", name="Markera som granskat").click()
    page.wait_for_url("**meddelande=reviewed")
    assert "Granskat av rita" in page.content()

    # NLU inbox: pick the right intent and service for the snow question.
    page.get_by_role("link", name="NLU-inkorg").click()
    page.wait_for_url(f"{server}/granska/nlu")
    item = page.locator("ol.inbox > li", has_text="när plogar ni vår gata")
    item.get_by_label("Rätt intent").select_option("ask_overview")
    item.get_by_label("Tjänst").select_option("snorojning")
    item.get_by_role("button", name="Spara som exempel").click()
    page.wait_for_url("**meddelande=verdict_saved")
    assert page.get_by_role("status").inner_text() == "Bedömningen är sparad."
    assert page.locator("ol.inbox > li", has_text="när plogar ni vår gata").count() == 0

    # Export the training data with the button, and validate it with Rasa.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Träningsdata (Rasa NLU YAML)").click()
    export = tmp_path / "export.yml"
    download_info.value.save_as(export)
    body = yaml.safe_load(export.read_text(encoding="utf-8"))
    assert body["nlu"] == [{"intent": "ask_overview", "examples": "- när plogar ni vår gata\n"}]
    result = validate(export, tmp_path / "validate")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    # Log out.
    page.get_by_role("button", name="Logga ut").click()
    page.wait_for_url("**/granska/logga-in")
    page.goto(f"{server}/granska/nlu")
    assert "/granska/logga-in" in page.url
    context.close()


def test_review_pages_pass_axe(server, browser):
    if not AXE.exists():
        pytest.skip("axe-core not installed (npm install)")
    # The pages forbid scripts (CSP); let the test inject axe anyway.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server}/granska/logga-in")
    page.get_by_label("Användarnamn").fill("adam")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server}/granska/")
    problems = {}
    pages = ("/granska/", "/granska/samtal/snow-1", "/granska/nlu", "/granska/oversikt")
    page.goto(f"{server}/granska/arenden")
    case_pages = sorted(
        page.eval_on_selector_all(
            "table.cases a", "links => links.map(a => new URL(a.href).pathname)"
        )
    )
    assert len(case_pages) == 2  # one on hold, one with the hold form
    content = ("/granska/innehall", "/granska/innehall/versioner", "/granska/innehall/bygglov")
    for path in (
        *pages,
        *content[:2],
        f"{content[2]}/redigera",
        f"{content[2]}/utkast",
        "/granska/arenden",
        *case_pages,
        "/granska/admin/installningar",
    ):
        page.goto(f"{server}{path}")
        if path in case_pages:  # the case itself, not an error page
            assert page.locator("h1").inner_text().startswith("Ärende SF-")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
            " 'wcag21aa']})"
        )
        if result["violations"]:
            problems[path] = [
                (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
                for v in result["violations"]
            ]
    context.close()
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


OLD_PROMISE = (
    "Startbesked för en eldstad får du inom högst 2 veckor efter att alla handlingar har kommit in."
)
NEW_PROMISE = "Startbesked för en eldstad får du inom högst 2 veckor, också under semestern."


def log_in(browser, base: str, username: str):
    context = browser.new_context(locale="sv-SE", bypass_csp=True)  # bypass: axe is injected
    page = context.new_page()
    page.goto(f"{base}/granska/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/granska/")
    return context, page


def bot_says(rest: RestClient, text: str, deadline_seconds: float = 8.0) -> str:
    """Every text of the bot's answer, asked again (a new conversation each time) until
    `text` is in it or the deadline passes; the last answer either way."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        said = "\n".join(r.get("text", "") for r in rest.ask("hur lång tid tar bygglov?"))
        if text in said or time.monotonic() > deadline:
            return said
        time.sleep(0.5)


def shot(page, name: str) -> None:
    """A full-page screenshot into $SHOTS_DIR when it is set (for people, not asserted)."""
    if os.environ.get("SHOTS_DIR"):
        folder = Path(os.environ["SHOTS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / name), full_page=True)


def test_an_editor_drafts_an_admin_approves_and_the_bot_answers_without_retraining(
    web_bot, browser
):
    """The whole flow against the real stack: a redaktör changes a promise in the form
    (after a field error), sees it in the preview and sends it; an admin approves; the
    REST answer carries the new text within seconds, no retraining; rollback restores."""
    base, db_url = web_bot.web_url, web_bot.env["TRACKER_DB_URL"]
    add_staff(db_url, "erik", accounts.EDITOR)
    add_staff(db_url, "adam", accounts.ADMIN)
    rest = RestClient(web_bot.rasa_url)
    assert OLD_PROMISE in bot_says(rest, OLD_PROMISE)
    axe = AXE.exists()
    problems: dict[str, list] = {}

    editor_context, page = log_in(browser, base, "erik")
    page.goto(f"{base}/granska/innehall")
    page.get_by_role("link", name="Redigera Bygglov", exact=True).click()
    page.wait_for_url("**/granska/innehall/bygglov/redigera")
    texts = page.locator("textarea[id^=promises-][id$=-text]")
    ids = texts.evaluate_all(
        f"(all) => all.filter(e => e.value === {OLD_PROMISE!r}).map(e => e.id)"
    )
    assert len(ids) == 1
    promise = page.locator(f"#{ids[0]}")
    promise.fill(NEW_PROMISE)
    page.get_by_label("Källa (webbadress)").fill("skelleftea.se utan https")
    page.get_by_role("button", name="Spara utkast och förhandsgranska").click()
    error = page.locator("#source_url-error")
    assert error.inner_text().startswith("Skriv en hel webbadress")
    assert page.get_by_label("Källa (webbadress)").get_attribute("aria-describedby") == (
        "source_url-error"
    )
    assert promise.input_value() == NEW_PROMISE  # nothing lost
    shot(page, "h16b-edit-field-error.png")
    if axe:
        problems["redigera med fel"] = axe_violations(page)
    page.get_by_label("Källa (webbadress)").fill("https://skelleftea.se/bygglov")
    page.get_by_role("button", name="Spara utkast och förhandsgranska").click()
    page.wait_for_url("**/granska/innehall/bygglov/utkast?meddelande=draft_saved")
    preview = page.get_by_role("region", name="Tider och löften")
    assert NEW_PROMISE in preview.inner_text()
    shot(page, "h16b-preview.png")
    if axe:
        problems["utkast"] = axe_violations(page)
    page.get_by_role("button", name="Skicka för godkännande").click()
    page.wait_for_url("**meddelande=draft_submitted")
    assert OLD_PROMISE in bot_says(rest, OLD_PROMISE, 0)  # not published yet
    editor_context.close()

    admin_context, page = log_in(browser, base, "adam")
    page.goto(f"{base}/granska/innehall")
    assert "Väntar på godkännande" in page.locator("#tjanst-bygglov").inner_text()
    page.get_by_role("link", name="Utkast för Bygglov").click()
    page.get_by_role("button", name="Godkänn och publicera").click()
    page.wait_for_url("**meddelande=draft_published**")
    said = bot_says(rest, NEW_PROMISE)
    assert NEW_PROMISE in said and OLD_PROMISE not in said

    page.goto(f"{base}/granska/innehall/versioner")
    published_rows = page.locator("tbody tr")
    previous = published_rows.nth(1).locator("th").inner_text().split()[0]
    page.get_by_role("button", name=f"Återställ version {previous}").click()
    page.wait_for_url("**meddelande=content_rolled_back")
    said = bot_says(rest, OLD_PROMISE)
    assert OLD_PROMISE in said and NEW_PROMISE not in said
    admin_context.close()
    assert not any(problems.values()), json.dumps(problems, indent=1, ensure_ascii=False)

"""The chat widget in real Chromium (Debian's, driven by Playwright), against the real
servers: action server, Rasa and the web app, on free ports (`web_bot` in conftest.py).

Keyboard-only conversation, axe-core (WCAG 2.1 A/AA) at 1280 and 360 px, XSS from the
citizen and from the catalog, reload, "Radera min chatt" in the database, the bot down,
200 % text and reduced motion; and with the API misbehaving (Playwright's `page.route`):
an API that never answers, /api/texts failing, a 200 with no messages.
`make browser npm` installs Chromium and axe-core.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from bot.paths import PROJECT_ROOT
from bot.store import content_catalog as published
from bot.store.conversations import engine_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TITLE = "Fråga om kommunens service"
TOKEN_KEY = "skelleftea-chat.token"
KUNDTJANST_PHONE = "0910-73 50 00"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `make npm`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser):
    """new_page(viewport=..., csp=True, **context options) -> a page that records errors."""
    contexts = []

    def make(viewport: dict | None = None, csp: bool = False, **options):
        # bypass_csp lets axe be injected, and tests the widget's own safety without
        # leaning on the demo page's Content-Security-Policy.
        context = browser.new_context(
            viewport=viewport or DESKTOP, bypass_csp=not csp, locale="sv-SE", **options
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.on(
            "console", lambda message: message.type == "error" and page.errors.append(message.text)
        )
        return page

    yield make
    for context in contexts:
        context.close()


def load(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector(".skw-root[data-ready]", state="attached")


def open_widget(page) -> None:
    page.get_by_role("button", name=TITLE).click()
    page.wait_for_selector("#skw-input:focus")


def ask(page, text: str) -> None:
    """Type a question, send it with Enter and wait for the whole answer."""
    answers = page.locator(".skw-feedback, .skw-msg--system").count()
    page.fill("#skw-input", text)
    page.press("#skw-input", "Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.skw-feedback, .skw-msg--system').length > n", arg=answers
    )


def active(page, expression: str = "e.textContent.trim()"):
    return page.evaluate(f"(() => {{ const e = document.activeElement; return {expression}; }})()")


def sender_of(page) -> str | None:
    """The conversation's sender id: the first part of the token the server signed."""
    token = page.evaluate(f"sessionStorage.getItem('{TOKEN_KEY}')")
    return token.split(".")[0] if token else None


def rows(stack, table: str, sender: str) -> list[tuple]:
    path = stack.env["TRACKER_DB_URL"].split("sqlite:///", 1)[1]
    with sqlite3.connect(path) as connection:
        return connection.execute(
            f"select * from {table} where sender_id = ?", (sender,)
        ).fetchall()


def axe_violations(page) -> list[dict]:
    # Checked when nothing moves: mid-transition (a panel fading in) colours are half
    # transparent and axe would measure a contrast nobody reads.
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async tags => {
             const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
             return result.violations.map(v => ({id: v.id, impact: v.impact,
               nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
           }""",
        WCAG_TAGS,
    )


def test_a_whole_conversation_by_keyboard_only(web_bot, new_page, catalog):
    page = new_page(csp=True)  # with the demo page's Content-Security-Policy in force
    load(page, web_bot.web_url)
    for _ in range(30):
        page.keyboard.press("Tab")
        if active(page, "e.classList.contains('skw-launcher')"):
            break
    else:
        pytest.fail("Tab never reached the chat launcher")
    assert active(page) == TITLE and active(page, "e.getAttribute('aria-expanded')") == "false"

    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name=TITLE)
    assert dialog.is_visible()
    assert active(page, "e.id") == "skw-input"
    assert "personnummer" in dialog.inner_text() and "90 dagar" in dialog.inner_text()
    page.evaluate("""() => {
        const typing = document.querySelector('.skw-typing');
        const status = document.querySelector('.skw-panel [role=status]');
        window.__seen = {typing: false, status: ''};
        new MutationObserver(() => {
            if (!typing.hidden) { window.__seen.typing = true; }
            if (status.textContent) { window.__seen.status = status.textContent; }
        }).observe(document.querySelector('.skw-panel'),
                   {subtree: true, attributes: true, childList: true, characterData: true});
    }""")

    page.keyboard.type("hur lång tid tar det?")
    page.keyboard.press("Enter")
    page.wait_for_selector(".skw-reply")
    assert page.locator(".skw-reply").count() == len(catalog.declarations)
    seen = page.evaluate("window.__seen")
    assert seen["typing"] and seen["status"] == "Chattboten skriver …"
    assert page.locator(".skw-typing").is_hidden()

    # Tab (backwards from the input) to the quick reply "Bygglov" and press Enter.
    for _ in range(60):
        page.keyboard.press("Shift+Tab")
        if active(page) == "Bygglov":
            break
    else:
        pytest.fail("Tab never reached the quick reply 'Bygglov'")
    page.keyboard.press("Enter")
    page.wait_for_selector(".skw-card")
    assert page.locator(".skw-msg--user").last.inner_text().endswith("Bygglov")
    assert page.locator(".skw-replies").count() == 0
    assert active(page, "e.id") == "skw-input"
    page.wait_for_function("document.querySelectorAll('.skw-feedback').length === 2")
    assert "7 arbetsdagar" in page.locator(".skw-log").inner_text()

    # Thumbs up on the latest answer, by keyboard.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if active(page, "e.getAttribute('aria-label')") == "Ja, svaret hjälpte":
            break
    else:
        pytest.fail("Tab never reached the thumbs up")
    page.keyboard.press("Enter")
    page.wait_for_selector(".skw-feedback >> nth=1 >> [aria-pressed=true]")
    sender = sender_of(page)
    [rating] = rows(web_bot, "feedback", sender)
    assert rating[2:3] == (2,) and "up" in rating and "7 arbetsdagar" in rating[4]

    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert active(page, "e.classList.contains('skw-launcher')")
    assert active(page, "e.getAttribute('aria-expanded')") == "false"
    assert page.errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_axe_finds_no_wcag_violations_with_buttons_and_a_promise_card(web_bot, new_page, viewport):
    page = new_page(viewport=viewport)
    load(page, web_bot.web_url)
    assert axe_violations(page) == []  # the closed widget on the service page

    open_widget(page)
    ask(page, "hur lång tid tar bygglov?")
    ask(page, "vad kan du svara på")
    page.wait_for_selector(".skw-reply")
    assert page.locator(".skw-card").count() == 1
    page.locator(".skw-card summary").click()  # the card's other promises, opened
    page.locator(".skw-thumb").first.click()
    page.wait_for_selector("[aria-pressed=true]")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Radera min chatt").click()  # the confirmation too
    assert page.get_by_role("button", name="Ja, radera").is_visible()
    assert axe_violations(page) == []

    width = viewport["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate(
        "(() => { const s = document.querySelector('.skw-scroll');"
        " return s.scrollWidth <= s.clientWidth; })()"
    )
    box = page.locator(".skw-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    if width == 360:
        assert box["width"] == 360  # a phone gets the whole screen
    assert page.errors == []


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_axe_finds_no_wcag_violations_in_the_report_form(web_bot, new_page, viewport):
    page = new_page(viewport=viewport)
    load(page, web_bot.web_url)
    open_widget(page)
    ask(page, "vad händer om kommunen inte håller tiden för bygglov?")
    page.get_by_role("button", name="Anmäl att ett löfte inte hölls").click()
    page.wait_for_selector("form.skw-report")
    # The chat report's own button (REST, socket.io) is not the widget's: the API drops it.
    assert page.get_by_role("button", name="Anmäl", exact=True).count() == 0
    assert axe_violations(page) == []  # the form as it opens

    page.get_by_label("Ja, jag vill ha svar").check()  # the contact fields shown
    page.get_by_role("button", name="Skicka anmälan").click()  # nothing chosen: the error
    page.wait_for_selector("form.skw-report .skw-error:not([hidden])")
    assert axe_violations(page) == []

    page.locator("input[name='skw-report-promise']").first.check()
    page.get_by_label("Vad hände? Beskriv kort.").fill("Ingen har hört av sig.")
    page.get_by_label("Nej, jag anmäler anonymt").check()
    page.get_by_role("button", name="Skicka anmälan").click()
    page.locator(".skw-case-number").wait_for()  # the confirmation with the number
    assert axe_violations(page) == []
    width = viewport["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # The console's only error is the refused first submit's answer (422, shown in the form).
    assert [e for e in page.errors if "422" not in e] == []
    assert len(page.errors) == 1


XSS = "<img src=x onerror=window.__xss=1>"


def test_user_and_catalog_text_render_as_text_and_run_nothing(web_bot, new_page):
    page = new_page()
    load(page, web_bot.web_url)
    open_widget(page)
    ask(page, XSS)
    assert page.locator(".skw-msg--user").last.inner_text().endswith(XSS)

    # Published the way staff publish (bot content import): the stack's web app seeded the
    # tracker database from its catalog copy, and the action server follows that.
    engine = engine_for(web_bot.env["TRACKER_DB_URL"])
    before = published.published_version(engine)
    texts = published.documents(engine)
    data = yaml.safe_load(texts["bygglov.yml"])
    data["name"] = "Bygglov <img src=x onerror=window.__xss=2>"
    data["responsible_board"] = "Nämnden <script>window.__xss=3</script>"
    timed = next(p for p in data["promises"] if p.get("commitment"))
    timed["text"] += " <img src=x onerror=window.__xss=4>"
    timed["commitment"] += " <b onmouseover=window.__xss=5>"
    data["source_url"] = 'https://www.skelleftea.se/"><img/src=x/onerror=window.__xss=6>'
    texts["bygglov.yml"] = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        published.publish(engine, texts, "e2e", published.IMPORT, before)
        time.sleep(1.5)  # the action server looks for catalog changes once a second
        ask(page, "hur lång tid tar bygglov?")
        card = page.locator(".skw-card")
        card.wait_for()
        assert "<img src=x onerror=window.__xss=2>" in card.locator("h3").inner_text()
        assert "<img src=x onerror=window.__xss=4>" in card.inner_text()
        assert "<b onmouseover=window.__xss=5>" in card.inner_text()
        assert "<img src=x onerror=window.__xss=4>" in page.locator(".skw-log").inner_text()
        page.locator(".skw-card summary").click()
        page.mouse.move(100, 100)
        assert page.evaluate("window.__xss") is None
        root = page.locator(".skw-root")
        assert root.locator("img, script, b, iframe").count() == 0
        hrefs = root.locator("a").evaluate_all("links => links.map(a => a.href)")
        assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
        assert any("%22%3E%3Cimg" in h for h in hrefs)  # the quote stayed inside the URL
        assert page.errors == []
    finally:
        if before is not None:
            published.rollback(engine, before, "e2e", published.published_version(engine))
        time.sleep(1.2)


def test_the_widget_says_it_is_a_chatbot_before_the_first_question(web_bot, new_page):
    from bot.core.texts import domain_response_text
    from bot.names import UTTER_AI_DISCLOSURE

    disclosure = domain_response_text(UTTER_AI_DISCLOSURE)
    page = new_page()
    load(page, web_bot.web_url)
    open_widget(page)
    log = page.get_by_role("log", name="Konversation med chattboten")
    first = log.locator(":scope > *").first  # in the log, so screen readers read it there
    assert first.text_content() == "Chattboten: " + disclosure
    assert first.is_visible()
    ask(page, "hur lång tid tar bygglov?")
    # The first reply brings the same sentence (REST and socket.io clients need it): once.
    assert log.inner_text().count(disclosure) == 1
    assert log.locator(":scope > *").first.text_content() == "Chattboten: " + disclosure
    page.reload()
    page.wait_for_selector(".skw-root[data-ready]", state="attached")
    assert page.get_by_role("log").inner_text().count(disclosure) == 1
    assert page.errors == []


def test_spara_samtalet_downloads_the_conversation_masked_as_stored(web_bot, new_page):
    page = new_page()
    load(page, web_bot.web_url)
    open_widget(page)
    save = page.get_by_role("button", name="Spara samtalet")
    save.click()  # nothing asked yet: nothing to save, and it says so
    page.wait_for_selector("text=Det finns inget samtal att spara än")
    ask(page, "ring mig på 070-765 43 21, hur lång tid tar bygglov?")
    assert "765 43 21" in page.locator(".skw-log").inner_text()  # as the citizen typed it
    with page.expect_download() as download_info:
        save.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".txt")
    copy = Path(download.path()).read_text(encoding="utf-8")
    assert "Du: ring mig på [telefon], hur lång tid tar bygglov?" in copy
    assert "765 43 21" not in copy
    assert "automatisk chattbot" in copy  # the disclosure, as the first reply said it
    assert sum(line.startswith("[") and " Chattboten: " in line for line in copy.splitlines()) >= 2
    page.wait_for_selector("text=Samtalet är sparat som en textfil.", state="attached")
    assert page.errors == []


def test_reload_keeps_the_conversation(web_bot, new_page):
    page = new_page()
    load(page, web_bot.web_url)
    open_widget(page)
    ask(page, "hur lång tid tar bygglov?")
    page.locator(".skw-thumb").first.click()
    page.wait_for_selector("[aria-pressed=true]")
    sender = sender_of(page)
    before = page.locator(".skw-log").inner_text()

    page.reload()
    page.wait_for_selector(".skw-root[data-ready]", state="attached")
    assert page.get_by_role("dialog", name=TITLE).is_visible()  # it was open: still open
    assert sender_of(page) == sender
    assert page.locator(".skw-log").inner_text() == before
    assert page.locator(".skw-card").count() == 1
    assert page.locator(".skw-thumb").first.get_attribute("aria-pressed") == "true"
    ask(page, "och om ni inte håller det?")  # the conversation goes on, same sender
    assert sender_of(page) == sender


def test_radera_min_chatt_deletes_it_from_the_tracker_store(web_bot, new_page):
    page = new_page()
    load(page, web_bot.web_url)
    open_widget(page)
    ask(page, "hur lång tid tar bygglov?")
    page.locator(".skw-thumb").first.click()
    page.wait_for_selector("[aria-pressed=true]")
    sender = sender_of(page)
    assert len(rows(web_bot, "events", sender)) > 3
    assert len(rows(web_bot, "feedback", sender)) == 1

    page.get_by_role("button", name="Radera min chatt").click()
    assert active(page) == "Avbryt"  # the safe choice has focus
    page.get_by_role("button", name="Ja, radera").click()
    page.wait_for_selector("text=Din chatt är raderad")
    assert rows(web_bot, "events", sender) == []
    assert rows(web_bot, "feedback", sender) == []
    assert sender_of(page) is None
    assert page.locator(".skw-log .skw-msg--bot, .skw-log .skw-card").count() == 1
    assert page.locator(".skw-log .skw-disclosure").count() == 1  # only the AI disclosure

    ask(page, "hej")
    assert sender_of(page) not in (None, sender)  # a fresh conversation


def test_the_widget_gives_kundtjansts_number_when_the_bot_is_down(new_page, tmp_path):
    from bench.harness import sqlite_stack

    # Only the web app, pointed at a Rasa port where nothing listens.
    stack = sqlite_stack(Path("unused"), tmp_path)
    stack.start_web()
    try:
        page = new_page()
        load(page, stack.web_url)
        open_widget(page)
        ask(page, "hur lång tid tar bygglov?")
        problem = page.locator(".skw-msg--system").inner_text()
        assert KUNDTJANST_PHONE in problem
        assert page.locator(".skw-msg--user").count() == 1  # the question stays visible
        assert "Traceback" not in page.locator(".skw-root").inner_text()
    finally:
        stack.stop()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "360px"])
def test_text_at_200_percent_loses_nothing(web_bot, new_page, viewport):
    page = new_page(viewport=viewport)
    page.add_init_script("document.documentElement.style.fontSize = '200%'")
    load(page, web_bot.web_url)
    launcher = page.locator(".skw-launcher")
    assert launcher.evaluate("b => b.scrollWidth <= b.clientWidth")
    open_widget(page)
    ask(page, "hur lång tid tar bygglov?")
    width, height = viewport["width"], viewport["height"]
    for selector in (".skw-close", "#skw-input", ".skw-send", ".skw-delete"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, selector
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, selector
    assert page.evaluate(
        "(() => { const s = document.querySelector('.skw-scroll');"
        " return s.scrollWidth <= s.clientWidth && s.clientHeight > 80; })()"
    )


def test_motion_follows_the_citizens_setting(web_bot, new_page):
    for setting, animation in (("reduce", "none"), ("no-preference", "skw-in")):
        page = new_page(reduced_motion=setting)
        load(page, web_bot.web_url)
        open_widget(page)
        assert (
            page.locator(".skw-panel").evaluate("p => getComputedStyle(p).animationName")
            == animation
        )


# ------------------------------------------------------------------ the API misbehaving


@pytest.fixture(scope="module")
def web_only(tmp_path_factory):
    """Only the web app, pointed at a Rasa port where nothing listens; the tests answer
    for the API with page.route where they need an answer."""
    from bench.harness import sqlite_stack

    stack = sqlite_stack(Path("unused"), tmp_path_factory.mktemp("web-only"))
    stack.start_web()
    yield stack
    stack.stop()


def with_timeout(page, seconds: float) -> None:
    """/api/texts as the server sends it, with the widget's timeout set to `seconds`."""

    def texts(route):
        response = route.fetch()
        body = response.json()
        body["limits"]["timeout_seconds"] = seconds
        route.fulfill(response=response, json=body)

    page.route("**/api/texts", texts)


def fault_text(page) -> str:
    page.wait_for_selector(".skw-msg--system")
    return page.locator(".skw-msg--system").last.inner_text()


def test_an_api_that_never_answers_gives_the_fault_message_and_the_chat_goes_on(web_only, new_page):
    """Issue 14, finding 6: the typing indicator stayed for good and every further
    message was dropped without a word."""
    page = new_page()
    with_timeout(page, 1)
    unanswered = []
    page.route("**/api/chat", lambda route: unanswered.append(route))  # never answered
    load(page, web_only.web_url)
    open_widget(page)
    page.fill("#skw-input", "hur lång tid tar bygglov?")
    page.press("#skw-input", "Enter")
    assert KUNDTJANST_PHONE in fault_text(page)
    assert len(unanswered) == 1
    assert page.locator(".skw-typing").is_hidden()
    assert page.locator(".skw-msg--user").count() == 1

    page.unroute("**/api/chat")
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(
            json={"token": None, "turn": None, "messages": [{"text": "Svar nummer två"}]}
        ),
    )
    page.fill("#skw-input", "och nu?")
    page.press("#skw-input", "Enter")
    page.wait_for_selector("text=Svar nummer två")
    assert page.locator(".skw-msg--user").count() == 2
    assert page.locator(".skw-typing").is_hidden()


def test_a_failing_texts_request_still_gives_the_chat_button_and_the_fault_message(
    web_only, new_page
):
    page = new_page(csp=True)
    page.route(
        "**/api/texts",
        lambda route: route.fulfill(status=500, json={"error": "internal", "message": "x"}),
    )
    page.goto(web_only.web_url + "/")
    page.wait_for_selector(".skw-root[data-ready=fault]", state="attached")
    page.get_by_role("button", name=TITLE).click()
    dialog = page.get_by_role("dialog", name=TITLE)
    assert dialog.is_visible()
    assert active(page, "e.classList.contains('skw-close')")
    assert KUNDTJANST_PHONE in dialog.inner_text()
    assert "kan inte svara just nu" in dialog.inner_text()
    page.keyboard.press("Escape")
    assert dialog.is_hidden()
    assert active(page, "e.classList.contains('skw-launcher')")


def test_the_fault_panel_has_no_wcag_violations(web_only, new_page):
    page = new_page()
    page.route("**/api/texts", lambda route: route.fulfill(status=500, body=""))
    page.goto(web_only.web_url + "/")
    page.wait_for_selector(".skw-root[data-ready=fault]", state="attached")
    assert axe_violations(page) == []
    page.get_by_role("button", name=TITLE).click()
    assert page.get_by_role("dialog", name=TITLE).is_visible()
    assert axe_violations(page) == []


def test_an_answer_with_no_messages_gives_the_fault_message(web_only, new_page):
    page = new_page()
    page.route(
        "**/api/chat",
        lambda route: route.fulfill(json={"token": None, "turn": 1, "messages": []}),
    )
    load(page, web_only.web_url)
    open_widget(page)
    page.fill("#skw-input", "hur lång tid tar bygglov?")
    page.press("#skw-input", "Enter")
    assert KUNDTJANST_PHONE in fault_text(page)
    assert page.locator(".skw-feedback").count() == 0  # no thumbs for an answer not shown


def test_an_english_conversation_and_a_finnish_message_carry_their_language(web_bot, new_page):
    page = new_page(viewport=DESKTOP)
    load(page, web_bot.web_url)
    open_widget(page)
    ask(page, "how long does a building permit take?")
    root = page.locator(".skw-root")
    assert root.get_attribute("lang") == "en"  # the widget's own texts follow the answers
    assert page.get_by_role("button", name="Delete my chat").is_visible()
    assert page.locator("#skw-input").get_attribute("placeholder").startswith("E.g.")
    assert page.locator(".skw-msg--user").last.get_attribute("lang") == "en"
    answer = page.locator(".skw-log .skw-msg--bot:not(.skw-disclosure)")
    assert {answer.nth(i).get_attribute("lang") for i in range(answer.count())} == {"en"}
    # The disclosure before the first question is Swedish, and says so inside English.
    assert page.locator(".skw-disclosure").get_attribute("lang") == "sv"
    assert "Source:" in page.locator(".skw-log").inner_text()
    assert axe_violations(page) == []

    ask(page, "Saanko asioida suomeksi?")
    finnish = page.locator(".skw-log .skw-msg--bot").last
    assert finnish.get_attribute("lang") == "fi" and "suomea" in finnish.inner_text()
    assert page.locator(".skw-msg--user").last.get_attribute("lang") == "fi"
    assert root.get_attribute("lang") == "en"  # no widget texts in Finnish: they stay
    assert axe_violations(page) == []

    # Restored after a reload, every bubble keeps the language it had (issue 15).
    live = bubble_languages(page)
    page.reload()
    page.wait_for_selector(".skw-root[data-ready]", state="attached")
    assert bubble_languages(page) == live
    assert live[-2:] == [("user", "fi"), ("bot", "fi")]
    assert ("bot", "en") in live and ("user", "en") in live
    assert page.locator(".skw-root").get_attribute("lang") == "en"
    assert axe_violations(page) == []
    assert page.errors == []


def bubble_languages(page) -> list[tuple[str, str | None]]:
    """Each message bubble of the log (not the disclosure): who said it, and its lang."""
    bubbles = page.locator(".skw-log .skw-msg:not(.skw-disclosure)")
    return [
        (
            "user" if "skw-msg--user" in (bubbles.nth(i).get_attribute("class") or "") else "bot",
            bubbles.nth(i).get_attribute("lang"),
        )
        for i in range(bubbles.count())
    ]

"""The web app's routes through Sanic's test client, with Rasa replaced by a tiny fake
aiohttp server that answers like Rasa's REST channel and writes the tracker store's
`events` rows like Rasa does. Every bad input gets a 4xx JSON error with Swedish text;
Rasa down, slow or broken gets a 503 with Kundtjänst's phone number."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from aiohttp import web
from sanic import Sanic

from bot.core.catalog import CatalogError
from bot.ops.stack import free_port
from bot.web import WebConfig, create_app
from bot.web.api.models import TOKEN_HEADER
from bot.web.api.rasa import WEBHOOK_PATH
from bot.web.api.rate_limit import RateLimiter
from bot.web.api.tokens import ConversationTokens
from bot.web.config import DEFAULT_TEXTS_FILE
from bot.web.texts import load_web_texts

KUNDTJANST_PHONE = "0910-73 50 00"
TEXTS = yaml.safe_load(DEFAULT_TEXTS_FILE.read_text(encoding="utf-8"))
BUTTONS = [{"title": "Bygglov", "payload": '/inform_service{"service":"bygglov"}'}]
CARD = {
    "type": "promise_card",
    "name": "Bygglov",
    "promises": [],
    "source_url": "https://www.skelleftea.se/bygglov",
    "reviewed": "2019-01-01",
}
# A sender id of the form the server makes, which no client may choose.
CHOSEN_SENDER = "0123456789abcdef0123456789abcdef"


class FakeRasa:
    """Answers POST /webhooks/rest/webhook like Rasa, in a thread; `mode` picks how."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.mode = "answer"  # answer | empty | error | slow | not_json | overtaken (once)
        self.received: list[dict] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        with sqlite3.connect(db_path) as connection:
            connection.execute(
                "create table if not exists events (id integer primary key, sender_id text, "
                "type_name text, timestamp real, intent_name text, action_name text, data text)"
            )

    def start(self) -> FakeRasa:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._webhook)
        runner = web.AppRunner(app)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._ready.set()
        self._loop.run_forever()

    def _store(self, sender: str, type_name: str, data: dict) -> None:
        with sqlite3.connect(self.db_path) as connection:
            connection.execute(
                "insert into events (sender_id, type_name, timestamp, data) values (?,?,?,?)",
                (sender, type_name, time.time(), json.dumps({"event": type_name, **data})),
            )

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.received.append(body)
        sender, text = body["sender"], body["message"]
        if self.mode == "error":
            return web.Response(status=500, text="Internal Server Error")
        if self.mode == "slow":
            await asyncio.sleep(3)
        if self.mode == "not_json":
            return web.Response(text="<html>proxy error</html>")
        # Rasa stores the caller's message_id with the user event; our NLU adds the language
        # of a message that says enough (here: English questions start with "how").
        entities = [{"entity": "language", "value": "en"}] if text.startswith("how") else []
        parse_data = {"intent": {"name": "ask_promises"}, "entities": entities}
        user = {"text": text, "message_id": body.get("message_id"), "parse_data": parse_data}
        self._store(sender, "user", user)
        if self.mode == "overtaken":
            # The conversation's next message, sent at the same moment, is stored before
            # the web app reads anything back (Rasa takes them one at a time).
            self._store(sender, "user", {"text": f"samtidigt med {text}", "message_id": "x"})
            self.mode = "answer"
        if self.mode == "empty":  # what Rasa answers when the action server is down
            return web.json_response([])
        self._store(sender, "bot", {"text": f"Svar: {text}", "data": {"buttons": BUTTONS}})
        self._store(sender, "bot", {"text": None, "data": {"custom": CARD}})
        return web.json_response(
            [
                {"recipient_id": sender, "text": f"Svar: {text}", "buttons": BUTTONS},
                {"recipient_id": sender, "custom": CARD},
            ]
        )


@pytest.fixture(autouse=True)
def _sanic_test_mode(monkeypatch):
    # Lets each test build its own app under the same name.
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def fake_rasa(db_path):
    rasa = FakeRasa(db_path).start()
    yield rasa
    rasa.stop()


@pytest.fixture
def config(fake_rasa, db_path) -> WebConfig:
    return WebConfig(
        rasa_url=fake_rasa.url, tracker_db_url=f"sqlite:///{db_path}", rasa_timeout_seconds=1.0
    )


@pytest.fixture
def app(config) -> Sanic:
    return create_app(config)


def post_json(app: Sanic, path: str, body) -> tuple:
    return app.test_client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def start(app: Sanic, message: str = "hej") -> dict:
    """A new conversation: its first answer, with the token that is its key."""
    _, response = post_json(app, "/api/chat", {"message": message})
    assert response.status == 200, response.text
    return response.json


def chat(app: Sanic, token: str, message: str = "hej") -> dict:
    _, response = post_json(app, "/api/chat", {"token": token, "message": message})
    assert response.status == 200, response.text
    return response.json


def read(app: Sanic, token: str | None, method: str = "get"):
    headers = {TOKEN_HEADER: token} if token is not None else {}
    _, response = getattr(app.test_client, method)("/api/conversation", headers=headers)
    return response


def assert_error(response, status: int, code: str) -> None:
    assert response.status == status, response.text
    assert response.content_type.startswith("application/json")
    assert response.json["error"] == code
    message = response.json["message"]
    assert message == TEXTS["errors"][code].format(
        kundtjanst_phone=KUNDTJANST_PHONE, max_message_chars=1000
    )
    assert "Traceback" not in response.text


# ------------------------------------------------------------------ widget feature


def test_demo_page_embeds_the_widget_with_one_script_tag(app):
    _, response = app.test_client.get("/")
    assert response.status == 200
    html = response.text
    assert '<html lang="sv">' in html and "<h1>Bygglov</h1>" in html
    assert html.count("<script") == 1
    assert '<script src="/widget/chat.js" defer data-title="Fråga om kommunens service" ' in html
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_the_script_tag_carries_the_fault_texts_from_the_data_file(app):
    """Issue 14, finding 6: if /api/texts fails the widget still needs its button and the
    fault message with Kundtjänst's number; they come from web_texts.yml, in the tag."""
    import html as html_module
    import re

    _, response = app.test_client.get("/")
    [attribute] = re.findall(r'data-fallback-texts="([^"]*)"', response.text)
    texts = json.loads(html_module.unescape(attribute))
    widget = {
        key: value.format(kundtjanst_phone=KUNDTJANST_PHONE)
        for key, value in TEXTS["widget"].items()
        if isinstance(value, str)
    }
    assert texts == {key: widget[key] for key in ("launcher", "title", "close", "unavailable")}
    assert KUNDTJANST_PHONE in texts["unavailable"]


@pytest.mark.parametrize(
    "path", ["/widget/", "/widget//", "/widget/%2e/", "/widget/./", "/widget/nothing.js"]
)
def test_the_widget_folder_itself_is_not_found(app, path):
    """Sanic's folder route answered 500 for the folder itself (it opened the folder)."""
    _, response = app.test_client.get(path)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "path, mime",
    [
        ("/widget/chat.js", "javascript"),
        ("/widget/chat.css", "text/css"),
        ("/page.css", "text/css"),
    ],
)
def test_widget_files_are_served_by_us(app, path, mime):
    _, response = app.test_client.get(path)
    assert response.status == 200 and mime in response.content_type
    assert response.headers["x-content-type-options"] == "nosniff"


def test_widget_script_never_uses_innerhtml_with_data():
    script = (Path(__file__).parents[2] / "bot/web/widget/static/chat.js").read_text()
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script


def test_texts_come_from_the_data_file(app):
    _, response = app.test_client.get("/api/texts")
    assert response.status == 200
    assert response.json["texts"]["delete"] == TEXTS["widget"]["delete"] == "Radera min chatt"
    assert response.json["limits"] == {
        "max_message_chars": 1000,
        "max_description_chars": 2000,
        "timeout_seconds": 15.0,
    }


@pytest.mark.parametrize("path", ["/", "/api/health", "/granska/logga-in"])
def test_hsts_only_over_tls_as_a_trusted_proxy_reports_it(config, path):
    app = create_app(config)
    app.config.PROXIES_COUNT = 1  # SANIC_PROXIES_COUNT=1 behind the municipal proxy
    proxied = {"X-Forwarded-For": "192.0.2.7"}
    _, over_tls = app.test_client.get(path, headers={**proxied, "X-Forwarded-Proto": "https"})
    assert over_tls.headers["strict-transport-security"] == "max-age=31536000"
    _, plain = app.test_client.get(path, headers={**proxied, "X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in plain.headers

    untrusted = create_app(config)  # no proxy configured: the header is anyone's to send
    _, response = untrusted.test_client.get(path, headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in response.headers


# ------------------------------------------------------------------ chat


def test_chat_makes_a_sender_id_and_passes_rasas_answer_on(app, fake_rasa):
    _, response = post_json(app, "/api/chat", {"message": "hur lång tid tar bygglov?"})
    assert response.status == 200, response.text
    body = response.json
    assert len(body["sender"]) == 32 and int(body["sender"], 16) >= 0
    assert body["token"].startswith(body["sender"] + ".")
    assert body["turn"] == 1
    assert body["messages"] == [
        {"text": "Svar: hur lång tid tar bygglov?", "buttons": BUTTONS},
        {"custom": CARD},
    ]
    [received] = fake_rasa.received
    assert received["sender"] == body["sender"]
    assert received["message"] == "hur lång tid tar bygglov?"
    assert len(received["message_id"]) == 32
    assert response.headers["cache-control"] == "no-store"

    again = chat(app, body["token"], "och?")
    assert again["sender"] == body["sender"] and again["turn"] == 2
    assert again["token"] == body["token"]


def test_chat_says_the_language_of_the_answer_and_of_the_message(app, fake_rasa):
    swedish = post_json(app, "/api/chat", {"message": "hur lång tid tar bygglov?"})[1].json
    assert (swedish["lang"], swedish["message_lang"]) == ("sv", None)
    english = chat(app, swedish["token"], "how long does bygglov take?")
    assert (english["lang"], english["message_lang"]) == ("en", "en")
    # too short to tell: the conversation stays English
    follow_up = chat(app, swedish["token"], "bygglov")
    assert (follow_up["lang"], follow_up["message_lang"]) == ("en", None)


def test_the_widgets_texts_in_english_have_every_key_of_the_swedish(app):
    _, response = app.test_client.get("/api/texts")
    by_language = response.json["texts_by_language"]
    assert by_language["sv"] == response.json["texts"]
    assert set(by_language["en"]) == set(by_language["sv"])
    assert by_language["en"]["delete"] == "Delete my chat"


def test_chat_cleans_the_text_before_forwarding(app, fake_rasa):
    # Control characters dropped, decomposed å/ä/ö composed (NFC), whitespace trimmed.
    start(app, "  hej\x00 da\u0308 \x07 ")
    assert fake_rasa.received[-1]["message"] == "hej dä"


def test_a_message_of_exactly_the_limit_is_accepted(app):
    start(app, "å" * 1000)


@pytest.mark.parametrize(
    "content_type, body, status, code",
    [
        ("text/plain", b'{"message": "hej"}', 415, "wrong_content_type"),
        ("application/x-www-form-urlencoded", b"message=hej", 415, "wrong_content_type"),
        (None, b'{"message": "hej"}', 415, "wrong_content_type"),
        ("application/json", b"", 400, "invalid_json"),
        ("application/json", b'{"message": "hej"', 400, "invalid_json"),
        ("application/json", b"\xff\xfe\x00binary\x89PNG", 400, "invalid_encoding"),
        ("application/json", b'{"message": "hej \xe5"}', 400, "invalid_encoding"),
        ("application/json", b'{"message": "\\ud800"}', 400, "invalid_encoding"),
        ("application/json", b'["hej"]', 400, "invalid_request"),
        ("application/json", b'"hej"', 400, "invalid_request"),
        ("application/json", b"{}", 400, "invalid_request"),
        ("application/json", b'{"message": 42}', 400, "invalid_request"),
        ("application/json", b'{"message": null}', 400, "invalid_request"),
        ("application/json", b'{"message": ["hej"]}', 400, "invalid_request"),
        ("application/json", b'{"message": "hej", "sender": 12345678}', 400, "sender_not_accepted"),
        ("application/json", b'{"message": "hej", "sender": null}', 400, "sender_not_accepted"),
        (
            "application/json",
            b'{"message": "hej", "sender": "' + CHOSEN_SENDER.encode() + b'"}',
            400,
            "sender_not_accepted",
        ),
        ("application/json", b'{"message": "hej", "token": 12345678}', 403, "invalid_token"),
        ("application/json", b'{"message": "hej", "token": "made-up"}', 403, "invalid_token"),
        # Python's json module gives up 1,000 levels deep (RecursionError): still bad JSON.
        ("application/json", b"[" * 8000 + b"]" * 8000, 400, "invalid_json"),
        (
            "application/json",
            b'{"message": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2001,
            400,
            "invalid_json",
        ),
        ("application/json", b'{"message": ""}', 422, "empty_message"),
        ("application/json", b'{"message": " \\n\\t "}', 422, "empty_message"),
        ("application/json", b'{"message": "\\u0000"}', 422, "empty_message"),
        ("application/json", json.dumps({"message": "a" * 1001}).encode(), 422, "message_too_long"),
        # Over the 16 KiB body limit, yet small enough that the client has sent it all before
        # the server answers (a much larger body races the 413 against a reset connection).
        ("application/json", b'{"message": "' + b"a" * 20_000 + b'"}', 413, "request_too_large"),
    ],
    ids=lambda value: repr(value[:24]) if isinstance(value, bytes) else None,
)
def test_bad_chat_input_is_refused_with_a_swedish_message(
    app, fake_rasa, content_type, body, status, code
):
    headers = {"Content-Type": content_type} if content_type else {}
    _, response = app.test_client.post("/api/chat", content=body, headers=headers)
    assert_error(response, status, code)
    assert fake_rasa.received == []


def test_too_long_message_says_the_limit(app):
    _, response = post_json(app, "/api/chat", {"message": "a" * 1001})
    assert "1000 tecken" in response.json["message"]


def test_the_limit_is_configurable(config):
    app = create_app(replace(config, max_message_chars=10))
    _, response = post_json(app, "/api/chat", {"message": "a" * 11})
    assert response.status == 422 and "10 tecken" in response.json["message"]


def test_rate_limit_per_conversation(config, fake_rasa):
    app = create_app(replace(config, rate_limit_messages=3))
    token = start(app)["token"]
    for _ in range(2):
        chat(app, token)
    _, response = post_json(app, "/api/chat", {"token": token, "message": "hej"})
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert len(fake_rasa.received) == 3
    start(app)  # another conversation has its own count


def test_leaving_out_the_token_does_not_dodge_the_rate_limit(config):
    app = create_app(replace(config, rate_limit_messages=1, rate_limit_new_conversations=2))
    statuses = [post_json(app, "/api/chat", {"message": "hej"})[1].status for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_client_chosen_sender_id_cannot_dodge_the_new_conversation_limit(config, fake_rasa):
    """Issue 14, finding 2: 60 of 60 made-up ids were accepted after the limit was used up."""
    app = create_app(replace(config, rate_limit_new_conversations=2))
    start(app)
    start(app)
    refused = []
    for number in range(60):
        sender = f"{number:032x}"
        _, response = post_json(app, "/api/chat", {"sender": sender, "message": "hej"})
        refused.append(response.status)
    assert set(refused) == {400}
    assert len(fake_rasa.received) == 2
    assert_error(post_json(app, "/api/chat", {"message": "hej"})[1], 429, "rate_limited")


@pytest.mark.parametrize(
    "forge",
    [
        lambda token, sender: CHOSEN_SENDER,  # an id alone
        lambda token, sender: f"{CHOSEN_SENDER}.{token.split('.')[1]}",  # another's signature
        lambda token, sender: token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered
        lambda token, sender: token + "\n",  # with a line break after it
        lambda token, sender: (
            ConversationTokens("another secret " * 3)  # another secret
            .new_conversation()
            .token
        ),
    ],
    ids=["bare id", "signature of another id", "altered", "newline", "other secret"],
)
def test_a_made_up_or_altered_token_is_refused(app, fake_rasa, forge):
    first = start(app)
    forged = forge(first["token"], first["sender"])
    _, response = post_json(app, "/api/chat", {"token": forged, "message": "hej"})
    assert_error(response, 403, "invalid_token")
    if "\n" not in forged:  # no HTTP client sends a line break in a header
        assert read(app, forged).status == 403
        assert read(app, forged, "delete").status == 403
    assert len(fake_rasa.received) == 1


def test_every_message_counts_against_the_address_whatever_the_conversation(config, fake_rasa):
    """One address pushed 2,105 messages in 55 s over many conversations: now it may send
    RATE_LIMIT_ADDRESS_MESSAGES a window, however it spreads them."""
    app = create_app(
        replace(config, rate_limit_address_messages=5, rate_limit_new_conversations=100)
    )
    tokens = [start(app)["token"] for _ in range(3)]
    chat(app, tokens[0])
    chat(app, tokens[1])
    for body in ({"token": tokens[2], "message": "hej"}, {"message": "hej"}):
        _, response = post_json(app, "/api/chat", body)
        assert_error(response, 429, "rate_limited")
    assert len(fake_rasa.received) == 5


def test_rate_limiter_window_slides():
    now = [0.0]
    limiter = RateLimiter(2, 60, clock=lambda: now[0])
    assert limiter.retry_after("a") is None
    now[0] = 10
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("a") == 50
    now[0] = 60.5
    assert limiter.retry_after("a") is None
    assert limiter.retry_after("b") is None


# ------------------------------------------------------------------ Rasa's intent syntax


@pytest.mark.parametrize(
    "message",
    [
        '/ask_promises{"service":"=HYPERLINK(\\"https://evil.example\\",\\"Klicka\\")"}',
        '/ask_promises{"unknown_service":"=1+1"}',
        '/inform_service{"service":"bygglov","unknown_service":"x"}',
        '/inform_service{"service":"finns_inte"}',
        '/inform_service{"service":["bygglov"]}',
        '/greet{"service":"bygglov"}',  # the greeting's buttons never carry a service
        "/restart",
        "/session_start",
        "/nlu_fallback",
        "/greet@1.0",
        '/ask_promises@0.9{"service":"bygglov"}',
        "/ hur lång tid tar bygglov?",
        '\u2003 /ask_promises{"service":"=1+1"}',  # Rasa strips spaces before the slash
    ],
)
def test_rasa_intent_syntax_is_refused_unless_the_bots_own_buttons_send_it(app, fake_rasa, message):
    """Issue 14, finding 3: `/ask_promises{"service":"=HYPERLINK(...)"}` reached Rasa as a
    trusted entity and ended as a live formula in the CSV exports."""
    _, response = post_json(app, "/api/chat", {"message": message})
    assert_error(response, 422, "command_not_allowed")
    assert fake_rasa.received == []


@pytest.mark.parametrize(
    "message, forwarded",
    [
        ('/inform_service{"service":"bygglov"}', '/inform_service{"service":"bygglov"}'),
        ('/ask_overview{ "service" : "bygglov" }', '/ask_overview{"service":"bygglov"}'),
        ('/ask_promises{"service":"bygglov"}', '/ask_promises{"service":"bygglov"}'),
        ("/out_of_scope", "/out_of_scope"),
        ("/human_handoff", "/human_handoff"),
        ("hur lång tid tar bygglov? /svar", "hur lång tid tar bygglov? /svar"),
    ],
)
def test_the_payloads_of_the_bots_buttons_pass_in_their_own_spelling(
    app, fake_rasa, message, forwarded
):
    start(app, message)
    assert fake_rasa.received[-1]["message"] == forwarded


@pytest.mark.parametrize("mode", ["empty", "error", "slow", "not_json"])
def test_rasa_or_action_server_trouble_is_a_friendly_503(config, fake_rasa, mode):
    fake_rasa.mode = mode
    app = create_app(replace(config, rasa_timeout_seconds=0.5))
    started = time.monotonic()
    _, response = post_json(app, "/api/chat", {"message": "hej"})
    assert_error(response, 503, "unavailable")
    assert KUNDTJANST_PHONE in response.json["message"]
    assert time.monotonic() - started < 2.5


def test_rasa_not_running_is_a_friendly_503(config):
    closed = free_port()
    app = create_app(replace(config, rasa_url=f"http://127.0.0.1:{closed}"))
    _, response = post_json(app, "/api/chat", {"message": "hej"})
    assert_error(response, 503, "unavailable")
    assert KUNDTJANST_PHONE in response.json["message"]


def test_unknown_route_is_json(app):
    _, response = app.test_client.get("/api/nothing")
    assert_error(response, 404, "not_found")


@pytest.mark.filterwarnings("ignore:You have set a listener:UserWarning")
def test_wrong_method_is_json(app):
    # test_client installs its own 405 handler on the app; the ASGI client leaves ours.
    async def get_chat():
        client = app.asgi_client
        try:
            return await client.get("/api/chat")
        finally:
            await client.aclose()

    _, response = asyncio.run(get_chat())
    assert_error(response, 405, "method_not_allowed")


def test_an_unexpected_error_is_logged_not_shown(app, monkeypatch):
    from bot.store import conversations

    def broken(*args):
        raise RuntimeError("secret internals")

    token = start(app)["token"]
    monkeypatch.setattr(conversations, "transcript", broken)
    response = read(app, token)
    assert_error(response, 500, "internal")
    assert "secret internals" not in response.text


# ------------------------------------------------------------------ transcript, delete, feedback


def events_of(db_path: Path, sender: str) -> int:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "select count(*) from events where sender_id = ?", (sender,)
        ).fetchone()[0]


def feedback_rows(db_path: Path, sender: str) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "select message_index, bot_text, rating, message_timestamp, created_at "
            "from feedback where sender_id = ?",
            (sender,),
        ).fetchall()


def test_transcript_restores_the_conversation_with_ratings(app):
    token = start(app, "hur lång tid tar det?")["token"]
    chat(app, token, BUTTONS[0]["payload"])
    post_json(app, "/api/feedback", {"token": token, "turn": 2, "rating": "up"})
    response = read(app, token)
    assert response.status == 200
    messages = response.json["messages"]
    assert [(m["role"], m["turn"]) for m in messages] == [
        ("user", 1),
        ("bot", 1),
        ("bot", 1),
        ("user", 2),
        ("bot", 2),
        ("bot", 2),
    ]
    assert messages[3]["text"] == "Bygglov"  # the button's title, not its payload
    assert messages[2]["custom"] == CARD
    assert response.json["ratings"] == {"2": "up"}


def test_feedback_is_stored_with_the_answer_it_rates(app, db_path):
    first = start(app, "hur lång tid tar bygglov?")
    token, sender = first["token"], first["sender"]
    _, response = post_json(app, "/api/feedback", {"token": token, "turn": 1, "rating": "up"})
    assert response.status == 201, response.text
    _, response = app.test_client.post(  # the token may come in the header instead
        "/api/feedback",
        content=json.dumps({"turn": 1, "rating": "down"}),
        headers={"Content-Type": "application/json", TOKEN_HEADER: token},
    )
    assert response.status == 201
    rows = feedback_rows(db_path, sender)
    assert len(rows) == 1
    index, text, rating, timestamp, created_at = rows[0]
    assert (index, text, rating) == (1, "Svar: hur lång tid tar bygglov?", "down")
    assert timestamp and created_at


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"turn": 7, "rating": "up"}, 404, "unknown_answer"),
        ({"turn": 1, "rating": "meh"}, 400, "invalid_request"),
        ({"turn": "1", "rating": "up"}, 400, "invalid_request"),
        ({"turn": True, "rating": "up"}, 400, "invalid_request"),
        ({"turn": 0, "rating": "up"}, 400, "invalid_request"),
        ({"rating": "up"}, 400, "invalid_request"),
        ({"token": "x", "turn": 1, "rating": "up"}, 403, "invalid_token"),
        ({"token": None, "sender": CHOSEN_SENDER, "turn": 1, "rating": "up"}, 401, "missing_token"),
    ],
)
def test_bad_feedback_is_refused(app, db_path, body, status, code):
    first = start(app)
    _, response = post_json(app, "/api/feedback", {"token": first["token"], **body})
    assert_error(response, status, code)
    assert feedback_rows(db_path, first["sender"]) == []


def test_feedback_needs_json(app):
    _, response = app.test_client.post(
        "/api/feedback", content=b"turn=1", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "wrong_content_type")


def test_delete_removes_the_conversation_and_its_ratings_for_real(app, db_path):
    mine, other = start(app), start(app)
    sender = mine["sender"]
    post_json(app, "/api/feedback", {"token": mine["token"], "turn": 1, "rating": "up"})
    assert events_of(db_path, sender) == 3
    response = read(app, mine["token"], "delete")
    assert response.status == 200
    assert response.json["deleted"] == {"events": 3, "feedback": 1}
    assert events_of(db_path, sender) == 0 and feedback_rows(db_path, sender) == []
    assert events_of(db_path, other["sender"]) == 3
    assert read(app, mine["token"]).json["messages"] == []


@pytest.mark.parametrize("method", ["get", "delete"])
def test_reading_and_deleting_need_the_token_in_the_header(app, db_path, method):
    first = start(app)
    assert_error(read(app, None, method), 401, "missing_token")
    assert_error(read(app, first["sender"], method), 403, "invalid_token")
    assert events_of(db_path, first["sender"]) == 3


@pytest.mark.parametrize("method", ["get", "delete"])
def test_the_old_routes_with_the_id_in_the_url_are_gone(app, db_path, method):
    first = start(app)
    for key in (first["sender"], first["token"], "abc"):
        _, response = getattr(app.test_client, method)(f"/api/conversation/{key}")
        assert_error(response, 410, "gone")
    assert events_of(db_path, first["sender"]) == 3


def test_reads_deletions_and_ratings_are_limited_per_address(config):
    """300 reads in 0.6 s went unanswered by any limit: now RATE_LIMIT_ADDRESS_READS."""
    app = create_app(replace(config, rate_limit_address_reads=4))
    token = start(app)["token"]
    assert read(app, token).status == 200
    assert read(app, token).status == 200
    _, response = post_json(app, "/api/feedback", {"token": token, "turn": 1, "rating": "up"})
    assert response.status == 201
    assert read(app, token, "delete").status == 200
    for method in ("get", "delete"):
        assert_error(read(app, token, method), 429, "rate_limited")
    _, response = post_json(app, "/api/feedback", {"token": token, "turn": 1, "rating": "up"})
    assert_error(response, 429, "rate_limited")


def test_a_token_with_a_trailing_newline_is_not_one(app):
    token = start(app)["token"]
    for bad in (f"{token}\n", f"\n{token}", f"{token[:20]}\n{token[20:]}"):
        _, response = post_json(app, "/api/chat", {"token": bad, "message": "hej"})
        assert_error(response, 403, "invalid_token")


# ------------------------------------------------------------------ factory and texts


def test_features_mount_only_their_blueprints(config):
    api_only = create_app(config, features=("api",))
    assert api_only.test_client.get("/")[1].status == 404
    assert api_only.test_client.get("/api/health")[1].status == 200
    widget_only = create_app(config, features=("widget",))
    assert widget_only.test_client.get("/")[1].status == 200
    assert widget_only.test_client.get("/api/texts")[1].status == 404
    with pytest.raises(ValueError, match="unknown features"):
        create_app(config, features=("no_such_feature",))


def test_texts_file_with_a_missing_key_is_refused_naming_the_file(tmp_path, config):
    broken = yaml.safe_load(DEFAULT_TEXTS_FILE.read_text(encoding="utf-8"))
    del broken["errors"]["rate_limited"]
    path = tmp_path / "web_texts.yml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"web_texts.yml.*rate_limited"):
        load_web_texts(path, config.municipality_file, 1000)


def test_config_from_environment():
    config = WebConfig.from_env(
        {
            "RASA_URL": "http://rasa:5005/",
            "WEB_PORT": "8081",
            "MAX_MESSAGE_CHARS": "500",
            "RATE_LIMIT_MESSAGES": "5",
            "RATE_LIMIT_NEW_CONVERSATIONS": "50",
            "TRACKER_DB_URL": "sqlite:////tmp/x.db",
        }
    )
    assert (
        config.rasa_url,
        config.port,
        config.max_message_chars,
        config.rate_limit_messages,
        config.rate_limit_new_conversations,
        config.tracker_db_url,
    ) == ("http://rasa:5005", 8081, 500, 5, 50, "sqlite:////tmp/x.db")
    assert WebConfig.from_env({}).port == 8000
    from bot.web.config import ConfigError

    with pytest.raises(ConfigError, match="WEB_PORT"):
        WebConfig.from_env({"WEB_PORT": "http"})


def test_the_turn_is_that_of_the_message_answered_not_of_the_latest(app, fake_rasa):
    """What a thumb rates: when the conversation's next message (another tab, a double
    send) is stored before this answer comes back, the turn is still this message's."""
    fake_rasa.mode = "overtaken"
    first = start(app, "första frågan")
    second = chat(app, first["token"], "andra frågan")

    assert (first["turn"], second["turn"]) == (1, 3)  # 2 is the message that overtook
    response = read(app, first["token"])
    user_turns = {m["text"]: m["turn"] for m in response.json["messages"] if m["role"] == "user"}
    assert user_turns["första frågan"] == 1 and user_turns["andra frågan"] == 3


def test_an_unreadable_tracker_store_still_answers_without_thumbs(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bot.store import conversations

    def locked(*args):
        raise OperationalError("select", {}, Exception("database is locked"))

    monkeypatch.setattr(conversations, "turn_and_language", locked)
    _, response = post_json(app, "/api/chat", {"message": "hej"})
    assert response.status == 200 and response.json["turn"] is None
    assert response.json["lang"] == "sv"  # unknown: Swedish
    assert response.json["messages"]


# ------------------------------------------------------------------ the citizen's copy


def test_spara_samtalet_gives_the_stored_conversation_as_a_text_file(app):
    token = start(app, "hur lång tid tar det?")["token"]
    chat(app, token, BUTTONS[0]["payload"])
    _, response = app.test_client.get(
        "/api/conversation", params={"format": "text"}, headers={TOKEN_HEADER: token}
    )
    assert response.status == 200, response.text
    assert response.content_type == "text/plain; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.headers["cache-control"] == "no-store"
    lines = response.text.splitlines()
    assert lines[0] == "Samtal med Skellefteå kommuns chattbot"
    assert lines[1].startswith("Sparat: 20") and "borttagna" in lines[2]
    said = [line.split("] ", 1)[1] for line in lines if line.startswith("[")]
    assert said == [
        "Du: hur lång tid tar det?",
        "Chattboten: Svar: hur lång tid tar det?",
        "Chattboten: Bygglov",  # the promise card, as text
        "Du: Bygglov",  # the button's title, as the widget showed it
        f"Chattboten: Svar: {BUTTONS[0]['payload']}",
        "Chattboten: Bygglov",
    ]
    assert "Val: Bygglov" in lines
    assert "  Källa: https://www.skelleftea.se/bygglov" in lines


def test_spara_samtalet_needs_the_conversations_token(app):
    _, response = app.test_client.get("/api/conversation", params={"format": "text"})
    assert_error(response, 401, "missing_token")
    _, response = app.test_client.get(
        "/api/conversation", params={"format": "text"}, headers={TOKEN_HEADER: "made.up"}
    )
    assert_error(response, 403, "invalid_token")

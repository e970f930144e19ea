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
from bot.web.api.rasa import WEBHOOK_PATH
from bot.web.api.rate_limit import RateLimiter
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
SENDER = "0123456789abcdef0123456789abcdef"


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
        # Rasa stores the caller's message_id with the user event.
        self._store(sender, "user", {"text": text, "message_id": body.get("message_id")})
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
    assert '<script src="/widget/chat.js" defer data-title="Fråga om kommunens service">' in html
    assert "default-src 'self'" in response.headers["content-security-policy"]


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
    assert response.json["limits"] == {"max_message_chars": 1000}


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

    _, again = post_json(app, "/api/chat", {"sender": body["sender"], "message": "och?"})
    assert again.json["sender"] == body["sender"] and again.json["turn"] == 2


def test_chat_cleans_the_text_before_forwarding(app, fake_rasa):
    # Control characters dropped, decomposed å/ä/ö composed (NFC), whitespace trimmed.
    post_json(app, "/api/chat", {"sender": SENDER, "message": "  hej\x00 da\u0308 \x07 "})
    assert fake_rasa.received[-1]["message"] == "hej dä"


def test_a_message_of_exactly_the_limit_is_accepted(app):
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "å" * 1000})
    assert response.status == 200


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
        ("application/json", b'{"message": "hej", "sender": 12345678}', 400, "invalid_sender"),
        ("application/json", b'{"message": "hej", "sender": "short"}', 400, "invalid_sender"),
        (
            "application/json",
            b'{"message": "hej", "sender": "../../etc/passwd"}',
            400,
            "invalid_sender",
        ),
        (
            "application/json",
            b'{"message": "hej", "sender": "' + b"a" * 65 + b'"}',
            400,
            "invalid_sender",
        ),
        # `$` in the pattern let a trailing newline through; the whole id must match.
        (
            "application/json",
            b'{"message": "hej", "sender": "' + SENDER.encode() + b'\\n"}',
            400,
            "invalid_sender",
        ),
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
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "a" * 11})
    assert response.status == 422 and "10 tecken" in response.json["message"]


def test_rate_limit_per_conversation(config, fake_rasa):
    app = create_app(replace(config, rate_limit_messages=3))
    for _ in range(3):
        _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "hej"})
        assert response.status == 200
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "hej"})
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert len(fake_rasa.received) == 3
    other = "fedcba9876543210fedcba9876543210"
    _, response = post_json(app, "/api/chat", {"sender": other, "message": "hej"})
    assert response.status == 200


def test_leaving_out_the_sender_does_not_dodge_the_rate_limit(config):
    app = create_app(replace(config, rate_limit_messages=1, rate_limit_new_conversations=2))
    statuses = [post_json(app, "/api/chat", {"message": "hej"})[1].status for _ in range(3)]
    assert statuses == [200, 200, 429]


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


@pytest.mark.parametrize("mode", ["empty", "error", "slow", "not_json"])
def test_rasa_or_action_server_trouble_is_a_friendly_503(config, fake_rasa, mode):
    fake_rasa.mode = mode
    app = create_app(replace(config, rasa_timeout_seconds=0.5))
    started = time.monotonic()
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "hej"})
    assert_error(response, 503, "unavailable")
    assert KUNDTJANST_PHONE in response.json["message"]
    assert time.monotonic() - started < 2.5


def test_rasa_not_running_is_a_friendly_503(config):
    closed = free_port()
    app = create_app(replace(config, rasa_url=f"http://127.0.0.1:{closed}"))
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "hej"})
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

    monkeypatch.setattr(conversations, "transcript", broken)
    _, response = app.test_client.get(f"/api/conversation/{SENDER}")
    assert_error(response, 500, "internal")
    assert "secret internals" not in response.text


# ------------------------------------------------------------------ transcript, delete, feedback


def chat(app, message: str = "hej", sender: str = SENDER) -> dict:
    _, response = post_json(app, "/api/chat", {"sender": sender, "message": message})
    assert response.status == 200, response.text
    return response.json


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
    chat(app, "hur lång tid tar det?")
    chat(app, BUTTONS[0]["payload"])
    post_json(app, "/api/feedback", {"sender": SENDER, "turn": 2, "rating": "up"})
    _, response = app.test_client.get(f"/api/conversation/{SENDER}")
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
    chat(app, "hur lång tid tar bygglov?")
    _, response = post_json(app, "/api/feedback", {"sender": SENDER, "turn": 1, "rating": "up"})
    assert response.status == 201, response.text
    _, response = post_json(app, "/api/feedback", {"sender": SENDER, "turn": 1, "rating": "down"})
    assert response.status == 201
    rows = feedback_rows(db_path, SENDER)
    assert len(rows) == 1
    index, text, rating, timestamp, created_at = rows[0]
    assert (index, text, rating) == (1, "Svar: hur lång tid tar bygglov?", "down")
    assert timestamp and created_at


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"sender": SENDER, "turn": 7, "rating": "up"}, 404, "unknown_answer"),
        ({"sender": SENDER, "turn": 1, "rating": "meh"}, 400, "invalid_request"),
        ({"sender": SENDER, "turn": "1", "rating": "up"}, 400, "invalid_request"),
        ({"sender": SENDER, "turn": True, "rating": "up"}, 400, "invalid_request"),
        ({"sender": SENDER, "turn": 0, "rating": "up"}, 400, "invalid_request"),
        ({"sender": SENDER, "rating": "up"}, 400, "invalid_request"),
        ({"sender": "x", "turn": 1, "rating": "up"}, 400, "invalid_sender"),
        ({"turn": 1, "rating": "up"}, 400, "invalid_sender"),
    ],
)
def test_bad_feedback_is_refused(app, db_path, body, status, code):
    chat(app)
    _, response = post_json(app, "/api/feedback", body)
    assert_error(response, status, code)
    assert feedback_rows(db_path, SENDER) == []


def test_feedback_needs_json(app):
    _, response = app.test_client.post(
        "/api/feedback", content=b"turn=1", headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415, "wrong_content_type")


def test_delete_removes_the_conversation_and_its_ratings_for_real(app, db_path):
    other = "fedcba9876543210fedcba9876543210"
    chat(app)
    chat(app, sender=other)
    post_json(app, "/api/feedback", {"sender": SENDER, "turn": 1, "rating": "up"})
    assert events_of(db_path, SENDER) == 3
    _, response = app.test_client.delete(f"/api/conversation/{SENDER}")
    assert response.status == 200
    assert response.json["deleted"] == {"events": 3, "feedback": 1}
    assert events_of(db_path, SENDER) == 0 and feedback_rows(db_path, SENDER) == []
    assert events_of(db_path, other) == 3
    _, response = app.test_client.get(f"/api/conversation/{SENDER}")
    assert response.json["messages"] == []


@pytest.mark.parametrize("method", ["get", "delete"])
@pytest.mark.parametrize("sender", ["abc", f"{SENDER}%0A", f"{SENDER}%0D%0A"])
def test_conversation_routes_check_the_sender_id(app, method, sender):
    _, response = getattr(app.test_client, method)(f"/api/conversation/{sender}")
    assert_error(response, 400, "invalid_sender")


def test_a_sender_id_with_a_trailing_newline_is_not_one():
    from bot.web.api.models import valid_sender
    from bot.web.errors import ApiError

    assert valid_sender(SENDER) == SENDER
    for bad in (f"{SENDER}\n", f"\n{SENDER}", f"{SENDER[:20]}\n{SENDER[20:]}"):
        with pytest.raises(ApiError):
            valid_sender(bad)


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
    first = chat(app, "första frågan")
    second = chat(app, "andra frågan")

    assert (first["turn"], second["turn"]) == (1, 3)  # 2 is the message that overtook
    _, response = app.test_client.get(f"/api/conversation/{SENDER}")
    user_turns = {m["text"]: m["turn"] for m in response.json["messages"] if m["role"] == "user"}
    assert user_turns["första frågan"] == 1 and user_turns["andra frågan"] == 3


def test_an_unreadable_tracker_store_still_answers_without_thumbs(app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from bot.store import conversations

    def locked(*args):
        raise OperationalError("select", {}, Exception("database is locked"))

    monkeypatch.setattr(conversations, "turn_of_message", locked)
    _, response = post_json(app, "/api/chat", {"sender": SENDER, "message": "hej"})
    assert response.status == 200 and response.json["turn"] is None
    assert response.json["messages"]

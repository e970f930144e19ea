"""Bad input on Rasa's HTTP entry point (the REST webhook, through our channel): a 4xx
with a clear JSON message, and the server keeps answering normal messages."""

from __future__ import annotations

import json

import pytest

from bench.harness import event_rows
from bot.adapters.channels import MAX_BODY_BYTES, MAX_MESSAGE_CHARS, BadRequest, parse_rest_body

pytestmark = pytest.mark.slow


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


BAD_REQUESTS = [
    # (id, raw body, query string, expected status, expected error code)
    ("empty body", b"", "", 400, "empty_body"),
    ("only whitespace", b"  \n ", "", 400, "empty_body"),
    ("100 kB text", body(sender="a", message="x" * 100_000), "", 413, "body_too_large"),
    (
        "long message",
        body(sender="a", message="å" * (MAX_MESSAGE_CHARS + 1)),
        "",
        413,
        "message_too_long",
    ),
    ("binary", bytes(range(256)) * 4, "", 400, "invalid_utf8"),
    ("invalid UTF-8", b'{"sender": "a", "message": "hej \xff\xfe"}', "", 400, "invalid_utf8"),
    (
        "latin-1",
        '{"sender": "a", "message": "snöröjning"}'.encode("latin-1"),
        "",
        400,
        "invalid_utf8",
    ),
    ("invalid JSON", b'{"sender": "a", "message": ', "", 400, "invalid_json"),
    ("form data", b"sender=a&message=hej", "", 400, "invalid_json"),
    ("deeply nested JSON", b"[" * 100_000 + b"]" * 100_000, "", 413, "body_too_large"),
    ("nested JSON within the size limit", b"[" * 5000 + b"]" * 5000, "", 400, "invalid_json"),
    ("JSON array", b'["a", "hej"]', "", 400, "not_an_object"),
    ("JSON string", b'"hej"', "", 400, "not_an_object"),
    ("JSON null", b"null", "", 400, "not_an_object"),
    ("message is a number", body(sender="a", message=123), "", 400, "invalid_message"),
    ("message is null", body(sender="a", message=None), "", 400, "invalid_message"),
    ("message is a list", body(sender="a", message=["hej"]), "", 400, "invalid_message"),
    ("message is empty", body(sender="a", message=" "), "", 400, "invalid_message"),
    ("message missing", body(sender="a"), "", 400, "invalid_message"),
    ("sender is a list", body(sender=[], message="hej"), "", 400, "invalid_sender"),
    ("sender is a number", body(sender=7, message="hej"), "", 400, "invalid_sender"),
    ("sender missing", body(message="hej"), "", 400, "invalid_sender"),
    ("sender too long", body(sender="s" * 500, message="hej"), "", 400, "invalid_sender"),
    (
        "sender is an e-mail",
        body(sender="anna@exempel.se", message="hej"),
        "",
        400,
        "invalid_sender",
    ),
    (
        "metadata not an object",
        body(sender="a", message="hej", metadata="x"),
        "",
        400,
        "invalid_metadata",
    ),
    (
        "input_channel not a string",
        body(sender="a", message="hej", input_channel=5),
        "",
        400,
        "invalid_input_channel",
    ),
    (
        "message_id not a string",
        body(sender="a", message="hej", message_id=5),
        "",
        400,
        "invalid_message_id",
    ),
    (
        "message_id with a newline",
        body(sender="a", message="hej", message_id="abc\n"),
        "",
        400,
        "invalid_message_id",
    ),
    ("lone surrogate", b'{"sender": "a", "message": "hej \\ud800"}', "", 400, "invalid_characters"),
    (
        "streaming asked for",
        body(sender="a", message="hej"),
        "?stream=true",
        400,
        "stream_not_supported",
    ),
]


@pytest.mark.parametrize(
    "raw, query, status, code", [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS]
)
def test_bad_input_is_a_4xx_with_a_json_message_and_the_server_keeps_serving(
    rest, channel_texts, catalog, raw, query, status, code
):
    got_status, answer = rest.post(raw, query)
    assert (got_status, answer["error"]) == (status, code)
    assert isinstance(answer["message"], str) and answer["message"]
    replies = rest.ask("hur lång tid tar bygglov?")
    assert catalog.declarations["bygglov"].source_url in "\n".join(
        r.get("text", "") for r in replies
    )
    assert channel_texts.technical_problem not in [r.get("text") for r in replies]


def test_bad_input_is_not_stored(rest, tracker_db_url):
    rest.post(body(sender="bad-input-sender", message=123))
    rest.post(b'{"sender": "bad-input-sender", "message": "\xff"}')
    count = len(event_rows(tracker_db_url, ["bad-input-sender"]))
    assert count == 0


def test_limits_are_checked_before_parsing():
    with pytest.raises(BadRequest) as raised:
        parse_rest_body(b"{" + b" " * MAX_BODY_BYTES + b"}", "rest")
    assert raised.value.status == 413


def test_a_valid_body_is_accepted_as_before():
    incoming = parse_rest_body(body(sender="abc", message=" hej ", metadata={"a": 1}), "rest")
    assert (incoming.sender, incoming.text, incoming.metadata, incoming.input_channel) == (
        "abc",
        " hej ",
        {"a": 1},
        "rest",
    )
    assert incoming.message_id is None  # Rasa makes one


def test_the_callers_message_id_is_stored_with_the_message(rest, tracker_db_url):
    """The web app finds the turn of its message by this id (bot/web/api/views.py)."""
    sender = "message-id-sender"
    got_status, _ = rest.post(body(sender=sender, message="hej", message_id="web-0123abc"))
    assert got_status == 200
    [row] = event_rows(tracker_db_url, [sender], type_name="user")
    assert json.loads(row.data)["message_id"] == "web-0123abc"

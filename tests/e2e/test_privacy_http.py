"""Personal data never reaches the tracker store: generated personnummer,
samordningsnummer, phone numbers and e-mails sent through the REST webhook (and
socket.io) of the running servers; every column of every stored row is searched."""

from __future__ import annotations

import asyncio
import json
import random
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.harness import event_rows
from bench.privacy import (
    disguised,
    leaked,
    random_email,
    random_harmless,
    random_personnummer,
    random_phone,
    stored_rows,
)
from bot.core.redaction import EPOST, PERSONNUMMER, TELEFON
from bot.core.texts import domain_response_text
from bot.names import UTTER_AI_DISCLOSURE

pytestmark = pytest.mark.slow

HTTP_SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=False, suppress_health_check=[HealthCheck.too_slow]
)
GENERATORS = {PERSONNUMMER: random_personnummer, TELEFON: random_phone, EPOST: random_email}
SENTENCES = [
    "Hej! Mitt personnummer är {}. Hur lång tid tar bygglov?",
    "ring mig på {} om snöröjningen",
    "{}",
    "Min e-post är {}, när töms soptunnan?",
    "jag ({}) undrar vad ni lovar om färdtjänst",
    "Samordningsnummer {} – har jag rätt till försörjningsstöd?",
]


def user_events(db_url: str, sender: str) -> list[dict]:
    return [json.loads(row.data) for row in event_rows(db_url, [sender], type_name="user")]


@st.composite
def personal_messages(draw: st.DrawFn) -> tuple[str, str, str]:
    kind = draw(st.sampled_from(sorted(GENERATORS)))
    item = GENERATORS[kind](random.Random(draw(st.integers(0, 2**32))))
    return kind, item, draw(st.sampled_from(SENTENCES)).format(item)


@HTTP_SETTINGS
@given(personal_messages())
def test_personal_data_never_reaches_the_tracker_store(
    rest, tracker_db_url, channel_texts, running_bot, message
):
    kind, item, text = message
    sender = f"privacy-{uuid.uuid4().hex[:12]}"
    replies = rest.ask(text, sender)
    # The citizen is told, first, that personal data was removed; nothing is echoed.
    assert replies[0]["text"] == channel_texts.personal_data_removed
    assert len(replies) > 1
    assert not leaked(kind, item, json.dumps(replies, ensure_ascii=False))
    stored = stored_rows(tracker_db_url, [sender])[sender]
    assert "user" in stored  # the message itself was stored ...
    assert not leaked(kind, item, stored, tail=10)  # ... masked, in every column


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(personal_messages(), st.integers(0, 2**32))
def test_disguised_personal_data_never_reaches_the_tracker_store(
    rest, tracker_db_url, channel_texts, running_bot, message, seed
):
    # Other digits, format characters inside, a look-alike at-sign.
    kind, item, _ = message
    item = disguised(kind, item, random.Random(seed))
    sender = f"disguised-{uuid.uuid4().hex[:12]}"
    replies = rest.ask(f"hej, {item} här. När plogas Storgatan?", sender)
    assert replies[0]["text"] == channel_texts.personal_data_removed
    stored = stored_rows(tracker_db_url, [sender])[sender]
    assert not leaked(kind, item, stored, tail=10)


def test_a_personnummer_split_over_two_messages_is_stored_masked(
    rest, tracker_db_url, channel_texts
):
    sender = f"split-{uuid.uuid4().hex[:12]}"
    first = rest.ask("Mitt personnummer är 811218", sender)
    second = rest.ask("9876", sender)
    assert first[0]["text"] == second[0]["text"] == channel_texts.personal_data_removed
    texts = [event["text"] for event in user_events(tracker_db_url, sender)]
    assert texts == ["Mitt personnummer är [personnummer]", "[personnummer]"]
    stored = stored_rows(tracker_db_url, [sender])[sender]
    assert "811218" not in stored and "9876" not in stored


def test_metadata_keys_and_input_channel_are_masked(rest, tracker_db_url):
    sender = f"keys-{uuid.uuid4().hex[:12]}"
    status, _ = rest.post(
        json.dumps(
            {
                "sender": sender,
                "message": "hej",
                "metadata": {"811218-9876": "x", "page": "/bygglov"},
                "input_channel": "070-123 45 67",
            }
        ).encode()
    )
    assert status == 200
    stored = stored_rows(tracker_db_url, [sender])[sender]
    assert "811218" not in stored and "123 45 67" not in stored
    [event] = user_events(tracker_db_url, sender)
    assert event["input_channel"] == "[telefon]"
    assert event["metadata"]["[personnummer]"] == "x"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32))
def test_harmless_numbers_are_stored_as_typed(rest, tracker_db_url, channel_texts, seed):
    rng = random.Random(seed)
    numbers = [random_harmless(rng) for _ in range(2)]
    text = f"Mitt ärende {numbers[0]} om bygglov, beslut {numbers[1]}"
    sender = f"harmless-{uuid.uuid4().hex[:12]}"
    replies = rest.ask(text, sender)
    assert all(r.get("text") != channel_texts.personal_data_removed for r in replies)
    [event] = user_events(tracker_db_url, sender)
    assert event["text"] == event["parse_data"]["text"] == text
    assert "redacted" not in (event.get("metadata") or {})


def test_stored_parse_data_holds_only_masked_text(rest, tracker_db_url, channel_texts, catalog):
    sender = f"parse-{uuid.uuid4().hex[:12]}"
    replies = rest.ask(
        "Mitt personnummer är 811218-9876 och min mejl anna@exempel.se, hur lång tid tar bygglov?",
        sender,
    )
    masked = "Mitt personnummer är [personnummer] och min mejl [e-post], hur lång tid tar bygglov?"
    [event] = user_events(tracker_db_url, sender)
    assert event["text"] == masked
    assert event["parse_data"]["text"] == masked
    assert event["metadata"]["redacted"] == [PERSONNUMMER, EPOST]
    assert event["parse_data"]["metadata"]["redacted"] == [PERSONNUMMER, EPOST]
    assert all("811218" not in json.dumps(e) for e in event["parse_data"]["entities"])
    # Masking does not get in the way of the answer.
    assert replies[0]["text"] == channel_texts.personal_data_removed
    assert catalog.declarations["bygglov"].source_url in "\n".join(
        r.get("text", "") for r in replies
    )


def test_client_metadata_is_masked_too(rest, tracker_db_url):
    sender = f"meta-{uuid.uuid4().hex[:12]}"
    status, _ = rest.post(
        json.dumps(
            {
                "sender": sender,
                "message": "hej",
                "metadata": {"note": "ring 070-123 45 67", "page": "/bygglov"},
            }
        ).encode()
    )
    assert status == 200
    stored = stored_rows(tracker_db_url, [sender])[sender]
    assert "070-123 45 67" not in stored and "[telefon]" in stored and "/bygglov" in stored


def test_no_personal_data_in_the_rasa_log(rest, running_bot):
    rest.ask("mitt personnummer är 19811218-9876 och telefon +46 70 765 43 21")
    log = (running_bot.log_dir / "rasa.log").read_text(errors="replace")
    assert "19811218-9876" not in log and "765 43 21" not in log


DISCONNECT_SECONDS = 2


def socketio_chat(running_bot, session_id: str, messages: list[str], skip: str) -> list[dict]:
    """Send `messages` over socket.io, each after the answer to the one before (a reply
    other than `skip` and the AI disclosure that starts a session); what the bot sent."""
    import socketio

    not_answers = {skip, domain_response_text(UTTER_AI_DISCLOSURE)}

    async def chat() -> list[dict]:
        client = socketio.AsyncClient()
        received: list[dict] = []
        confirmed = asyncio.Event()
        answered = asyncio.Event()
        client.on("session_confirm", lambda *_: confirmed.set())

        async def on_bot(message: dict) -> None:
            received.append(message)
            if message.get("text") not in not_answers:
                answered.set()

        client.on("bot_uttered", on_bot)
        await client.connect(
            running_bot.rasa_url, socketio_path="/socket.io", transports=["polling"]
        )  # aiohttp 3.9 lacks ws timeouts
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 10)
        for text in messages:
            answered.clear()
            await client.emit("user_uttered", {"session_id": session_id, "message": text})
            await asyncio.wait_for(answered.wait(), 20)
            await asyncio.sleep(0.5)
        try:
            await asyncio.wait_for(client.disconnect(), DISCONNECT_SECONDS)
        except asyncio.TimeoutError:
            pass  # over polling, the last long-poll ends only at the server's ping (25 s)
        return received

    return asyncio.run(chat())


def test_socketio_masks_a_personnummer_split_over_two_messages(socketio_bot, channel_texts):
    tracker_db_url = socketio_bot.env["TRACKER_DB_URL"]
    session_id = uuid.uuid4().hex
    socketio_chat(
        socketio_bot,
        session_id,
        ["mitt personnummer är 811218", "9876"],
        channel_texts.personal_data_removed,
    )
    texts = [event["text"] for event in user_events(tracker_db_url, session_id)]
    assert texts == ["mitt personnummer är [personnummer]", "[personnummer]"]


def test_socketio_masks_and_tells_the_citizen(socketio_bot, channel_texts):
    """socket.io is off by default; when a deployment switches it on, it masks too."""
    tracker_db_url = socketio_bot.env["TRACKER_DB_URL"]
    session_id = uuid.uuid4().hex
    received = socketio_chat(
        socketio_bot,
        session_id,
        ["min mobil är 070-765 43 21, hej!"],
        channel_texts.personal_data_removed,
    )
    assert received[0]["text"] == channel_texts.personal_data_removed
    assert len(received) > 1
    [event] = user_events(tracker_db_url, session_id)
    assert event["text"] == "min mobil är [telefon], hej!"
    assert event["input_channel"] == "socketio"
    assert "765 43 21" not in stored_rows(tracker_db_url, [session_id])[session_id]

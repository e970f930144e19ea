"""Rasa input channels that mask personal data before anything else sees the message.

Configured in credentials.yml instead of `rest:` and `socketio:`; the URLs stay the same
(`/webhooks/rest/webhook`, the socket.io path `/socket.io`). Each channel masks the text
(bot/core/redaction.py) *before* it builds the `UserMessage`, so NLU, Rasa's logs, the tracker
store and any event broker only ever see the masked text. On top of that:

- **Personal data removed** → the reply starts with `utter_personal_data_removed`
  (domain.yml), and the stored message carries `metadata.redacted` (the kinds only).
  Metadata keys are masked as well as values, and so is the REST webhook's
  `input_channel`.
- **A personnummer split over two messages** ("mitt personnummer är 811218", then
  "9876"): a message that ends with the date part (or with the word personnummer) is
  stored with `metadata.redaction_awaits`; when the next message of the conversation
  starts with digits, the channel reads that from the tracker store and masks the rest
  (bot/core/redaction.py says exactly what). The store is asked only for messages that
  start with digits; if it cannot answer, the four digits are masked (the safe side).
- **No answer** (action server down, slow or failing; any other fault) → the citizen gets
  `utter_technical_problem` with Kundtjänst's contact instead of an empty reply or an error.
  Rasa 3.6 waits 300 s for the action server and has no setting for it (rasa#10764), so
  the channels lower Rasa's action-request timeout to ACTION_TIMEOUT_SECONDS (default 5),
  and never make a citizen wait more than REPLY_DEADLINE_SECONDS (default 8): after that
  the fault reply goes out while Rasa finishes the turn and stores the message.
- **Bad input** on the REST webhook → a 4xx with a JSON body `{"error", "message"}`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core.message_language import ENGLISH, default_identifier
from bot.core.redaction import (
    AWAITS,
    AWAITS_LAST_FOUR,
    PLACEHOLDERS,
    may_continue_personnummer,
    merge_kinds,
    redact,
    redact_json,
)
from bot.paths import DOMAIN_FILE
from bot.settings import seconds

logger = logging.getLogger(__name__)

UTTER_PERSONAL_DATA_REMOVED = "utter_personal_data_removed"
UTTER_TECHNICAL_PROBLEM = "utter_technical_problem"
REDACTED_METADATA_KEY = "redacted"
AWAITS_METADATA_KEY = "redaction_awaits"

DEFAULT_ACTION_TIMEOUT_SECONDS = 5.0
DEFAULT_REPLY_DEADLINE_SECONDS = 8.0
MAX_BODY_BYTES = 32 * 1024
MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128
# A caller's own id for one message (Rasa stores it with the user event as `message_id`);
# the web app sends one to find the turn of its message afterwards.
MESSAGE_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class ChannelTexts:
    personal_data_removed: str
    technical_problem: str
    # The same in English (domain.yml's variation for the `language` slot "en"), said to a
    # message written in English; None: the Swedish text for every message.
    personal_data_removed_en: str | None = None
    technical_problem_en: str | None = None

    @classmethod
    def from_domain(cls, path: Path = DOMAIN_FILE) -> ChannelTexts:
        """The two sentences from domain.yml; a missing one stops the server at start."""
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        responses = domain.get("responses") or {}

        def first_text(name: str) -> str:
            try:
                return str(responses[name][0]["text"])
            except (KeyError, IndexError, TypeError) as exc:
                raise ValueError(f"{path}: response {name!r} with a text is missing") from exc

        def english_text(name: str) -> str | None:
            for variation in responses.get(name) or []:
                if not isinstance(variation, dict):
                    continue
                conditions = variation.get("condition") or []
                if any(
                    isinstance(c, dict) and c.get("name") == "language" and c.get("value") == "en"
                    for c in conditions
                ):
                    return str(variation["text"])
            return None

        return cls(
            first_text(UTTER_PERSONAL_DATA_REMOVED),
            first_text(UTTER_TECHNICAL_PROBLEM),
            english_text(UTTER_PERSONAL_DATA_REMOVED),
            english_text(UTTER_TECHNICAL_PROBLEM),
        )

    def for_message(self, text: str) -> ChannelTexts:
        """The texts to say about this (masked) message: English where it is written in
        English and the domain has English, else Swedish. The identifier is the one the NLU
        uses (one per process), asked only when a notice or a fault is to be said."""
        if not (self.personal_data_removed_en or self.technical_problem_en):
            return self
        if default_identifier().identify(text).language != ENGLISH:
            return self
        return ChannelTexts(
            self.personal_data_removed_en or self.personal_data_removed,
            self.technical_problem_en or self.technical_problem,
        )


@dataclass(frozen=True)
class Settings:
    action_timeout: float = DEFAULT_ACTION_TIMEOUT_SECONDS
    reply_deadline: float = DEFAULT_REPLY_DEADLINE_SECONDS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """ACTION_TIMEOUT_SECONDS and REPLY_DEADLINE_SECONDS; a bad one raises SettingsError."""
        return cls(
            seconds(env, "ACTION_TIMEOUT_SECONDS", DEFAULT_ACTION_TIMEOUT_SECONDS),
            seconds(env, "REPLY_DEADLINE_SECONDS", DEFAULT_REPLY_DEADLINE_SECONDS),
        )


def limit_action_timeout(seconds: float) -> None:
    """Make Rasa give up on the action server after `seconds` instead of 300.

    Rasa 3.6 passes the module constant `DEFAULT_REQUEST_TIMEOUT` to every action-server
    request (rasa/core/actions/action.py, `RemoteAction.run`) and offers no setting for it.
    A timed-out action is handled like a failed one: Rasa logs it, drops the action's
    events, finishes the turn and stores the user's message.
    """
    import rasa.core.actions.action

    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = seconds


@dataclass(frozen=True)
class MaskedMessage:
    text: str
    metadata: dict[str, Any] | None
    kinds: tuple[str, ...]
    input_channel: str | None = None


def mask_message(
    text: str,
    metadata: dict[str, Any] | None,
    after: str | None = None,
    input_channel: str | None = None,
) -> MaskedMessage:
    """Mask the text, every key and string in the metadata and the input channel's name;
    note the kinds in the metadata, and what the text leaves open for the next message
    (`after`: what the previous one left open, see `awaited_by_previous_message`)."""
    masked_text = redact(text, after)
    masked_metadata, in_metadata = redact_json(metadata or {})
    masked_channel = redact(input_channel) if input_channel is not None else None
    kinds = merge_kinds(
        (masked_text.kinds, in_metadata.kinds, masked_channel.kinds if masked_channel else ())
    )
    if kinds:
        masked_metadata[REDACTED_METADATA_KEY] = list(kinds)
    masked_metadata.pop(AWAITS_METADATA_KEY, None)  # ours to set, not the client's
    if masked_text.awaits:
        masked_metadata[AWAITS_METADATA_KEY] = masked_text.awaits
    return MaskedMessage(
        masked_text.text,
        masked_metadata if masked_metadata or metadata is not None else None,
        kinds,
        masked_channel.text if masked_channel else None,
    )


async def awaited_by_previous_message(agent: Any, sender_id: str, text: str) -> str | None:
    """What the conversation's previous user message left open (its
    `metadata.redaction_awaits`), looked up only when `text` starts the way the rest
    of a personnummer would. If the tracker store cannot answer: "last_four"."""
    if agent is None or not may_continue_personnummer(text):
        return None
    try:
        tracker = await agent.tracker_store.retrieve(sender_id)
    except Exception as exc:  # noqa: BLE001 - mask on the safe side; the turn will tell
        logger.warning(
            "Could not read conversation %s to see whether its last message awaits the "
            "rest of a personnummer (%s); masking as if it did",
            sender_id,
            type(exc).__name__,
        )
        return AWAITS_LAST_FOUR
    previous = tracker.get_last_event_for(UserUttered) if tracker is not None else None
    awaits = (previous.metadata or {}).get(AWAITS_METADATA_KEY) if previous else None
    return awaits if awaits in AWAITS else None


async def handle_within(
    on_new_message: OnNewMessage, message: UserMessage, deadline: float
) -> bool:
    """Let Rasa handle the message; False if it failed or took longer than `deadline`.

    On a timeout Rasa keeps going in the background (shielded), so the turn is finished
    and the message is stored even though the citizen already got the fault reply.
    """
    task = asyncio.ensure_future(on_new_message(message))
    try:
        await asyncio.wait_for(asyncio.shield(task), deadline)
        return True
    except asyncio.TimeoutError:
        logger.warning(
            "No answer within %.0f s for conversation %s; sent the fault reply, "
            "the turn goes on in the background",
            deadline,
            message.sender_id,
        )
        task.add_done_callback(_log_late_failure)
        return False
    except Exception as exc:  # noqa: BLE001 - the citizen gets the fault reply instead
        # The message text is never logged; the error type and conversation id suffice.
        logger.error(
            "Handling a message failed for conversation %s: %s",
            message.sender_id,
            type(exc).__name__,
            exc_info=True,
        )
        return False


def _log_late_failure(task: asyncio.Future) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("A late turn failed: %s", type(task.exception()).__name__)


class BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Incoming:
    sender: str
    text: str
    metadata: dict[str, Any] | None
    input_channel: str
    message_id: str | None = None  # None: Rasa makes one


def parse_rest_body(body: bytes, default_channel: str) -> Incoming:
    """Validate a REST webhook body: a JSON object with a non-empty `message` string and
    an opaque `sender` id; optional `metadata` object, `input_channel` string and
    `message_id` (1-64 letters, digits, `-` or `_`)."""
    if not body or not body.strip():
        raise BadRequest(
            400, "empty_body", 'Send a JSON object: {"sender": "...", "message": "..."}.'
        )
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(
            413, "body_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes."
        )
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "invalid_utf8", "The request body is not valid UTF-8.") from None
    try:
        data = json.loads(decoded)
    except (json.JSONDecodeError, RecursionError):
        raise BadRequest(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest(400, "not_an_object", "The request body must be a JSON object.")

    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest(400, "invalid_sender", "`sender` must be a non-empty string.")
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(
            400, "invalid_sender", f"`sender` must be at most {MAX_SENDER_CHARS} characters."
        )
    if redact(sender.strip()).text in PLACEHOLDERS.values():
        # (Only a sender that *is* one: random hex ids may well contain a digit run that
        # looks like a phone number, and must keep working.)
        raise BadRequest(
            400,
            "invalid_sender",
            "`sender` must be an opaque id, not personal data such as a phone number or an e-mail.",
        )
    text = data.get("message")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest(400, "invalid_message", "`message` must be a non-empty string.")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(
            413, "message_too_long", f"`message` must be at most {MAX_MESSAGE_CHARS} characters."
        )
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, "invalid_metadata", "`metadata` must be a JSON object.")
    channel = data.get("input_channel") or default_channel
    if not isinstance(channel, str):
        raise BadRequest(400, "invalid_input_channel", "`input_channel` must be a string.")
    message_id = data.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str) or not MESSAGE_ID_PATTERN.fullmatch(message_id)
    ):
        raise BadRequest(
            400,
            "invalid_message_id",
            "`message_id` must be 1 to 64 letters, digits, `-` or `_`.",
        )
    for value in (sender, text, channel):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(
                400,
                "invalid_characters",
                "The message contains characters that are not valid Unicode (lone surrogates).",
            ) from None
    return Incoming(sender, text, metadata, channel, message_id)


class MaskingRestInput(RestInput):
    """Rasa's REST channel (same name, same URL), with masking, input validation and a
    guaranteed reply. Streaming (`?stream=true`) is not offered."""

    def __init__(self, texts: ChannelTexts | None = None, settings: Settings | None = None) -> None:
        self.texts = texts or ChannelTexts.from_domain()
        self.settings = settings or Settings.from_env()
        limit_action_timeout(self.settings.action_timeout)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                if request.args.get("stream", "false").lower() == "true":
                    raise BadRequest(
                        400,
                        "stream_not_supported",
                        "Streaming replies are not offered; omit `stream`.",
                    )
                incoming = parse_rest_body(request.body, self.name())
            except BadRequest as exc:
                return response.json({"error": exc.code, "message": exc.message}, status=exc.status)
            after = await awaited_by_previous_message(
                getattr(request.app.ctx, "agent", None), incoming.sender, incoming.text
            )
            masked = mask_message(incoming.text, incoming.metadata, after, incoming.input_channel)
            collector = CollectingOutputChannel()
            message = UserMessage(
                masked.text,
                collector,
                incoming.sender,
                input_channel=masked.input_channel,
                metadata=masked.metadata,
                message_id=incoming.message_id,
            )
            answered = await handle_within(on_new_message, message, self.settings.reply_deadline)
            answer = list(collector.messages) if answered else []
            texts = self.texts.for_message(masked.text) if masked.kinds or not answer else None
            notice = [texts.personal_data_removed] if texts and masked.kinds else []
            fault = [texts.technical_problem] if texts and not answer else []
            return response.json(
                [{"recipient_id": incoming.sender, "text": text} for text in notice]
                + answer
                + [{"recipient_id": incoming.sender, "text": text} for text in fault]
            )

        return webhook


class _CountingSocketIOOutput(SocketIOOutput):
    """Rasa's socket.io output, counting what it sends (to notice an empty answer)."""

    sent = 0

    async def _send_message(self, socket_id: str, response: Any) -> None:
        self.sent += 1
        await super()._send_message(socket_id, response)

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        self.sent += 1
        await super().send_custom_json(recipient_id, json_message, **kwargs)


class MaskingSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with the same masking and guaranteed reply. A message
    that is not a non-empty string of at most MAX_MESSAGE_CHARS is dropped (logged)."""

    texts: ChannelTexts
    settings: Settings
    app: Sanic | None = None  # the Rasa server's app, once it starts (for its agent)

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        channel = super().from_credentials(credentials)
        assert isinstance(channel, MaskingSocketIOInput)
        channel.texts = ChannelTexts.from_domain()
        channel.settings = Settings.from_env()
        limit_action_timeout(channel.settings.action_timeout)
        return channel

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        async def guarded(message: UserMessage) -> None:
            text = message.text
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
                logger.warning(
                    "Dropped a socket.io message that is not a non-empty text of "
                    "at most %d characters (conversation %s)",
                    MAX_MESSAGE_CHARS,
                    message.sender_id,
                )
                return
            metadata = message.metadata if isinstance(message.metadata, dict) else None
            agent = getattr(self.app.ctx, "agent", None) if self.app else None
            after = await awaited_by_previous_message(agent, message.sender_id, text)
            masked = mask_message(text, metadata, after)
            message.text, message.metadata = masked.text, masked.metadata
            output = message.output_channel
            if isinstance(output, SocketIOOutput):
                output = _CountingSocketIOOutput(output.sio, output.bot_message_evt)
                message.output_channel = output
            if masked.kinds:
                notice = self.texts.for_message(masked.text).personal_data_removed
                await output.send_text_message(message.sender_id, notice)
            sent_before = getattr(output, "sent", 0)
            answered = await handle_within(on_new_message, message, self.settings.reply_deadline)
            if not answered or getattr(output, "sent", 1) == sent_before:
                fault = self.texts.for_message(masked.text).technical_problem
                await output.send_text_message(message.sender_id, fault)

        blueprint = super().blueprint(guarded)
        self._fix_session_request()

        async def remember_app(app: Sanic, _: Any) -> None:
            self.app = app

        blueprint.listener("before_server_start")(remember_app)
        return blueprint

    def _fix_session_request(self) -> None:
        """Rasa 3.6 calls `sio.enter_room` without `await`; with python-socketio 5.x it is
        a coroutine, so with `session_persistence` no answer ever reached the citizen
        (RasaHQ/rasa#13027). Same handler as Rasa's, with the await."""
        sio = self.sio
        assert sio is not None

        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            if not data.get("session_id"):
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                entered = sio.enter_room(sid, data["session_id"], namespace=self.namespace)
                if inspect.isawaitable(entered):
                    await entered
            await sio.emit(
                "session_confirm", data["session_id"], room=sid, namespace=self.namespace
            )

        sio.on("session_request", session_request, namespace=self.namespace)

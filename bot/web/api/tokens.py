"""Conversation ids made by the server, and the signed tokens that are their only key.

A conversation's sender id is 32 random hex characters that this app chooses; the
browser never picks one. With it the app hands out a token, `<sender>.<signature>`, the
signature an HMAC-SHA256 of the id under the web app's secret (`WEB_TOKEN_SECRET`, or
the file made in var/ on first start, see bot.settings.secret). Whoever holds the token
may go on with, read, rate and delete that conversation; a made-up or altered token
fails the check. No state is kept: any web app with the same secret can check a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

# The signed text names what it is for, so a signature made for something else with the
# same secret can never pass as a conversation token.
_PURPOSE = b"skelleftea-chat conversation v1:"
_TOKEN = re.compile(r"([0-9a-f]{32})\.([A-Za-z0-9_-]{43})")
MAX_TOKEN_CHARS = 76  # 32 + 1 + 43


@dataclass(frozen=True)
class Conversation:
    sender: str
    token: str


class ConversationTokens:
    def __init__(self, secret: str) -> None:
        self._key = secret.encode("utf-8")

    def _signature(self, sender: str) -> str:
        digest = hmac.new(self._key, _PURPOSE + sender.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def new_conversation(self) -> Conversation:
        sender = uuid.uuid4().hex
        return Conversation(sender, f"{sender}.{self._signature(sender)}")

    def sender_of(self, token: object) -> str | None:
        """The conversation the token opens, or None if it is not one we signed."""
        if not isinstance(token, str) or len(token) != MAX_TOKEN_CHARS:
            return None
        match = _TOKEN.fullmatch(token)
        if match is None:
            return None
        sender, signature = match.groups()
        if not hmac.compare_digest(signature, self._signature(sender)):
            return None
        return sender

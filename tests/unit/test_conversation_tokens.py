"""Conversation tokens (bot/web/api/tokens.py): the server makes the id, and only a token
it signed opens that conversation again."""

from __future__ import annotations

import pytest

from bot.web.api.tokens import ConversationTokens

SECRET = "x" * 43


def test_a_new_conversation_has_a_random_hex_id_and_a_token_that_opens_it():
    tokens = ConversationTokens(SECRET)
    first, second = tokens.new_conversation(), tokens.new_conversation()
    assert first.sender != second.sender
    assert len(first.sender) == 32 and int(first.sender, 16) >= 0
    assert tokens.sender_of(first.token) == first.sender
    assert tokens.sender_of(second.token) == second.sender


def test_another_app_with_the_same_secret_accepts_the_token_one_with_another_does_not():
    conversation = ConversationTokens(SECRET).new_conversation()
    assert ConversationTokens(SECRET).sender_of(conversation.token) == conversation.sender
    assert ConversationTokens("y" * 43).sender_of(conversation.token) is None


@pytest.mark.parametrize(
    "token",
    [
        None,
        42,
        "",
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef." + "A" * 43,
        "19811218-9876",
        "0701234567",
    ],
)
def test_anything_the_server_did_not_sign_is_refused(token):
    assert ConversationTokens(SECRET).sender_of(token) is None


def test_a_valid_token_with_anything_around_it_is_refused():
    tokens = ConversationTokens(SECRET)
    token = tokens.new_conversation().token
    for changed in (token + "\n", " " + token, token.upper(), token[:-1]):
        assert tokens.sender_of(changed) is None

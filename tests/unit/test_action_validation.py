"""Rasa's check of action-server responses, with the validator built once
(bot/adapters/action_validation.py): in place, the same verdicts and errors as Rasa's own,
and loud when the Rasa it patches changes."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

import bot.adapters  # noqa: F401 - importing the package installs the patch, as in Rasa
from bot.adapters import action_validation

VALID = [
    {},
    {"events": [], "responses": []},
    {
        "events": [
            {"event": "slot", "name": "topic", "value": "times", "timestamp": None},
            {"event": "followup", "name": "action_listen"},
        ],
        "responses": [{"response": "utter_greet"}, {"text": "Hej", "buttons": []}],
    },
]
MALFORMED = [
    {"events": [{"event": "no_such_event"}]},
    {"events": "not a list"},
    {"responses": [1, 2]},
    {"events": [{"event": "slot"}]},  # a slot event without a name
]


def stock_verdict(result: dict) -> str | None:
    try:
        action_validation._original(RemoteAction("action_x", None), result)
    except ValidationError as error:
        return error.message
    return None


def patched_verdict(result: dict) -> str | None:
    try:
        RemoteAction("action_x", None)._validate_action_result(result)
    except ValidationError as error:
        return error.message
    return None


def test_the_patch_is_in_place_once_our_adapters_are_imported():
    assert RemoteAction._validate_action_result is action_validation.validate_action_result


def test_the_installed_rasa_is_the_one_the_patch_was_written_for():
    # Fails when Rasa is upgraded: read the new method, then update or drop the patch.
    assert action_validation.patch_problem() is None


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass_as_with_rasa(result):
    assert stock_verdict(result) is None
    assert patched_verdict(result) is None


@pytest.mark.parametrize("result", MALFORMED)
def test_malformed_responses_are_rejected_with_rasas_own_message(result):
    stock = stock_verdict(result)
    assert stock is not None
    assert patched_verdict(result) == stock
    assert "Failed to validate Action server response" in stock


def test_the_validator_is_built_once():
    action_validation.response_validator.cache_clear()
    for result in VALID + VALID:
        patched_verdict(result)
    assert action_validation.response_validator.cache_info().misses == 1


def test_a_changed_rasa_is_left_alone(monkeypatch):
    monkeypatch.setattr(action_validation.rasa, "__version__", "3.7.0")
    monkeypatch.setattr(RemoteAction, "_validate_action_result", action_validation._original)
    assert "3.7.0" in (action_validation.patch_problem() or "")
    assert action_validation.install() is False
    assert RemoteAction._validate_action_result is action_validation._original

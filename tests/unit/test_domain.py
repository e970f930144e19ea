"""What `rasa data validate` cannot see: responses named in Python exist in the domain,
and every response in the domain is used by a rule, a story or an action."""

from __future__ import annotations

import re
from pathlib import Path

import actions.names
import bot.core.answers
from bot.paths import PROJECT_ROOT

# Responses Rasa itself calls by name (two-stage fallback, default fallback).
USED_BY_RASA = {"utter_ask_rephrase", "utter_default"}


def python_files() -> list[Path]:
    return [*Path(PROJECT_ROOT, "actions").rglob("*.py"), *Path(PROJECT_ROOT, "bot").rglob("*.py")]


def response_constants() -> set[str]:
    """Every `UTTER_X = "utter_x"` constant in our Python code."""
    names = set()
    for path in python_files():
        names |= set(
            re.findall(
                r'^UTTER_\w+ = "(utter_\w+)"', path.read_text(encoding="utf-8"), re.MULTILINE
            )
        )
    return names


def test_constants_are_found():
    expected = {actions.names.UTTER_ASK_WHICH_SERVICE, bot.core.answers.UTTER_SOURCE}
    assert expected <= response_constants()


def used_in_training_data() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (PROJECT_ROOT / "data").rglob("*.yml"))
    return set(re.findall(r"action: (utter_\w+)", text))


def test_every_response_named_in_python_exists(domain):
    missing = response_constants() - set(domain["responses"])
    assert missing == set()


def test_every_response_is_used(domain):
    used = response_constants() | used_in_training_data() | USED_BY_RASA
    unused = set(domain["responses"]) - used
    assert unused == set()


def test_python_never_builds_response_names():
    for path in python_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"f[\"']utter_", text), path

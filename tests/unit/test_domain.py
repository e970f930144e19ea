"""What `rasa data validate` cannot see: responses named in Python exist in the domain,
and every response in the domain is used by a rule, a story or an action."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import bot.core.answers
import bot.names
from bot.paths import PROJECT_ROOT

# Responses Rasa itself calls by name (two-stage fallback, default fallback).
USED_BY_RASA = {"utter_ask_rephrase", "utter_default"}


# Which part of domain.yml declares the names of each prefix of bot/names.py.
DOMAIN_SECTIONS = {
    "ACTION_": "actions",
    "INTENT_": "intents",
    "SLOT_": "slots",
    "ENTITY_": "entities",
    "UTTER_": "responses",
}


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
    expected = {bot.names.UTTER_ASK_WHICH_SERVICE, bot.core.answers.UTTER_SOURCE}
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


def declared(domain: dict[str, Any], section: str) -> set[str]:
    """The names a domain.yml section declares, whether listed or keyed (`- greet:`)."""
    names: set[str] = set()
    for item in domain.get(section) or []:
        names |= set(item) if isinstance(item, dict) else {item}
    return names


def missing_from_domain(module: Any, domain: dict[str, Any]) -> dict[str, str]:
    """The constants of `module` (name: value) that domain.yml does not declare, leaving
    out Rasa's own names (`RASA_BUILTINS`)."""
    builtins = getattr(module, "RASA_BUILTINS", frozenset())
    missing = {}
    for constant, value in vars(module).items():
        section = next((s for p, s in DOMAIN_SECTIONS.items() if constant.startswith(p)), None)
        if section is None or not isinstance(value, str) or value in builtins:
            continue
        if value not in declared(domain, section):
            missing[constant] = value
    return missing


def test_every_name_in_bot_names_exists_in_the_domain(domain):
    assert missing_from_domain(bot.names, domain) == {}


def test_every_kind_of_name_is_checked():
    constants = [c for c in vars(bot.names) if c.isupper()]
    for prefix in DOMAIN_SECTIONS:
        assert any(c.startswith(prefix) for c in constants), prefix


@pytest.mark.parametrize(
    "constant, value",
    [
        ("ACTION_MISSING", "action_missing"),
        ("INTENT_MISSING", "ask_missing"),
        ("SLOT_MISSING", "missing_slot"),
        ("ENTITY_MISSING", "missing_entity"),
        ("UTTER_MISSING", "utter_missing"),
    ],
)
def test_a_name_missing_from_the_domain_is_found(domain, constant, value):
    module = SimpleNamespace(**{constant: value, "RASA_BUILTINS": bot.names.RASA_BUILTINS})
    assert missing_from_domain(module, domain) == {constant: value}


def test_rasa_builtins_need_no_declaration(domain):
    builtins = bot.names.RASA_BUILTINS
    module = SimpleNamespace(INTENT_NLU_FALLBACK="nlu_fallback", RASA_BUILTINS=builtins)
    assert missing_from_domain(module, domain) == {}
    assert "nlu_fallback" not in declared(domain, "intents")

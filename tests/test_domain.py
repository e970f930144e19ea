"""What `rasa data validate` cannot see: responses named in Python exist in the domain,
and every response in the domain is used by a rule, a story or an action."""

from __future__ import annotations

import re
from pathlib import Path

import actions.names
import bot.answers
from bot.declarations import PROJECT_ROOT

# Responses Rasa itself calls by name (two-stage fallback, default fallback).
USED_BY_RASA = {"utter_ask_rephrase", "utter_default"}


def response_constants() -> set[str]:
    names = set()
    for module in (actions.names, bot.answers):
        names |= {v for k, v in vars(module).items()
                  if k.startswith("UTTER_") and isinstance(v, str)}
    return names


def used_in_training_data() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8")
                     for p in (PROJECT_ROOT / "data").rglob("*.yml"))
    return set(re.findall(r"action: (utter_\w+)", text))


def test_every_response_named_in_python_exists(domain):
    missing = response_constants() - set(domain["responses"])
    assert missing == set()


def test_every_response_is_used(domain):
    used = response_constants() | used_in_training_data() | USED_BY_RASA
    unused = set(domain["responses"]) - used
    assert unused == set()


def test_python_never_builds_response_names():
    python_files = [*Path(PROJECT_ROOT, "actions").glob("*.py"),
                    *Path(PROJECT_ROOT, "bot").glob("*.py")]
    for path in python_files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"f[\"']utter_", text), path

"""Small Swedish and English vocabulary from data/texts.yml (button titles, weekday names),
and one sentence of domain.yml read where Rasa does not say it (the AI disclosure in the
widget)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from bot.core.catalog import CatalogError
from bot.paths import DOMAIN_FILE, TEXTS_FILE


class Texts(BaseModel):
    intent_labels: dict[str, str]
    something_else: str
    # Messages that cancel a report made as chat turns (folded, whole message).
    cancel_words: list[str] = Field(..., min_items=1)
    # Messages that, right after the offer to report, accept it ("ok" does not).
    report_yes_words: list[str] = Field(..., min_items=1)
    weekdays: list[str] = Field(..., min_items=7, max_items=7)
    today: str
    tomorrow: str
    # The same in English, for conversations in English.
    intent_labels_en: dict[str, str]
    something_else_en: str
    weekdays_en: list[str] = Field(..., min_items=7, max_items=7)
    today_en: str
    tomorrow_en: str

    class Config:
        extra = "forbid"

    def day_name(self, day: date, today: date) -> str:
        if day == today:
            return self.today
        if (day - today).days == 1:
            return self.tomorrow
        return self.weekdays[day.weekday()]


@lru_cache(maxsize=4)
def load_texts(path: Path = TEXTS_FILE) -> Texts:
    try:
        return Texts.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc


@lru_cache(maxsize=16)
def domain_response_text(name: str, path: Path = DOMAIN_FILE) -> str:
    """The first text of response `name` in domain.yml, for a sentence shown outside Rasa
    as well as by it (one source); CatalogError when the file or the response is missing."""
    try:
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return str(domain["responses"][name][0]["text"])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError) as exc:
        raise CatalogError(f"{path}: response {name!r} with a text is missing ({exc})") from exc


_SLOT = re.compile(r"{([^\n{}]+?)}")


def filled_response(name: str, values: Mapping[str, Any], path: Path = DOMAIN_FILE) -> str:
    """Response `name`'s first text with `values` in its {slots}, as Rasa fills it (a slot
    without a value stays as written): the bot's reply, for a preview outside Rasa."""
    return _SLOT.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
        domain_response_text(name, path),
    )

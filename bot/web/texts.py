"""The web chat's text (Swedish; the widget's also in English), from data/web_texts.yml,
placeholders filled at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.catalog import CatalogError, load_municipality

# Every error code the API can return; web_texts.yml must have a message for each.
ERROR_CODES = (
    "invalid_json",
    "wrong_content_type",
    "invalid_encoding",
    "invalid_request",
    "sender_not_accepted",
    "missing_token",
    "invalid_token",
    "command_not_allowed",
    "gone",
    "empty_message",
    "message_too_long",
    "request_too_large",
    "rate_limited",
    "unknown_answer",
    "not_found",
    "method_not_allowed",
    "unavailable",
    "internal",
)
WIDGET_KEYS = (
    "launcher",
    "title",
    "subtitle",
    "close",
    "log_label",
    "you",
    "bot",
    "input_label",
    "input_placeholder",
    "send",
    "replies_label",
    "typing",
    "privacy_heading",
    "privacy_notice",
    "welcome",
    "delete",
    "delete_confirm",
    "delete_yes",
    "delete_no",
    "deleted",
    "delete_failed",
    "feedback_question",
    "feedback_up",
    "feedback_down",
    "feedback_thanks",
    "feedback_failed",
    "card_more_promises",
    "card_board",
    "card_source",
    "card_reviewed",
    "card_reviewed_approximate",
    "new_tab",
    "kinds",
    "unavailable",
    "characters_left",
)


class _TextsFile(BaseModel):
    errors: dict[str, str]
    widget: dict[str, Any]
    widget_en: dict[str, Any]

    class Config:
        extra = "forbid"


class WebTexts(BaseModel):
    errors: dict[str, str]
    widget: dict[str, Any]
    widget_en: dict[str, Any]  # the same keys in English, for conversations in English

    def error(self, code: str) -> str:
        return self.errors.get(code) or self.errors["internal"]


def _fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


def load_web_texts(path: Path, municipality_file: Path, max_message_chars: int) -> WebTexts:
    """Read and check the texts; raise CatalogError naming the file and the problem."""
    try:
        raw = _TextsFile.parse_obj(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    for section, expected, actual in (
        ("errors", ERROR_CODES, raw.errors),
        ("widget", WIDGET_KEYS, raw.widget),
        ("widget_en", WIDGET_KEYS, raw.widget_en),
    ):
        missing = sorted(set(expected) - set(actual))
        unknown = sorted(set(actual) - set(expected))
        if missing or unknown:
            raise CatalogError(
                f"{path}: section '{section}': missing {missing or 'nothing'}, "
                f"unknown {unknown or 'nothing'}"
            )
    kundtjanst = load_municipality(municipality_file).kundtjanst
    values = {
        "kundtjanst_phone": kundtjanst.phone,
        "kundtjanst_email": kundtjanst.email,
        "max_message_chars": max_message_chars,
    }
    try:
        return WebTexts(
            errors=_fill(raw.errors, values),
            widget=_fill(raw.widget, values),
            widget_en=_fill(raw.widget_en, values),
        )
    except (KeyError, IndexError, ValueError) as exc:
        raise CatalogError(f"{path}: unknown placeholder {exc}") from exc

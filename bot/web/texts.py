"""The web chat's text (Swedish; the widget's also in English), from data/web_texts.yml,
placeholders filled at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.core.cases import MAX_DESCRIPTION_CHARS
from bot.core.catalog import CatalogError, load_municipality
from bot.core.texts import domain_response_text
from bot.names import UTTER_AI_DISCLOSURE

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
    # Reports of broken promises (bot/web/api/cases.py; codes of bot/core/cases.py).
    "empty_description",
    "long_description",
    "unknown_service",
    "unknown_promise",
    "contact_required",
    "bad_email",
    "bad_phone",
    "long_name",
    "case_unavailable",
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
    "save",
    "save_nothing",
    "save_failed",
    "saved",
    "copy_filename",
    "copy_heading",
    "copy_saved",
    "copy_masked_note",
    "copy_choices",
)
# The report form of the widget (a broken promise; bot/web/api/cases.py).
REPORT_KEYS = (
    "offer_button",
    "heading",
    "intro",
    "service_label",
    "promise_legend",
    "description_label",
    "description_hint",
    "reply_legend",
    "anonymous",
    "anonymous_hint",
    "wants_reply",
    "name_label",
    "email_label",
    "phone_label",
    "contact_hint",
    "submit",
    "cancel",
    "sending",
    "registered",
    "registered_reply",
    "failed",
)


class _TextsFile(BaseModel):
    errors: dict[str, str]
    widget: dict[str, Any]
    report: dict[str, str]
    widget_en: dict[str, Any]

    class Config:
        extra = "forbid"


class WebTexts(BaseModel):
    errors: dict[str, str]
    widget: dict[str, Any]
    report: dict[str, str]
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
        ("report", REPORT_KEYS, raw.report),
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
        "max_description_chars": MAX_DESCRIPTION_CHARS,
    }
    try:
        widget = _fill(raw.widget, values)
        errors = _fill(raw.errors, values)
        report = _fill(raw.report, values)
        widget_en = _fill(raw.widget_en, values)
    except (KeyError, IndexError, ValueError) as exc:
        raise CatalogError(f"{path}: unknown placeholder {exc}") from exc
    # The bot's own first reply (domain.yml): the widget shows it before the first
    # question, and does not repeat it when the first answer brings it.
    # The session's disclosure is said before the language is known, so it is the Swedish one
    # in both sets of texts.
    widget["ai_disclosure"] = widget_en["ai_disclosure"] = domain_response_text(UTTER_AI_DISCLOSURE)
    return WebTexts(errors=errors, widget=widget, report=report, widget_en=widget_en)

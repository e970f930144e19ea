"""What to answer about a service: picks the facts and names the response to use.

Knows nothing of Rasa. Every answer is a list of `Reply` items: the name of a response
in domain.yml (all Swedish text lives there) plus the values that fill it, taken from
the catalog. Actions only turn replies into dispatcher calls.

Aspects are what the citizen asked about a service: an overview, the promises and times,
what is expected of them, what happens if a promise is not kept, and whom to contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.core.catalog import SERVICEFORKLARING, Catalog, Declaration

OVERVIEW = "overview"
PROMISES = "promises"
EXPECTATIONS = "expectations"
NOT_KEPT = "not_kept"
CONTACT = "contact"
ASPECTS = (OVERVIEW, PROMISES, EXPECTATIONS, NOT_KEPT, CONTACT)

# Response names, spelled out so `rasa data validate` and readers can find them.
UTTER_OVERVIEW_SF = "utter_overview_serviceforklaring"
UTTER_OVERVIEW_LEVEL = "utter_overview_serviceniva"
UTTER_TEXT_MISSING = "utter_declaration_text_missing"
UTTER_PROMISES = "utter_promises"
UTTER_PROMISES_NO_TIME = "utter_promises_no_time"
UTTER_MORE_PROMISES = "utter_more_promises"
UTTER_EXPECTATIONS = "utter_expectations"
UTTER_NO_EXPECTATIONS = "utter_no_expectations"
UTTER_NOT_KEPT = "utter_not_kept"
UTTER_CONTACT = "utter_service_contact"
UTTER_CONTACT_WITH_OPTION = "utter_service_contact_with_option"
UTTER_BOARD = "utter_responsible_board"
UTTER_SOURCE = "utter_source"
UTTER_SOURCE_APPROX = "utter_source_approximate"
UTTER_STALE = "utter_facts_stale"
UTTER_UNKNOWN_SERVICE = "utter_unknown_service"

BULLET = "• "


@dataclass(frozen=True)
class Reply:
    response: str
    values: dict[str, Any] = field(default_factory=dict)
    card: dict[str, Any] | None = None  # structured promise card for the web widget


def in_sentence(name: str) -> str:
    """A service name as it reads mid-sentence: "Bygglov" → "bygglov", "LSS" stays."""
    if len(name) > 1 and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def bullets(lines: list[str]) -> str:
    return "\n".join(BULLET + line for line in lines)


def _card(declaration: Declaration) -> dict[str, Any]:
    return {
        "type": "promise_card",
        "service": declaration.id,
        "name": declaration.name,
        "kind": declaration.kind,
        "responsible_board": declaration.responsible_board,
        "promises": [
            {"id": p.id, "text": p.text, "commitment": p.commitment} for p in declaration.promises
        ],
        "source_url": declaration.source_url,
        "reviewed": declaration.reviewed.isoformat(),
        "reviewed_approximate": declaration.reviewed_approximate,
    }


def _base_values(catalog: Catalog, declaration: Declaration) -> dict[str, Any]:
    kundtjanst = catalog.municipality.kundtjanst
    return {
        "service_name": in_sentence(declaration.name),
        "kundtjanst_phone": kundtjanst.phone,
        "kundtjanst_email": kundtjanst.email,
    }


def source_replies(catalog: Catalog, declaration_or_info: Any, today: date) -> list[Reply]:
    """The closing source line, plus a warning when the facts are over a year old."""
    item = declaration_or_info
    values = {
        "source_url": item.source_url,
        "reviewed": item.reviewed.isoformat(),
        "reviewed_year": str(item.reviewed.year),
        "kundtjanst_phone": catalog.municipality.kundtjanst.phone,
    }
    replies = [Reply(UTTER_SOURCE_APPROX if item.reviewed_approximate else UTTER_SOURCE, values)]
    if (today - item.reviewed).days > 365:
        replies.append(Reply(UTTER_STALE, values))
    return replies


def service_answer(
    catalog: Catalog, declaration: Declaration, aspect: str, today: date
) -> list[Reply]:
    """The replies for one aspect of one service, ending with the source."""
    if aspect not in ASPECTS:
        raise ValueError(f"unknown aspect {aspect!r}")
    values = _base_values(catalog, declaration)
    replies: list[Reply] = []

    if not declaration.text_available and aspect in (OVERVIEW, PROMISES, NOT_KEPT):
        replies.append(Reply(UTTER_TEXT_MISSING, {**values, "summary": declaration.summary}))
    elif aspect == OVERVIEW:
        promise_list = bullets([p.text for p in declaration.promises])
        is_formal = declaration.kind == SERVICEFORKLARING
        response = UTTER_OVERVIEW_SF if is_formal else UTTER_OVERVIEW_LEVEL
        replies.append(
            Reply(
                response,
                {**values, "summary": declaration.summary, "promise_list": promise_list},
                card=_card(declaration),
            )
        )
        if declaration.responsible_board:
            replies.append(Reply(UTTER_BOARD, {**values, "board": declaration.responsible_board}))
    elif aspect == PROMISES:
        timed = declaration.timed_promises
        if timed:
            replies.append(
                Reply(
                    UTTER_PROMISES,
                    {**values, "promise_list": bullets([p.text for p in timed])},
                    card=_card(declaration),
                )
            )
            if len(timed) < len(declaration.promises):
                replies.append(Reply(UTTER_MORE_PROMISES, values))
        else:
            replies.append(
                Reply(
                    UTTER_PROMISES_NO_TIME,
                    {**values, "promise_list": bullets([p.text for p in declaration.promises])},
                    card=_card(declaration),
                )
            )
    elif aspect == EXPECTATIONS:
        if declaration.expectations:
            replies.append(
                Reply(
                    UTTER_EXPECTATIONS,
                    {**values, "expectation_list": bullets(declaration.expectations)},
                )
            )
        else:
            replies.append(Reply(UTTER_NO_EXPECTATIONS, values))
    elif aspect == NOT_KEPT:
        lines = declaration.if_not_kept or catalog.municipality.serviceforklaring.if_not_kept
        replies.append(Reply(UTTER_NOT_KEPT, {**values, "not_kept_list": bullets(lines)}))
    elif aspect == CONTACT:
        contact = declaration.contact
        contact_values = {
            **values,
            "phone": contact.phone,
            "email": contact.email or catalog.municipality.kundtjanst.email,
            "phone_option": contact.phone_option or "",
            "other_list": bullets(contact.other),
        }
        response = UTTER_CONTACT_WITH_OPTION if contact.phone_option else UTTER_CONTACT
        replies.append(Reply(response, contact_values))

    replies.extend(source_replies(catalog, declaration, today))
    return replies


def unknown_service_answer(catalog: Catalog, name: str) -> list[Reply]:
    kundtjanst = catalog.municipality.kundtjanst
    return [
        Reply(
            UTTER_UNKNOWN_SERVICE,
            {
                "unknown_service": name,
                "kundtjanst_phone": kundtjanst.phone,
                "kundtjanst_email": kundtjanst.email,
            },
        )
    ]

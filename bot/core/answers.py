"""What to answer about a service: picks the facts and names the response to use.

Knows nothing of Rasa. Every answer is a list of `Reply` items: the name of a response
in domain.yml (all Swedish text lives there) plus the values that fill it, taken from
the catalog. Actions only turn replies into dispatcher calls.

Aspects are the parts of a declaration: an overview, the promises and times, what is
expected of the citizen, what happens if a promise is not kept, and whom to contact.
Beyond them, `fact_replies` gives the facts the question asked for (costs, rules, …) and
`not_covered_replies` says plainly that the source says nothing about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.core.catalog import (
    SERVICEFORKLARING,
    STALE_AFTER_DAYS,
    Authority,
    Catalog,
    Declaration,
    Promise,
)
from bot.core.clock import status
from bot.core.texts import load_texts

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
UTTER_OFFER_REPORT = "utter_offer_report"
UTTER_CONTACT = "utter_service_contact"
UTTER_CONTACT_WITH_OPTION = "utter_service_contact_with_option"
UTTER_BOARD = "utter_responsible_board"
UTTER_SOURCE = "utter_source"
UTTER_SOURCE_APPROX = "utter_source_approximate"
UTTER_STALE = "utter_facts_stale"
UTTER_UNKNOWN_SERVICE = "utter_unknown_service"
UTTER_FACTS = "utter_service_facts"
UTTER_NOT_COVERED = "utter_topic_not_covered"
UTTER_OTHER_AUTHORITY = "utter_other_authority"
UTTER_OUT_OF_SCOPE = "utter_out_of_scope"
UTTER_GENERAL_FACTS = "utter_general_facts"
UTTER_WHAT_IS_SERVICEFORKLARING = "utter_what_is_serviceforklaring"
UTTER_KUNDTJANST_CONTACT = "utter_kundtjanst_contact"
UTTER_KUNDTJANST_OPEN_NOW = "utter_kundtjanst_open_now"
UTTER_KUNDTJANST_CLOSED_NOW = "utter_kundtjanst_closed_now"

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


def _contact_values(catalog: Catalog, declaration: Declaration) -> dict[str, Any]:
    contact = declaration.contact
    option = f" ({contact.phone_option})" if contact.phone_option else ""
    return {
        "phone": contact.phone,
        "phone_with_option": contact.phone + option,
        "email": contact.email or catalog.municipality.kundtjanst.email,
        "phone_option": contact.phone_option or "",
        "other_list": bullets(contact.other),
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
    if is_stale(item.reviewed, today):
        replies.append(Reply(UTTER_STALE, values))
    return replies


def is_stale(reviewed: date, today: date) -> bool:
    return (today - reviewed).days > STALE_AFTER_DAYS


def _overview(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    values = _base_values(catalog, declaration)
    if not declaration.text_available:
        return [Reply(UTTER_TEXT_MISSING, {**values, "summary": declaration.summary})]
    is_formal = declaration.kind == SERVICEFORKLARING
    replies = [
        Reply(
            UTTER_OVERVIEW_SF if is_formal else UTTER_OVERVIEW_LEVEL,
            {
                **values,
                "summary": declaration.summary,
                "promise_list": bullets([p.text for p in declaration.promises]),
            },
            card=_card(declaration),
        )
    ]
    if declaration.responsible_board:
        replies.append(Reply(UTTER_BOARD, {**values, "board": declaration.responsible_board}))
    return replies


def promise_replies(
    catalog: Catalog, declaration: Declaration, promises: list[Promise], more: bool
) -> list[Reply]:
    """The given timed promises, most relevant first; `more`: say that there are others."""
    values = _base_values(catalog, declaration)
    replies = [
        Reply(
            UTTER_PROMISES,
            {**values, "promise_list": bullets([p.text for p in promises])},
            card=_card(declaration),
        )
    ]
    if more:
        replies.append(Reply(UTTER_MORE_PROMISES, values))
    return replies


def _promises(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    if not declaration.text_available:
        return _overview(catalog, declaration)
    timed = declaration.timed_promises
    if timed:
        more = len(timed) < len(declaration.promises)
        return promise_replies(catalog, declaration, timed, more)
    values = _base_values(catalog, declaration)
    promise_list = bullets([p.text for p in declaration.promises])
    return [
        Reply(
            UTTER_PROMISES_NO_TIME,
            {**values, "promise_list": promise_list},
            card=_card(declaration),
        )
    ]


def _expectations(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    values = _base_values(catalog, declaration)
    if not declaration.expectations:
        return [Reply(UTTER_NO_EXPECTATIONS, values)]
    return [
        Reply(UTTER_EXPECTATIONS, {**values, "expectation_list": bullets(declaration.expectations)})
    ]


def _not_kept(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    if not declaration.text_available:
        return _overview(catalog, declaration)
    lines = declaration.if_not_kept or catalog.municipality.serviceforklaring.if_not_kept
    values = _base_values(catalog, declaration)
    return [Reply(UTTER_NOT_KEPT, {**values, "not_kept_list": bullets(lines)})]


def report_offer_replies(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    """The offer to register a broken promise as a case (after the answer about what
    happens when one is not kept); the widget shows the card as a button that opens its
    report form (bot/web/api/cases.py). Nothing to offer where no promise is published."""
    if not (declaration.text_available and declaration.promises):
        return []
    card = {"type": "report_offer", "service": declaration.id, "name": declaration.name}
    return [Reply(UTTER_OFFER_REPORT, _base_values(catalog, declaration), card=card)]


def _contact(catalog: Catalog, declaration: Declaration) -> list[Reply]:
    values = {**_base_values(catalog, declaration), **_contact_values(catalog, declaration)}
    response = UTTER_CONTACT_WITH_OPTION if declaration.contact.phone_option else UTTER_CONTACT
    return [Reply(response, values)]


_ASPECT_REPLIES: dict[str, Callable[[Catalog, Declaration], list[Reply]]] = {
    OVERVIEW: _overview,
    PROMISES: _promises,
    EXPECTATIONS: _expectations,
    NOT_KEPT: _not_kept,
    CONTACT: _contact,
}


def aspect_replies(catalog: Catalog, declaration: Declaration, aspect: str) -> list[Reply]:
    """One aspect of one service, without the source line."""
    if aspect not in _ASPECT_REPLIES:
        raise ValueError(f"unknown aspect {aspect!r}")
    return _ASPECT_REPLIES[aspect](catalog, declaration)


def service_answer(
    catalog: Catalog, declaration: Declaration, aspect: str, today: date
) -> list[Reply]:
    """The replies for one aspect of one service, ending with the source."""
    return aspect_replies(catalog, declaration, aspect) + source_replies(
        catalog, declaration, today
    )


def fact_replies(catalog: Catalog, declaration: Declaration, texts: list[str]) -> list[Reply]:
    """The catalog texts that answer the question, most relevant first."""
    values = _base_values(catalog, declaration)
    return [Reply(UTTER_FACTS, {**values, "fact_list": bullets(texts)})]


def not_covered_replies(catalog: Catalog, declaration: Declaration, label: str) -> list[Reply]:
    """The source says nothing about what was asked: say so, and whom to ask."""
    values = {**_base_values(catalog, declaration), **_contact_values(catalog, declaration)}
    return [Reply(UTTER_NOT_COVERED, {**values, "topic": label})]


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


def authority_answer(catalog: Catalog, authority: Authority) -> list[Reply]:
    kundtjanst = catalog.municipality.kundtjanst
    return [
        Reply(
            UTTER_OTHER_AUTHORITY,
            {
                "authority": authority.name,
                "handles": authority.handles,
                # no word for "phone" here: the number reads as one in any language
                "contact": f"{authority.web}, {authority.phone}"
                if authority.phone
                else authority.web,
                "kundtjanst_phone": kundtjanst.phone,
            },
        )
    ]


def out_of_scope_answer(catalog: Catalog) -> list[Reply]:
    kundtjanst = catalog.municipality.kundtjanst
    return [
        Reply(
            UTTER_OUT_OF_SCOPE,
            {"kundtjanst_phone": kundtjanst.phone, "kundtjanst_email": kundtjanst.email},
        )
    ]


# General facts on these topics come from the page about serviceförklaringar; the others
# (Kundtjänst, e-services, hours) from Kundtjänst's page.
SERVICEFORKLARING_TOPICS = {"history", "quality", "complaints", "appeal", "not_kept"}


def general_fact_replies(
    catalog: Catalog, texts: list[str], topic: str | None, today: date
) -> list[Reply]:
    """Facts about serviceförklaringar, Kundtjänst and e-services in general."""
    municipality = catalog.municipality
    source: Any = (
        municipality.serviceforklaring
        if topic in SERVICEFORKLARING_TOPICS
        else municipality.kundtjanst
    )
    replies = [Reply(UTTER_GENERAL_FACTS, {"fact_list": bullets(texts)})]
    return replies + source_replies(catalog, source, today)


def serviceforklaring_replies(catalog: Catalog, today: date) -> list[Reply]:
    """What a serviceförklaring is, and what the municipality does when one is broken."""
    info = catalog.municipality.serviceforklaring
    values = {"summary": info.summary, "not_kept_list": bullets(info.if_not_kept)}
    return [Reply(UTTER_WHAT_IS_SERVICEFORKLARING, values), *source_replies(catalog, info, today)]


def kundtjanst_replies(catalog: Catalog, now: datetime) -> list[Reply]:
    """Kundtjänst's contact and hours, and whether the phone is open right now."""
    kundtjanst = catalog.municipality.kundtjanst
    phone_hours = kundtjanst.phone_hours
    replies = [
        Reply(
            UTTER_KUNDTJANST_CONTACT,
            {
                "phone": kundtjanst.phone,
                "email": kundtjanst.email,
                "phone_hours": phone_hours.weekdays.replace("-", "–"),
                "phone_hours_short": (
                    phone_hours.day_before_holiday or phone_hours.weekdays
                ).replace("-", "–"),
                "visiting_address": kundtjanst.visiting_address,
                "visiting_hours": kundtjanst.visiting_hours.weekdays.replace("-", "–"),
                "hours_note": kundtjanst.hours_note or "",
            },
        )
    ]
    current = status(phone_hours, now)
    if current.is_open and current.until:
        replies.append(
            Reply(UTTER_KUNDTJANST_OPEN_NOW, {"closes": current.until.strftime("%H:%M")})
        )
    elif current.next_open:
        texts = load_texts()
        replies.append(
            Reply(
                UTTER_KUNDTJANST_CLOSED_NOW,
                {
                    "next_open_day": texts.day_name(current.next_open.date(), now.date()),
                    "next_open_time": current.next_open.strftime("%H:%M"),
                },
            )
        )
    return replies

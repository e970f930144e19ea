"""How the review tool's data reaches the staff: the Jinja2 environment and its filters,
the JSON shapes of the `/granska/api/` routes, and text made safe for a spreadsheet."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2

from bot.core.spreadsheet import FormulaSafeWriter as FormulaSafeWriter
from bot.core.spreadsheet import csv_safe as csv_safe
from bot.review import messages as m
from bot.review import queries, stats
from bot.review.filters import Filters, swedish_datetime

REVIEW_DIR = Path(__file__).resolve().parent.parent  # bot/review
TEMPLATE_DIR = REVIEW_DIR / "templates"
STATIC_DIR = REVIEW_DIR / "static"


# --- templates --------------------------------------------------------------------------------


def when(timestamp: float | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    moment = swedish_datetime(timestamp)
    return moment.strftime(fmt) if moment else "–"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def confidence(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}".replace(".", ",")


def transcript_url(sender_id: str, message: str | None = None) -> str:
    # Dots too when the id is only dots: "." and ".." would be read as path steps.
    path = quote(sender_id, safe="") if sender_id.strip(".") else "%2E" * len(sender_id)
    url = f"/granska/samtal/{path}"
    return f"{url}?{urlencode({'meddelande': message})}" if message else url


def records_url(sender_id: str, fmt: str) -> str:
    """The utlämnande of one conversation in `fmt` (json, csv or html)."""
    path = transcript_url(sender_id).removeprefix("/granska/samtal/")
    return f"/granska/utlamnande/samtal/{path}?{urlencode({'format': fmt})}"


@lru_cache(maxsize=1)
def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=True,  # every {{ value }} is HTML-escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(when=when, percent=percent, confidence=confidence)
    environment.globals.update(
        urlencode=urlencode, transcript_url=transcript_url, records_url=records_url
    )
    return environment


# --- JSON shapes -------------------------------------------------------------------------------


def row_json(row: queries.ConversationRow) -> dict[str, Any]:
    return {
        "sender_id": row.sender_id,
        "started": row.started,
        "last": row.last,
        "user_messages": row.user_messages,
        "first_text": row.first_text,
        "intents": row.intents,
        "services": row.services,
        "lowest_confidence": row.lowest_confidence,
        "fallback": row.fallback,
        "handoff": row.handoff,
        "thumbs_up": row.thumbs_up,
        "thumbs_down": row.thumbs_down,
        "reviewed": row.reviewed,
        "tags": row.tags,
    }


def list_json(filters: Filters, page: queries.Page) -> dict[str, Any]:
    return {
        "page": page.number,
        "has_next": page.has_next,
        "ignored_filters": list(filters.problems),
        "conversations": [row_json(row) for row in page.rows],
    }


def said_json(said: m.Understanding) -> dict[str, Any]:
    return {
        "text": said.text,
        "intent": said.intent,
        "confidence": said.confidence,
        "ranking": [{"intent": n, "confidence": c} for n, c in said.ranking[:3]],
        "entities": [{"entity": e.entity, "value": e.value} for e in said.entities],
    }


def note_json(note: queries.Note) -> dict[str, Any]:
    return {"text": note.text, "by": note.created_by, "at": note.created_at}


def line_json(line: queries.Line) -> dict[str, Any]:
    body: dict[str, Any] = {
        "event_id": line.event_id,
        "kind": line.kind,
        "timestamp": line.timestamp,
        "turn": line.turn,
    }
    if line.said:
        body.update(said_json(line.said))
    if line.bot:
        body.update(text=line.bot.text, buttons=line.bot.buttons, response=line.bot.response)
    if line.action:
        body["action"] = line.action
    if line.rating:
        body["rating"] = line.rating
    if line.notes:
        body["notes"] = [note_json(n) for n in line.notes]
    return body


def transcript_json(found: queries.Transcript) -> dict[str, Any]:
    return {
        "sender_id": found.sender_id,
        "tags": found.tags,
        "reviewed_by": found.reviewed_by,
        "reviewed_at": found.reviewed_at,
        "notes": [note_json(n) for n in found.notes],
        "ai_disclosures": found.disclosures,
        "lines": [line_json(line) for line in found.lines],
    }


def inbox_json(items: list[queries.InboxItem], has_next: bool) -> dict[str, Any]:
    return {
        "has_next": has_next,
        "items": [
            {
                "event_id": i.event_id,
                "sender_id": i.sender_id,
                "timestamp": i.timestamp,
                "reasons": i.reasons,
                **said_json(i.said),
            }
            for i in items
        ],
    }


def dashboard_json(board: stats.Dashboard) -> dict[str, Any]:
    return {
        "start": board.start.isoformat(),
        "end": board.end.isoformat(),
        "days": [
            {
                "day": d.day.isoformat(),
                "conversations": d.conversations,
                "messages": d.messages,
                "fallbacks": d.fallbacks,
                "handoffs": d.handoffs,
            }
            for d in board.days
        ],
        "top_intents": board.top_intents,
        "top_services": board.top_services,
        "unknown_services": board.unknown_services,
        "languages": board.languages,
        "thumbs_up": board.thumbs_up,
        "thumbs_down": board.thumbs_down,
    }


# --- CSV ---------------------------------------------------------------------------------------

# One writer for every CSV the bot makes lives in bot/core/spreadsheet.py (the open data
# writes CSV too); imported above and used from here by the review tool's views and tests.

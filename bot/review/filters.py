"""The conversation list's filters, parsed from the query string and turned back into it.

Parsing never fails: a value that cannot be read (a date like 2024-13-45 or 9999-12-31, a
threshold like "abc") is dropped and named in `problems`, so the page shows everything
else and says which filter it ignored (an export refuses instead: it would export more
than was asked for). Values are never put into SQL text; `bot.review.queries` binds
them as parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.message_language import LANGUAGES
from bot.names import TIME_ZONE

SWEDISH_TIME = ZoneInfo(TIME_ZONE)
# Dates outside these are not a filter anyone means (9999-12-31 overflowed the day after).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)
MAX_TEXT = 200  # longest search text, tag or name we take from a query string

YES = "ja"
NO = "nej"


def _one(args: Mapping[str, Any], name: str) -> str:
    """The first value of a query-string parameter (Sanic gives lists), stripped."""
    value = args.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value).strip()[:MAX_TEXT] if value is not None else ""


def start_of_day(day: date) -> float:
    """The Unix time of midnight in Sweden at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=SWEDISH_TIME).timestamp()


def swedish_datetime(timestamp: float | None) -> datetime | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, SWEDISH_TIME)


@dataclass(frozen=True)
class Filters:
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    intent: str | None = None
    service: str | None = None
    language: str | None = None  # a message identified in this language (sv, en, fi, se, other)
    below: float | None = None  # a user message with confidence below this
    fallback: bool = False
    handoff: bool = False
    thumbs_down: bool = False
    reviewed: str | None = None  # YES, NO or None (both)
    tag: str | None = None
    search: str | None = None
    problems: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, args: Mapping[str, Any]) -> Filters:
        problems: list[str] = []

        def day(name: str) -> date | None:
            raw = _one(args, name)
            if not raw:
                return None
            try:
                day = date.fromisoformat(raw)
            except ValueError:
                day = None
            if day is None or not FIRST_DAY <= day <= LAST_DAY:
                problems.append(name)
                return None
            return day

        below = None
        raw_below = _one(args, "under")
        if raw_below:
            try:
                below = float(raw_below.replace(",", "."))
            except ValueError:
                problems.append("under")
            else:
                if not 0 < below <= 1:
                    problems.append("under")
                    below = None
        language = _one(args, "sprak") or None
        if language is not None and language not in LANGUAGES:
            problems.append("sprak")
            language = None
        reviewed = _one(args, "granskad") or None
        if reviewed not in (None, YES, NO):
            problems.append("granskad")
            reviewed = None
        return cls(
            date_from=day("fran"),
            date_to=day("till"),
            intent=_one(args, "intent") or None,
            service=_one(args, "tjanst") or None,
            language=language,
            below=below,
            fallback=_one(args, "fallback") == YES,
            handoff=_one(args, "handoff") == YES,
            thumbs_down=_one(args, "tumme_ner") == YES,
            reviewed=reviewed,
            tag=_one(args, "tagg") or None,
            search=_one(args, "sok") or None,
            problems=tuple(problems),
        )

    def query(self) -> dict[str, str]:
        """The filters as query-string parameters (for links and the CSV export)."""
        out: dict[str, str] = {}
        if self.date_from:
            out["fran"] = self.date_from.isoformat()
        if self.date_to:
            out["till"] = self.date_to.isoformat()
        for name, value in (
            ("intent", self.intent),
            ("tjanst", self.service),
            ("sprak", self.language),
            ("tagg", self.tag),
            ("sok", self.search),
            ("granskad", self.reviewed),
        ):
            if value:
                out[name] = value
        if self.below is not None:
            out["under"] = f"{self.below:g}"
        for name, flag in (
            ("fallback", self.fallback),
            ("handoff", self.handoff),
            ("tumme_ner", self.thumbs_down),
        ):
            if flag:
                out[name] = YES
        return out

    def as_dict(self) -> dict[str, Any]:
        """For the audit log."""
        values = {k: v for k, v in asdict(self).items() if v not in (None, False, ())}
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}

    @property
    def time_range(self) -> tuple[float | None, float | None]:
        """[start, end) in Unix time, from the Swedish calendar days."""
        start = start_of_day(self.date_from) if self.date_from else None
        end = start_of_day(self.date_to + timedelta(days=1)) if self.date_to else None
        return start, end

    @property
    def active(self) -> bool:
        return bool(self.query())

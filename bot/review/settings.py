"""Settings of the review tool, from environment variables (the database is the web
app's TRACKER_DB_URL, so reviews live beside the conversations they are about).

| variable                        | default | meaning                                      |
|---------------------------------|---------|----------------------------------------------|
| REVIEW_CONFIDENCE_THRESHOLD     | 0.7     | NLU inbox: messages below this confidence    |
| REVIEW_CREATE_INDEXES           | 1       | add our indexes to `events` at start (0: no) |
| REVIEW_DASHBOARD_CACHE_SECONDS  | 3600    | how long counted past days are reused (0: no)|
| CONTENT_REVIEW_MONTHS           | 12      | months from a review to the next one due     |
| CONTENT_REVIEW_WARN_DAYS        | 30      | listed as due soon this many days before     |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# One error type for every setting; SettingsError stays importable from here.
from bot.settings import SettingsError, flag, number

__all__ = ["ReviewSettings", "SettingsError"]


@dataclass(frozen=True)
class ReviewSettings:
    confidence_threshold: float = 0.7
    create_indexes: bool = True
    dashboard_cache_seconds: float = 3600.0
    content_review_months: int = 12
    content_review_warn_days: int = 30

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReviewSettings:
        return cls(
            confidence_threshold=number(env, "REVIEW_CONFIDENCE_THRESHOLD", 0.7, 0.01, 1.0),
            create_indexes=flag(env, "REVIEW_CREATE_INDEXES", True),
            dashboard_cache_seconds=number(
                env, "REVIEW_DASHBOARD_CACHE_SECONDS", 3600.0, 0, 86_400
            ),
            content_review_months=number(env, "CONTENT_REVIEW_MONTHS", 12, 1, 120),
            content_review_warn_days=number(env, "CONTENT_REVIEW_WARN_DAYS", 30, 0, 365),
        )

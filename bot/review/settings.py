"""Settings of the review tool, from environment variables (the database is the web
app's TRACKER_DB_URL, so reviews live beside the conversations they are about).

| variable                        | default | meaning                                      |
|---------------------------------|---------|----------------------------------------------|
| REVIEW_CONFIDENCE_THRESHOLD     | 0.7     | NLU inbox: messages below this confidence    |
| REVIEW_CREATE_INDEXES           | 1       | add our indexes to `events` at start (0: no) |
| REVIEW_DASHBOARD_CACHE_SECONDS  | 3600    | how long counted past days are reused (0: no)|
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(ValueError):
    """An environment variable the review tool cannot use; the message names it."""


@dataclass(frozen=True)
class ReviewSettings:
    confidence_threshold: float = 0.7
    create_indexes: bool = True
    dashboard_cache_seconds: float = 3600.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ReviewSettings:
        env = os.environ if env is None else env

        def number(name: str, default: float, low: float, high: float) -> float:
            raw = (env.get(name) or "").strip() or str(default)
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r}: expected a number") from None
            if not low <= value <= high:
                raise SettingsError(f"{name}={raw!r}: must be between {low:g} and {high:g}")
            return value

        return cls(
            confidence_threshold=number("REVIEW_CONFIDENCE_THRESHOLD", 0.7, 0.01, 1.0),
            create_indexes=(env.get("REVIEW_CREATE_INDEXES") or "1").strip() != "0",
            dashboard_cache_seconds=number("REVIEW_DASHBOARD_CACHE_SECONDS", 3600, 0, 86_400),
        )

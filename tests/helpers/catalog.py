"""Where the catalog's tests find the facts sheet the declarations were written from:
beside the repository, in the team's shared folder (the test skips when it is absent)."""

from __future__ import annotations

from bot.paths import PROJECT_ROOT

FACTS_SHEET = PROJECT_ROOT.parent / "shared" / "facts" / "declarations-facts.md"

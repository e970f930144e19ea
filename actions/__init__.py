"""Custom actions, one module per topic. Thin: they read slots, ask bot/ for the answer
and dispatch it. The catalog is loaded (and validated) when this package is imported,
so the action server refuses to start on a broken catalog. It then follows the catalog
published in the tracker database (TRACKER_DB_URL) and the review dates staff confirm
there: the one store module actions may import (pyproject's import contract)."""

import bot.content_length_guard  # noqa: F401 - the action server: 400 on a bad Content-Length
from bot.core.catalog import default_store
from bot.store.content_catalog import follow_database
from bot.store.database import tracker_db_url

follow_database(default_store(), tracker_db_url())

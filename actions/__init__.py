"""Custom actions, one module per topic. Thin: they read slots, ask bot/ for the answer
and dispatch it. The catalog is loaded (and validated) when this package is imported,
so the action server refuses to start on a broken catalog."""

import bot.content_length_guard  # noqa: F401 - the action server: 400 on a bad Content-Length
from bot.core.catalog import default_store

default_store()

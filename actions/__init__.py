"""Custom actions, one module per topic. Thin: they read slots, ask bot/ for the answer
and dispatch it. The catalog is loaded (and validated) when this package is imported,
so the action server refuses to start on a broken catalog."""

from bot.core.catalog import default_store

default_store()

"""The citizen-facing web layer: chat widget + JSON API, a Sanic app in front of Rasa."""

from bot.web.app import create_app
from bot.web.config import WebConfig

__all__ = ["WebConfig", "create_app"]

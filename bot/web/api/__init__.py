"""The `api` feature: the JSON API the widget talks to."""

from bot.web.api.views import api_blueprint

__all__ = ["api_blueprint"]

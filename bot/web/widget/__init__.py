"""The `widget` feature: the chat widget's script and style, and a demo service page."""

from bot.web.widget.views import widget_blueprint

__all__ = ["widget_blueprint"]

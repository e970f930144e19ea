"""What Rasa loads by dotted path: NLU components, input channels, tracker store, lock store."""

import bot.content_length_guard  # noqa: F401 - Rasa's Sanic server: 400 on a bad Content-Length

"""What Rasa loads by dotted path: NLU components, input channels, tracker store, lock store.

Importing this package (Rasa does, for any of the above) puts our start-up patches of Rasa
and its Sanic server in place: see each module's docstring.
"""

import bot.content_length_guard  # noqa: F401 - Rasa's Sanic server: 400 on a bad Content-Length
from bot.adapters import action_validation, session_start

action_validation.install()
session_start.install()

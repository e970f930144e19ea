"""What Rasa loads by dotted path: NLU components, input channels, tracker store, lock store.

Importing this package (Rasa does, for any of the above) puts our start-up patches of Rasa
in place: see each module's docstring.
"""

from bot.adapters import action_validation

action_validation.install()

"""What Rasa loads by dotted path: NLU components, input channels, tracker store, lock store."""

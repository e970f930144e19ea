"""The core: catalog, answers, matcher, language, redaction, clock, texts. Imports neither
Rasa, Sanic nor SQLAlchemy, and nothing else of ours."""

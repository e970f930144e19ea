"""The tracker database (Rasa's `events` table and our own tables beside it), with
SQLAlchemy Core only."""

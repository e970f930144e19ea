"""Where the project's files are: one place, so no module has to work it out again.

Imports nothing of ours, so every layer may use it.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_CATALOG_DIR = DATA_DIR / "declarations"
DEFAULT_MUNICIPALITY_FILE = DATA_DIR / "municipality.yml"
DEFAULT_AUTHORITIES_FILE = DATA_DIR / "authorities.yml"
TOPICS_FILE = DATA_DIR / "topics.yml"
TEXTS_FILE = DATA_DIR / "texts.yml"
WEB_TEXTS_FILE = DATA_DIR / "web_texts.yml"
LANGUAGES_FILE = DATA_DIR / "languages.yml"
DOMAIN_FILE = PROJECT_ROOT / "domain.yml"
CONFIG_FILE = PROJECT_ROOT / "config.yml"
# Everything the bot writes at run time: the SQLite tracker store, logs, endpoints.yml.
VAR_DIR = PROJECT_ROOT / "var"
DEFAULT_TRACKER_DB = VAR_DIR / "tracker.db"
# The web app's key for signing conversation tokens, made on first start (WEB_TOKEN_SECRET).
WEB_TOKEN_SECRET_FILE = VAR_DIR / "web_token_secret"
# The words of the open data set's description (bot/core/open_data.py).
OPEN_DATA_FILE = DATA_DIR / "open_data.yml"

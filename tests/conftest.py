"""What every level of tests needs: the environment defaults, the real catalog and the
real domain. The servers are in tests/e2e/conftest.py, PostgreSQL and Redis in
tests/helpers/services.py and tests/integration/conftest.py."""

from __future__ import annotations

import os
from typing import Any

import pytest
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from bot.core.catalog import Catalog, load_catalog  # noqa: E402
from bot.paths import PROJECT_ROOT  # noqa: E402


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))

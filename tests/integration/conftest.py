"""Fixtures of the integration tests: a PostgreSQL schema of their own (skipped without
the server)."""

from __future__ import annotations

import pytest

from tests.helpers.services import postgres_schema_or_skip


@pytest.fixture
def postgres_url():
    with postgres_schema_or_skip() as url:
        yield url

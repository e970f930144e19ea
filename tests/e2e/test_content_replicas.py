"""A draft approved in the review tool reaches every action server that shares the
PostgreSQL tracker database (two real `rasa_sdk` processes, no Rasa, no model): each
answers with the new text within seconds of the approval, without a restart or
retraining."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

from bot.ops.stack import Stack
from bot.review.tables import create_tables, engine_for
from bot.store import content_catalog as published
from bot.store import content_drafts as drafts
from tests.helpers.services import postgres_schema_or_skip
from tests.helpers.trackers import make_tracker, service_entity, user_message

pytestmark = pytest.mark.slow

OLD = (
    "Startbesked för en eldstad får du inom högst 2 veckor efter att alla handlingar har kommit in."
)
NEW = "Startbesked för en eldstad får du inom högst 2 veckor, också under semestern."


@pytest.fixture(scope="module")
def two_action_servers(tmp_path_factory):
    with postgres_schema_or_skip("replicas") as url:
        engine = engine_for(url)
        create_tables(engine)
        published.seed_from_folder(engine)  # as the web app does at start
        stacks = [
            Stack.on_free_ports(
                Path("unused"), tmp_path_factory.mktemp(f"actions-{i}"), {"TRACKER_DB_URL": url}
            )
            for i in range(2)
        ]
        try:
            for stack in stacks:
                stack.start_action_server()
            yield engine, [stack.action_url for stack in stacks]
        finally:
            for stack in stacks:
                stack.stop()


def answer(action_url: str, domain: dict) -> str:
    """What the action server says about bygglov's times (its response values, as JSON)."""
    tracker = make_tracker(
        user_message("hur lång tid tar bygglov?", "ask_times", [service_entity("bygglov")])
    )
    body = {
        "next_action": "action_answer_service",
        "sender_id": tracker.sender_id,
        "tracker": tracker.current_state(),
        "domain": domain,
        "version": "3.6.21",
    }
    request = urllib.request.Request(
        f"{action_url}/webhook",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.dumps(json.load(response)["responses"], ensure_ascii=False)


def test_an_approved_draft_reaches_both_action_servers(two_action_servers, domain):
    engine, urls = two_action_servers
    assert all(OLD in answer(url, domain) for url in urls)
    text = published.documents(engine)["bygglov.yml"].replace(OLD, NEW)
    version = published.published_version(engine)
    draft = drafts.save(engine, "bygglov", text, "erik", version, None)
    drafts.submit(engine, draft.id, "erik", draft.revision)
    drafts.approve(engine, draft.id, "adam", draft.revision + 1)

    deadline = time.monotonic() + 8
    said = [answer(url, domain) for url in urls]
    while not all(NEW in s for s in said) and time.monotonic() < deadline:
        time.sleep(0.5)
        said = [answer(url, domain) for url in urls]
    assert all(NEW in s and OLD not in s for s in said), said

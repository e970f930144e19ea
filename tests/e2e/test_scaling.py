"""Several Rasa replicas as Rasa scales: a shared PostgreSQL tracker store, the Redis lock
store, two action servers and nginx in front (bot/ops/balancer.py, bot/ops/stack.py), against
the real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) of this machine.

Skipped, with the reason, when PostgreSQL, Redis or nginx is absent (`make test` installs
nginx; the machine runs the databases)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from bench.harness import RestClient
from bench.loadtest import QUESTIONS
from bench.turn_order import (
    TurnCheck,
    burst_check,
    check_turns,
    numbered,
    reply_texts,
    stored_events,
)
from bot.adapters.channels import ChannelTexts
from bot.ops.balancer import BalancerError, nginx_binary
from bot.ops.stack import Stack
from tests.helpers.review import PASSWORD, add_staff
from tests.helpers.services import postgres_schema_or_skip, redis_url_or_skip

pytestmark = pytest.mark.slow


def require_nginx() -> None:
    try:
        nginx_binary()
    except BalancerError as exc:
        pytest.skip(str(exc))


def scaled_stack(
    model: Path, log_dir: Path, tracker_db_url: str, lock_store_url: str | None
) -> Stack:
    env = {"TRACKER_DB_URL": tracker_db_url, "LOCK_STORE_URL": lock_store_url or ""}
    return Stack.on_free_ports(model, log_dir, env, rasa_replicas=2, action_servers=2)


@pytest.fixture(scope="module")
def scaled(quick_model, tmp_path_factory):
    """Two Rasa replicas + two action servers behind nginx, the web app on the balancer,
    PostgreSQL (a schema of its own) + Redis."""
    require_nginx()
    redis_url = redis_url_or_skip()
    with postgres_schema_or_skip("scaling") as db_url:
        stack = scaled_stack(quick_model, tmp_path_factory.mktemp("scaled"), db_url, redis_url)
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()
            from bot.store.conversations import engine_for

            engine_for(db_url).dispose()


def db_url_of(stack: Stack) -> str:
    return stack.env["TRACKER_DB_URL"]


def texts_of(replies) -> str:
    return "\n".join(reply_texts(replies))


def test_the_balancer_serves_where_one_rasa_would(scaled, catalog):
    # nginx listens on rasa_port; the replicas on their own ports.
    assert scaled.rasa_port not in scaled.rasa_replica_ports
    status, replies = RestClient(scaled.rasa_url).send("hur lång tid tar bygglov?")
    assert status == 200
    assert catalog.declarations["bygglov"].source_url in texts_of(replies)


def test_a_conversation_alternating_between_replicas_keeps_its_context(scaled, catalog):
    sender = uuid.uuid4().hex
    first, second = RestClient(scaled.replica_url(0)), RestClient(scaled.replica_url(1))
    bygglov = catalog.declarations["bygglov"].source_url

    status, replies = first.send("hur lång tid tar bygglov?", sender)
    assert status == 200 and bygglov in texts_of(replies)
    # The follow-up names no service: only the stored context (slot `service`) says which.
    status, replies = second.send("och om ni inte håller det?", sender)
    assert status == 200 and bygglov in texts_of(replies), texts_of(replies)
    status, replies = first.send("vem kontaktar jag?", sender)
    assert status == 200 and bygglov in texts_of(replies), texts_of(replies)

    sent = ["hur lång tid tar bygglov?", "och om ni inte håller det?", "vem kontaktar jag?"]
    stored = stored_events(db_url_of(scaled), sender)
    assert [e.text for e in stored if e.type_name == "user"] == sent
    assert [e.id for e in stored] == sorted(e.id for e in stored)
    assert check_turns(stored, sent).whole


def burst_of_twenty(stack: Stack) -> tuple[list[tuple[int, object]], TurnCheck]:
    """20 different messages to one new conversation at the same moment, alternately to
    the two replicas directly; then the stored conversation checked turn by turn."""
    texts = numbered(QUESTIONS)
    assert len(texts) == 20
    results, check, late = burst_check(
        [stack.replica_url(0), stack.replica_url(1)],
        db_url_of(stack),
        texts,
        ChannelTexts.from_domain().technical_problem,
    )
    print(f"{late} of 20 replies came after the reply deadline")  # shown on failure
    return results, check


def test_twenty_messages_at_once_through_two_replicas_are_each_stored_once(scaled):
    results, check = burst_of_twenty(scaled)
    assert [status for status, _ in results] == [200] * 20, results
    assert check.whole, check.summary()
    assert check.stored == 20


def test_the_review_tool_lists_and_shows_conversations_from_postgresql(scaled):
    sender = uuid.uuid4().hex
    for replica, text in enumerate(["vad lovar ni om snöröjning?", "och om ni inte gör det?"]):
        status, _ = RestClient(scaled.replica_url(replica)).send(text, sender)
        assert status == 200
    add_staff(db_url_of(scaled), "granskare", "reviewer")

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{scaled.web_url}/granska/logga-in").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {"csrf_token": token, "username": "granskare", "password": PASSWORD}
    ).encode()
    landing = opener.open(f"{scaled.web_url}/granska/logga-in", data=form)
    assert landing.status == 200 and landing.url.endswith("/granska/")

    listed = json.loads(
        opener.open(f"{scaled.web_url}/granska/api/samtal?tjanst=snorojning").read()
    )
    assert sender in [row["sender_id"] for row in listed["conversations"]]
    transcript = json.loads(opener.open(f"{scaled.web_url}/granska/api/samtal/{sender}").read())
    said = [line for line in transcript["lines"] if line["kind"] == "user"]
    assert [line["text"] for line in said] == [
        "vad lovar ni om snöröjning?",
        "och om ni inte gör det?",
    ]
    assert all(line["intent"] and line["confidence"] is not None for line in said)
    html = opener.open(f"{scaled.web_url}/granska/samtal/{sender}").read().decode()
    assert "snöröjning" in html


def test_the_widget_api_goes_through_the_balancer(scaled, catalog):
    body = json.dumps({"message": "när töms soptunnan?"}).encode()
    request = urllib.request.Request(
        f"{scaled.web_url}/api/chat", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert answer["turn"] == 1
    assert any(
        catalog.declarations[s].source_url in m.get("text", "")
        for m in answer["messages"]
        for s in catalog.declarations
    )


def test_a_dead_replica_is_skipped_by_the_balancer(scaled, catalog):
    """Last in this module: it stops a replica for good."""
    scaled.stop_process(scaled.rasa_names[1])
    sender = uuid.uuid4().hex
    for text in ["hur lång tid tar bygglov?", "och om ni inte håller det?"] * 3:
        status, replies = RestClient(scaled.rasa_url).send(text, sender)
        assert status == 200
        assert catalog.declarations["bygglov"].source_url in texts_of(replies)
    assert (
        check_turns(
            stored_events(db_url_of(scaled), sender),
            ["hur lång tid tar bygglov?", "och om ni inte håller det?"] * 3,
        ).lost
        == 0
    )

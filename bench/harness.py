"""What the benchmarks and the end-to-end tests share: a percentile, a client for Rasa's
REST webhook (sync and async, the same messages and the same replies), the whole stack
on free ports, a throw-away PostgreSQL schema, and the stored events read back through
bot.store.conversations (SQLite or PostgreSQL, whichever TRACKER_DB_URL names).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import statistics
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp
import sqlalchemy as sa

from bot.ops.stack import Stack
from bot.store.conversations import engine_for, events
from bot.store.database import TrackerDBUnreachable, check_tracker_db


def percentile(values: list[float], q: float) -> float:
    """The value at percentile `q` (0-100): nearest rank, no interpolation."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# --- Rasa's REST webhook ----------------------------------------------------------------------

# As bot/web/api/rasa.py spells it; imported from there, it would load the whole web app.
WEBHOOK_PATH = "/webhooks/rest/webhook"
JSON = "application/json"


class Reply(NamedTuple):
    status: int  # 0: no HTTP answer at all (refused, reset, timed out)
    body: Any  # the JSON body, else its text; with status 0, why there was no answer


def message_body(text: str, sender: str | None = None) -> bytes:
    """The webhook's JSON body for one message (a new conversation if no `sender`)."""
    return json.dumps({"sender": sender or uuid.uuid4().hex, "message": text}).encode()


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class RestClient:
    """The REST webhook of a Rasa server (or of the balancer in front of replicas)."""

    def __init__(self, rasa_url: str, timeout: float = 120) -> None:
        self.url = f"{rasa_url}{WEBHOOK_PATH}"
        self.timeout = timeout

    def post(self, body: bytes, query: str = "", content_type: str = JSON) -> Reply:
        """Any body, as it is: also the malformed ones."""
        request = urllib.request.Request(
            self.url + query, data=body, method="POST", headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Reply(response.status, _parsed(response.read()))
        except urllib.error.HTTPError as error:
            return Reply(error.code, _parsed(error.read()))
        except (OSError, http.client.HTTPException) as exc:
            return Reply(0, str(exc))

    def send(self, text: str, sender: str | None = None) -> Reply:
        return self.post(message_body(text, sender))

    def ask(self, text: str, sender: str | None = None) -> list[dict]:
        """The bot's replies to a message that must be answered (HTTP 200)."""
        status, replies = self.send(text, sender)
        if status != 200:
            raise AssertionError(f"HTTP {status} from {self.url}: {replies!r}")
        return replies


class AsyncRestClient:
    """The same webhook for many conversations at once: one aiohttp session, opened and
    closed by `async with`."""

    def __init__(self, rasa_url: str, timeout: float = 120) -> None:
        self.url = f"{rasa_url}{WEBHOOK_PATH}"
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AsyncRestClient:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._session.close()

    async def send(self, text: str, sender: str | None = None) -> Reply:
        body = message_body(text, sender)
        try:
            async with self._session.post(
                self.url, data=body, headers={"Content-Type": JSON}
            ) as response:
                return Reply(response.status, _parsed(await response.read()))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return Reply(0, str(exc) or type(exc).__name__)


async def load(
    rasa_url: str,
    texts: list[str],
    conversations: int,
    per_conversation: int,
    concurrency: int | None = None,
) -> dict:
    """`conversations` conversations, `concurrency` of them at a time (default: all at
    once), each `per_conversation` messages taken in turn from `texts`: latency p50/p95 in
    ms, messages/s and how many were not HTTP 200."""
    latencies: list[float] = []
    errors = 0
    slots = asyncio.Semaphore(concurrency or conversations)

    async def conversation(client: AsyncRestClient, chunk: list[str]) -> None:
        nonlocal errors
        sender = uuid.uuid4().hex
        async with slots:
            for text in chunk:
                started = time.perf_counter()
                status, _ = await client.send(text, sender)
                errors += status != 200
                latencies.append(time.perf_counter() - started)

    async with AsyncRestClient(rasa_url) as client:
        started = time.perf_counter()
        jobs = []
        for i in range(conversations):
            first = i * per_conversation
            chunk = [texts[(first + j) % len(texts)] for j in range(per_conversation)]
            jobs.append(conversation(client, chunk))
        await asyncio.gather(*jobs)
        elapsed = time.perf_counter() - started
    return {
        "messages": len(latencies),
        "errors": errors,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * percentile(latencies, 95),
        "msg_per_s": len(latencies) / elapsed,
    }


# --- stacks -----------------------------------------------------------------------------------


def sqlite_stack(model: Path, log_dir: Path, env: dict[str, str] | None = None) -> Stack:
    """The whole stack on free ports, with a SQLite tracker store of its own in `log_dir`."""
    tracker_db = {"TRACKER_DB_URL": f"sqlite:///{log_dir / 'tracker.db'}"}
    return Stack.on_free_ports(model, log_dir, {**tracker_db, **(env or {})})


@contextmanager
def running(stack: Stack, web: bool = True) -> Iterator[Stack]:
    """`stack` started (see Stack.start) until the block ends, then stopped."""
    stack.start(web=web)
    try:
        yield stack
    finally:
        stack.stop()


# --- PostgreSQL (and Redis) ------------------------------------------------------------------

# This machine's servers that the tests and the scaling bench use (trust authentication).
POSTGRES_TEST_URL = "postgresql://127.0.0.1:5432/test"
REDIS_TEST_URL = "redis://127.0.0.1:6379/0"


def postgres_problem(url: str, timeout: float = 3) -> str | None:
    """None if the PostgreSQL database of `url` answers, else why not."""
    try:
        check_tracker_db(url, timeout=timeout)
    except TrackerDBUnreachable as exc:
        return str(exc)
    return None


@contextmanager
def postgres_schema(server_url: str, prefix: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database of `server_url`, dropped afterwards; yields
    a TRACKER_DB_URL confined to it (search_path), for tests and benchmarks that must
    neither see nor touch anyone else's rows. Raises TrackerDBUnreachable."""
    check_tracker_db(server_url, timeout=3)
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with engine.connect() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    separator = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'drop schema "{schema}" cascade'))
        engine.dispose()


# --- the stored events ------------------------------------------------------------------------


def event_rows(
    db_url: str, senders: Iterable[str] | None = None, type_name: str | None = None
) -> list[sa.engine.Row]:
    """Rows of the tracker store's `events` table (every column Rasa writes), in the order
    Rasa stored them; only those of `senders` and of `type_name` when given."""
    query = sa.select(events).order_by(events.c.id)
    if senders is not None:
        query = query.where(events.c.sender_id.in_(list(senders)))
    if type_name is not None:
        query = query.where(events.c.type_name == type_name)
    with engine_for(db_url).connect() as connection:
        return connection.execute(query).all()

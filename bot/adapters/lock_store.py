"""Rasa's Redis ticket lock, with each change to a lock made atomically.

Rasa Open Source 3.6's `RedisLockStore` keeps a conversation's ticket lock as one JSON
value and changes it by read, modify, write (`issue_ticket`, `finish_serving`,
`cleanup`, `update_lock`) with nothing stopping two processes from interleaving: two
replicas that take a message for the same conversation at the same moment can both read
the lock, both append "their" ticket and the second write wins, so both hold the lock
and both work on the conversation at once (RasaHQ/rasa#9213; the fix upstream,
`ConcurrentRedisLockStore`, is in Rasa Pro only). Measured here: 20 messages sent at once
to one conversation through two replicas with Rasa's stock lock store lost about half of
them (tests/e2e/test_scaling.py, `make bench-scale`).

This subclass keeps Rasa's algorithm, key layout and TicketLock unchanged and only makes
every read-modify-write one Redis transaction (WATCH/MULTI/EXEC, retried when another
process changed the lock in between), so tickets are unique and issued in arrival order.
It also polls for its turn every 50 ms instead of Rasa's 1 s (cheap for Redis; queued
messages no longer wait a second each) and lets the lock key expire in Redis after the
ticket lifetime, so a replica that dies holding a lock cannot block a conversation for
good. Rasa loads it from endpoints.yml as `type: bot.adapters.lock_store.AtomicRedisLockStore`
(bot/ops/endpoints.py writes that for LOCK_STORE_URL).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.05
MAX_ATTEMPTS = 200  # optimistic retries of one change under heavy contention
KEY_GRACE_SECONDS = 30  # the key outlives its newest ticket by this much

T = TypeVar("T")


class AtomicRedisLockStore(RedisLockStore):
    """`RedisLockStore` whose ticket changes cannot be lost to another process."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a lock store named by module path
            kwargs = {
                "host": endpoint_config.url or "localhost",
                **endpoint_config.kwargs,
                **kwargs,
            }
        super().__init__(**kwargs)

    def _key(self, conversation_id: str) -> str:
        return self.key_prefix + conversation_id

    def _change(
        self,
        conversation_id: str,
        change: Callable[[TicketLock | None], tuple[TicketLock | None, T]],
    ) -> T:
        """Apply `change` to the stored lock in one transaction. `change` gets the lock
        (or None) and returns (the lock to store, or None to delete it; a result)."""
        key = self._key(conversation_id)
        for _ in range(MAX_ATTEMPTS):
            with self.red.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None or not new_lock.is_someone_waiting():
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps(), px=_expiry_ms(new_lock))
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another process changed the lock first: read it again
        raise LockError(
            f"Could not change the lock of conversation '{conversation_id}' "
            f"after {MAX_ATTEMPTS} attempts"
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def remove(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, remove)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # finish_serving already deletes the key when nobody else is waiting, in the same
        # transaction; Rasa's separate "is someone waiting? then delete" is a race.
        self.finish_serving(conversation_id, ticket_number)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncIterator[TicketLock]:
        async with super().lock(
            conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS)
        ) as acquired:
            yield acquired


def _expiry_ms(lock: TicketLock) -> int:
    newest = max(ticket.expires for ticket in lock.tickets)
    return max(1000, int((newest - time.time() + KEY_GRACE_SECONDS) * 1000))

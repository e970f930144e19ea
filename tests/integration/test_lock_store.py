"""bot/adapters/lock_store.py against the real Redis on 127.0.0.1:6379: tickets from many
processes' worth of clients at once are unique and in order, the lock is released, and
two holders never overlap. Rasa's stock RedisLockStore is run through the same burst for
comparison (reported, not asserted)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.adapters.lock_store import AtomicRedisLockStore
from tests.helpers.services import redis_url_or_skip

PREFIX = "pytest"


@pytest.fixture(scope="module")
def redis_available() -> None:
    redis_url_or_skip()


def store(kind: type[RedisLockStore] = AtomicRedisLockStore) -> RedisLockStore:
    return kind(host="127.0.0.1", port=6379, db=0, key_prefix=PREFIX)


def tickets_at_once(kind: type[RedisLockStore], clients: int) -> list[int]:
    """`clients` separate connections (as separate replicas have) issue a ticket for one
    conversation at the same moment."""
    conversation = uuid.uuid4().hex
    stores = [store(kind) for _ in range(clients)]
    start = threading.Barrier(clients)
    issued: list[int] = []

    def take(lock_store: RedisLockStore) -> None:
        start.wait()
        issued.append(lock_store.issue_ticket(conversation, 30))

    threads = [threading.Thread(target=take, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stores[0].delete_lock(conversation)
    return issued


def test_rasa_loads_it_from_the_endpoint_config(redis_available):
    config = EndpointConfig(
        url="127.0.0.1",
        type="bot.adapters.lock_store.AtomicRedisLockStore",
        port=6379,
        db=0,
        key_prefix="skelleftea",
    )
    created = LockStore.create(config)
    assert isinstance(created, AtomicRedisLockStore)
    assert created.key_prefix == "skelleftea:lock:"


def test_tickets_issued_at_once_are_unique(redis_available, capsys):
    issued = tickets_at_once(AtomicRedisLockStore, 20)
    assert sorted(issued) == list(range(20))  # Rasa numbers tickets from 0
    stock = tickets_at_once(RedisLockStore, 20)
    with capsys.disabled():
        print(
            f"\n[Rasa's RedisLockStore, 20 tickets at once] {len(set(stock))} distinct "
            f"numbers: {sorted(stock)}"
        )


def test_the_lock_is_gone_after_the_last_holder_and_expires_in_redis(redis_available):
    lock_store = store()
    conversation = uuid.uuid4().hex
    first = lock_store.issue_ticket(conversation, 30)
    second = lock_store.issue_ticket(conversation, 30)
    assert (first, second) == (0, 1)
    ttl = lock_store.red.pttl(lock_store.key_prefix + conversation)
    assert 0 < ttl <= 61_000  # a dead replica's lock does not stay for ever
    lock_store.cleanup(conversation, first)
    assert lock_store.get_lock(conversation).now_serving == second
    lock_store.cleanup(conversation, second)
    assert lock_store.get_lock(conversation) is None


def test_two_replicas_never_hold_one_conversation_at_once(redis_available):
    conversation = uuid.uuid4().hex
    replicas = [store(), store()]
    inside = 0
    overlaps = 0
    order: list[int] = []

    async def handle(index: int) -> None:
        nonlocal inside, overlaps
        async with replicas[index % 2].lock(conversation, 30):
            inside += 1
            overlaps += inside > 1
            order.append(index)
            await asyncio.sleep(0.01)
            inside -= 1

    async def all_at_once() -> None:
        await asyncio.gather(*(handle(i) for i in range(12)))

    asyncio.run(asyncio.wait_for(all_at_once(), timeout=30))
    assert overlaps == 0
    assert sorted(order) == list(range(12))
    assert replicas[0].get_lock(conversation) is None

"""`make bench-scale`: what several Rasa replicas buy on this machine, measured in one run.

Starts, one after the other, the whole stack (action servers, Rasa, no web app needed)
in each configuration and sends the same messages over the REST webhook, 20
conversations at once (`--conversations`), each `--messages` long:

  A  1 Rasa, SQLite tracker store, in-memory lock store          (the embedded default)
  B  1 Rasa, PostgreSQL + Redis lock store                         (direct)
  C  1 Rasa, PostgreSQL + Redis, behind nginx, 1 action server     (the balancer's cost)
  D  2 Rasa replicas, PostgreSQL + Redis, behind nginx, 2 action servers

and prints messages/s, p50/p95 latency, errors, and the ratios D/B and D/C. Then it shows
the lock store's job: 20 messages sent at once to ONE conversation through the two
replicas, with our atomic Redis lock store (D, bot/adapters/lock_store.py), without a lock store
(E, each replica locks only in its own memory) and with Rasa's stock RedisLockStore (F),
checked turn by turn in the tracker store (bench/turn_order.py).

PostgreSQL runs in a throw-away schema of database `test` on 127.0.0.1:5432; Redis on
127.0.0.1:6379. The model is models/skelleftea.tar.gz when it exists, else the quick
test model (same pipeline, fewer epochs: the serving cost is the same).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench.harness import (
    POSTGRES_TEST_URL,
    REDIS_TEST_URL,
    load,
    postgres_problem,
    postgres_schema,
)
from bench.loadtest import QUESTIONS
from bench.turn_order import TurnCheck, burst_check, numbered
from bot.adapters.channels import ChannelTexts
from bot.ops.endpoints import LockStoreUnreachable, check_lock_store
from bot.ops.stack import Stack
from bot.paths import PROJECT_ROOT
from bot.store.conversations import engine_for

FULL_MODEL = PROJECT_ROOT / "models" / "skelleftea.tar.gz"


def measure(stack: Stack, conversations: int, messages: int) -> dict:
    asyncio.run(load(stack.rasa_url, QUESTIONS, 4, 5))  # warm-up: parses, connections, caches
    return asyncio.run(load(stack.rasa_url, QUESTIONS, conversations, messages))


def lock_check(stack: Stack) -> tuple[TurnCheck, int]:
    """20 messages at once to one conversation through both replicas: the stored turns
    checked, and how many replies were the fault reply (later than the deadline)."""
    _, check, late = burst_check(
        [stack.replica_url(0), stack.replica_url(1)],
        stack.env["TRACKER_DB_URL"],
        numbered(QUESTIONS),
        ChannelTexts.from_domain().technical_problem,
    )
    return check, late


def line(label: str, figures: dict) -> str:
    return (
        f"{label:<48} {figures['msg_per_s']:6.1f} msg/s   p50 {figures['p50_ms']:6.0f} ms"
        f"   p95 {figures['p95_ms']:6.0f} ms   errors {figures['errors']}"
        f"   ({figures['messages']} messages)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--messages", type=int, default=15, help="per conversation")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        check_lock_store(REDIS_TEST_URL, timeout=3)
        problem = postgres_problem(POSTGRES_TEST_URL)
    except LockStoreUnreachable as exc:
        problem = str(exc)
    if problem:
        print(
            f"bench-scale needs PostgreSQL on 127.0.0.1:5432 and Redis on :6379: {problem}",
            file=sys.stderr,
        )
        return 2
    model = args.model or (FULL_MODEL if FULL_MODEL.exists() else None)
    if model is None:
        from bench.training import quick_model

        model = quick_model()
    print(
        f"model {model}; {args.conversations} concurrent conversations x {args.messages} "
        f"messages, REST webhook; {time.strftime('%Y-%m-%d %H:%M')}",
        flush=True,
    )

    results: dict[str, dict] = {}
    checks: dict[str, tuple[TurnCheck, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        configs = [
            ("A", "1 Rasa, SQLite", False, 1, 1, False),
            ("B", "1 Rasa, PostgreSQL + Redis", True, 1, 1, False),
            ("C", "1 Rasa, PostgreSQL + Redis, nginx", True, 1, 1, True),
            ("D", "2 Rasa replicas, PostgreSQL + Redis, nginx", True, 2, 2, True),
            ("E", "2 Rasa replicas, PostgreSQL, NO lock store", True, 2, 2, True),
            ("F", "2 Rasa replicas, PostgreSQL, Rasa's stock RedisLockStore", True, 2, 2, True),
        ]
        for key, label, postgres, replicas, actions, balanced in configs:
            with ExitStack() as cleanup:
                if postgres:
                    db_url = cleanup.enter_context(
                        postgres_schema(POSTGRES_TEST_URL, f"bench_{key.lower()}")
                    )
                    cleanup.callback(lambda url=db_url: engine_for(url).dispose())
                else:
                    db_url = f"sqlite:///{work / key / 'tracker.db'}"
                lock_url = REDIS_TEST_URL if postgres and key != "E" else None
                env = {
                    "TRACKER_DB_URL": db_url,
                    "LOCK_STORE_URL": lock_url or "",
                    "LOCK_STORE_IMPLEMENTATION": "rasa" if key == "F" else "atomic",
                }
                stack = Stack.on_free_ports(model, work / key, env, replicas, actions, balanced)
                started = time.perf_counter()
                stack.start(web=False)  # the web app is not on the measured path
                cleanup.callback(stack.stop)
                print(
                    f"{key}: {label}: started in {time.perf_counter() - started:.0f} s", flush=True
                )
                if key not in ("E", "F"):
                    results[key] = measure(stack, args.conversations, args.messages)
                    print(line(f"{key}  {label}", results[key]), flush=True)
                if replicas == 2:
                    checks[key] = lock_check(stack)

    print("\nThroughput and latency, 20 concurrent conversations:")
    for key, label, *_ in configs:
        if key in results:
            print(line(f"{key}  {label}", results[key]))
    d = results["D"]["msg_per_s"]
    print(
        f"\nratio 2 replicas / 1 replica: D/B {d / results['B']['msg_per_s']:.2f}x, "
        f"D/C {d / results['C']['msg_per_s']:.2f}x (aim: 1.8x); "
        f"PostgreSQL+Redis / SQLite: B/A "
        f"{results['B']['msg_per_s'] / results['A']['msg_per_s']:.2f}x"
    )
    print("\nOne conversation, 20 messages at once through 2 replicas:")
    for key, label in (
        ("D", "our atomic Redis lock store"),
        ("E", "no lock store"),
        ("F", "Rasa's stock RedisLockStore"),
    ):
        check, late = checks[key]
        print(f"  {key} {label + ':':<30} {check.summary()}; {late} replies after the deadline")
    return 0


if __name__ == "__main__":
    sys.exit(main())

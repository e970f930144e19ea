"""`make loadtest`: nothing lost under load, with the action server killed mid-run.

Starts a fresh stack (quick model, own SQLite file, free ports), then runs 50
conversations x 20 messages over the REST webhook, 20 conversations at a time. When half
the messages are sent, the action server is killed (SIGKILL) and, after a pause, started
again. Afterwards the tracker store is read back.

Prints: messages sent; user messages found in the tracker store (must equal sent: none
lost, none duplicated, in order); citizen-visible errors (non-200, an empty reply, or the
friendly fault reply, which is expected while the action server is down); p50/p95
latency. Exit code 1 if a message was lost, duplicated or reordered, or personal data was
stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.harness import AsyncRestClient, event_rows, percentile, running, sqlite_stack
from bot.adapters.channels import ChannelTexts
from bot.core.redaction import redact
from bot.names import EVENT_USER
from bot.ops.stack import Stack

QUESTIONS = [
    "hur lång tid tar bygglov?",
    "vad lovar ni om snöröjning?",
    "när töms soptunnan?",
    "vad händer om ni inte håller löftet?",
    "vem kontaktar jag om färdtjänst?",
    "vad förväntas av mig när jag söker försörjningsstöd?",
    "hej",
    "och om ni inte håller det?",
    "vilka tjänster kan du svara på?",
    "vad är en serviceförklaring?",
    "hur snabbt får jag förskoleplats?",
    "kan jag prata med en människa?",
    "mitt personnummer är 811218-9876, när plogas min gata?",
    "ring mig på 070-765 43 21 om bygglovet",
    "tack!",
    "hur lång tid tar det att få hemtjänst",
    "gatlampan är trasig, vad gör ni?",
    "vad kostar simhallen?",
    "jag vill klaga på skolskjutsen",
    "hej då",
]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    empty: int = 0
    fault_replies: int = 0
    transport_errors: int = 0
    sent: dict[str, list[str]] = field(default_factory=dict)  # sender -> texts, in order


async def _conversation(
    client: AsyncRestClient,
    sender: str,
    offset: int,
    count: int,
    result: Result,
    fault_text: str,
    progress: asyncio.Queue[None],
) -> None:
    texts = result.sent.setdefault(sender, [])
    for i in range(count):
        text = QUESTIONS[(offset + i) % len(QUESTIONS)]
        texts.append(text)
        started = time.perf_counter()
        status, body = await client.send(text, sender)
        result.latencies.append(time.perf_counter() - started)
        if status:
            result.statuses[status] += 1
        else:
            result.transport_errors += 1
        if status == 200 and isinstance(body, list):
            if not body:
                result.empty += 1
            elif any(m.get("text") == fault_text for m in body if isinstance(m, dict)):
                result.fault_replies += 1
        await progress.put(None)


async def _kill_and_restart(
    stack: Stack, progress: asyncio.Queue[None], kill_after: int, down_seconds: float
) -> tuple[float, float]:
    for _ in range(kill_after):
        await progress.get()
    process = stack.processes["action_server"]
    os.killpg(process.pid, signal.SIGKILL)
    killed = time.perf_counter()
    stack.stop_process("action_server")
    await asyncio.sleep(down_seconds)
    await asyncio.to_thread(stack.start_action_server)
    return killed, time.perf_counter()


async def run_load(
    stack: Stack,
    conversations: int,
    per_conversation: int,
    concurrency: int,
    down_seconds: float,
    fault_text: str,
) -> tuple[Result, float, float, float]:
    result = Result()
    progress: asyncio.Queue[None] = asyncio.Queue()
    semaphore = asyncio.Semaphore(concurrency)
    total = conversations * per_conversation

    async with AsyncRestClient(stack.rasa_url) as client:

        async def one(index: int) -> None:
            async with semaphore:
                await _conversation(
                    client,
                    f"load-{index:02d}-{uuid.uuid4().hex[:8]}",
                    index,
                    per_conversation,
                    result,
                    fault_text,
                    progress,
                )

        started = time.perf_counter()
        chaos = asyncio.create_task(_kill_and_restart(stack, progress, total // 2, down_seconds))
        await asyncio.gather(*(one(i) for i in range(conversations)))
        killed, restarted = await chaos
        elapsed = time.perf_counter() - started
    return result, elapsed, killed - started, restarted - started


def stored_user_texts(db_url: str) -> dict[str, list[str]]:
    stored: dict[str, list[str]] = {}
    for row in event_rows(db_url, type_name=EVENT_USER):
        stored.setdefault(row.sender_id, []).append(json.loads(row.data)["text"])
    return stored


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="per conversation")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--down-seconds",
        type=float,
        default=3.0,
        help="how long the action server stays dead before it is restarted",
    )
    parser.add_argument(
        "--model", type=Path, default=None, help="trained model (default: the tests' quick model)"
    )
    args = parser.parse_args()

    from bench.training import quick_model

    model = args.model or quick_model()
    fault_text = ChannelTexts.from_domain().technical_problem
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
        stack = sqlite_stack(model, Path(tmp))
        db_url = stack.env["TRACKER_DB_URL"]
        print(f"Starting a fresh stack (model {model.name}, {db_url}) ...", flush=True)
        with running(stack):
            result, elapsed, killed, restarted = asyncio.run(
                run_load(
                    stack,
                    args.conversations,
                    args.messages,
                    args.concurrency,
                    args.down_seconds,
                    fault_text,
                )
            )
        stored = stored_user_texts(db_url)

    sent = sum(len(texts) for texts in result.sent.values())
    found = sum(len(stored.get(sender, [])) for sender in result.sent)
    expected = {sender: [redact(t).text for t in texts] for sender, texts in result.sent.items()}
    mismatched = [s for s in expected if stored.get(s, []) != expected[s]]
    lost = sum(max(0, len(expected[s]) - len(stored.get(s, []))) for s in expected)
    extra = sum(max(0, len(stored.get(s, [])) - len(expected[s])) for s in expected)
    leaks = sum("811218-9876" in t or "765 43 21" in t for ts in stored.values() for t in ts)
    non_200 = sum(n for status, n in result.statuses.items() if status != 200)
    visible = non_200 + result.transport_errors + result.empty + result.fault_replies

    print(
        f"{args.conversations} conversations x {args.messages} messages, concurrency "
        f"{args.concurrency}, {elapsed:.1f} s ({sent / elapsed:.1f} messages/s)"
    )
    print(f"action server killed at {killed:.1f} s, back at {restarted:.1f} s")
    print(f"messages sent:                          {sent}")
    print(
        f"user messages in the tracker store:     {found}  (lost {lost}, duplicated {extra}, "
        f"conversations not exactly as sent {len(mismatched)})"
    )
    print(f"personal data stored unmasked:          {leaks}")
    print(
        f"citizen-visible errors:                 {visible}  (non-200 {non_200}, "
        f"transport {result.transport_errors}, empty {result.empty}, friendly fault reply "
        f"{result.fault_replies})"
    )
    print(
        f"latency p50 {1000 * statistics.median(result.latencies):.0f} ms, "
        f"p95 {1000 * percentile(result.latencies, 95):.0f} ms, "
        f"max {1000 * max(result.latencies):.0f} ms"
    )
    return 0 if (found == sent and not mismatched and not leaks) else 1


if __name__ == "__main__":
    sys.exit(main())

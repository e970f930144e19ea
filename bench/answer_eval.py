"""Answer-level evaluation: does the bot's reply carry the right fact of the right service?

Each case (tests/data/eval/*.yml, format in tests/data/eval/README.md) is sent through the
real REST webhook of a running stack (action server + Rasa), earlier turns first, in a
conversation of its own. A case is correct when
- every `must` regex matches the joined reply texts and no `must_not` regex does;
- a case about a service cites that service's declaration (its source URL);
- an `out_of_scope` or `unrelated` case presents no declaration (no declaration's source URL,
  no "what is a serviceförklaring" text).
An *invented promise* is a time in a reply ("inom 3 veckor") that the catalog does not
state, or a declaration presented for a question that has none.

Splits: `dev` and `dev2` (read them, learn from them), `blind` (written once by someone
who saw only the facts sheet; never edited, never trained on: only its score is printed),
`out_of_scope`
(questions for other authorities), `reviewed` (cases exported from the review tool's NLU
inbox), `english` (blind_en.yml: a blind set in English, in newcomers' voices; scores only,
plus the share of replies that are in English). Failures are printed for dev, dev2 and
reviewed only.

    python -m bench.answer_eval                      # trains nothing: uses models/skelleftea.tar.gz
    python -m bench.answer_eval --url http://127.0.0.1:5005 --splits dev
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.core.catalog import Catalog, load_catalog
from bot.core.texts import domain_response_text
from bot.names import UTTER_AI_DISCLOSURE
from bot.paths import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "tests" / "data" / "eval"
SPLITS = (
    "dev",
    "dev2",
    "oos_dev",
    "dev_en",
    "blind",
    "out_of_scope",
    "reviewed",
    "english",
)
# Where each split's cases are (the default: tests/data/eval/<split>.yml).
SPLIT_FILES = {"english": "blind_en.yml"}
# Splits in English: their replies must be in English too (measured, printed as a share).
ENGLISH_SPLITS = {"english", "dev_en"}
# Splits whose failures may be read (and learned from); the others print only figures.
OPEN_SPLITS = {"dev", "dev2", "oos_dev", "dev_en", "reviewed"}
NO_DECLARATION_KINDS = {"out_of_scope", "unrelated"}
_FLAGS = re.IGNORECASE | re.DOTALL
_TIME = re.compile(
    r"\b(\d+)\s*(arbetsdagar|arbetsdag|dagar|dag|dygn|veckor|vecka|timmar|timme|månader|"
    r"månad|working days|days|weeks|hours|months)\b",
    re.IGNORECASE,
)


@dataclass
class Case:
    id: str
    split: str
    kind: str
    difficulty: str
    question: str
    service: str | None
    history: list[str] = field(default_factory=list)
    must: list[str] = field(default_factory=list)
    must_not: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    case: Case
    reply: str
    correct: bool
    reasons: list[str]
    invented: list[str]
    seconds: float


def split_file(split: str) -> Path:
    return EVAL_DIR / SPLIT_FILES.get(split, f"{split}.yml")


def load_cases(split: str, path: Path | None = None) -> list[Case]:
    path = path or split_file(split)
    if not path.exists():
        return []
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # {"cases": [...]} as tests/data/eval/README.md says, or the list of cases itself
    items = raw if isinstance(raw, list) else raw.get("cases") or []
    cases = []
    for item in items:
        cases.append(
            Case(
                id=str(item["id"]),
                split=split,
                kind=str(item.get("kind", "")),
                difficulty=str(item.get("difficulty", "easy")),
                question=str(item["question"]),
                service=item.get("service") or None,
                history=[str(h) for h in item.get("history") or []],
                must=[str(r) for r in item.get("must") or []],
                must_not=[str(r) for r in item.get("must_not") or []],
            )
        )
    return cases


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Webhook:
    """The REST webhook of a running Rasa: one conversation per case."""

    def __init__(self, rasa_url: str, timeout: float = 60) -> None:
        self.url = f"{rasa_url.rstrip('/')}/webhooks/rest/webhook"
        self.timeout = timeout

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        body = json.dumps({"sender": sender, "message": text}).encode()
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())


def reply_text(replies: list[dict[str, Any]]) -> str:
    """The answer's text and button titles. The AI disclosure that opens every session
    (utter_ai_disclosure) is left out: it is said before any answer, whatever was asked,
    and would otherwise meet a case's patterns (Kundtjänst's number, "serviceförklaringar")."""
    parts = []
    disclosure = domain_response_text(UTTER_AI_DISCLOSURE)
    for reply in replies:
        if reply.get("text") == disclosure:
            continue
        if reply.get("text"):
            parts.append(str(reply["text"]))
        for button in reply.get("buttons") or []:
            parts.append(f"[{button.get('title', '')}]")
    return "\n".join(parts)


class Judge:
    """Scores one reply against its case, with the catalog's URLs and times."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.source_urls = {d.id: d.source_url for d in catalog.declarations.values()}
        self.general_url = catalog.municipality.serviceforklaring.source_url
        self.catalog_times = _catalog_times(catalog)

    def judge(self, case: Case, reply: str) -> tuple[bool, list[str], list[str]]:
        reasons = []
        for pattern in case.must:
            if not re.search(pattern, reply, _FLAGS):
                reasons.append(f"missing /{pattern}/")
        for pattern in case.must_not:
            if re.search(pattern, reply, _FLAGS):
                reasons.append(f"forbidden /{pattern}/")
        cited = {sid for sid, url in self.source_urls.items() if url in reply}
        if case.service and case.service in self.source_urls and case.service not in cited:
            reasons.append(f"does not cite {case.service}")
        invented = [t for t in _times(reply) if t not in self.catalog_times]
        if case.kind in NO_DECLARATION_KINDS and (cited or self.general_url in reply):
            reasons.append(f"presented a declaration: {sorted(cited) or 'serviceförklaring'}")
            if cited:
                invented.append(f"declaration {sorted(cited)} for a question without one")
        return not reasons, reasons, invented


def _times(text: str) -> list[str]:
    return [f"{m.group(1)} {m.group(2).lower()}" for m in _TIME.finditer(text)]


def _catalog_times(catalog: Catalog) -> set[str]:
    texts = [catalog.municipality.json()]
    texts += [d.json(ensure_ascii=False) for d in catalog.declarations.values()]
    return {t for text in texts for t in _times(text)}


def run_cases(webhook: Webhook, judge: Judge, cases: list[Case]) -> list[Outcome]:
    outcomes = []
    for case in cases:
        sender = f"eval-{case.id}-{uuid.uuid4().hex[:8]}"
        for earlier in case.history:
            webhook.send(sender, earlier)
        started = time.perf_counter()
        try:
            reply = reply_text(webhook.send(sender, case.question))
        except OSError as exc:
            reply = f"(no reply: {exc})"
        seconds = time.perf_counter() - started
        correct, reasons, invented = judge.judge(case, reply)
        outcomes.append(Outcome(case, reply, correct, reasons, invented, seconds))
    return outcomes


@dataclass
class Summary:
    split: str
    total: int
    correct: int
    by_kind: dict[str, tuple[int, int]]
    by_difficulty: dict[str, tuple[int, int]]
    invented: int
    declaration_presented: int
    p50_ms: float
    in_english: int | None = None  # English splits: replies identified as English

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def summarise(split: str, outcomes: list[Outcome]) -> Summary:
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_difficulty: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for outcome in outcomes:
        for table, key in ((by_kind, outcome.case.kind), (by_difficulty, outcome.case.difficulty)):
            table[key][0] += outcome.correct
            table[key][1] += 1
    return Summary(
        split=split,
        total=len(outcomes),
        correct=sum(o.correct for o in outcomes),
        by_kind={k: (v[0], v[1]) for k, v in sorted(by_kind.items())},
        by_difficulty={k: (v[0], v[1]) for k, v in sorted(by_difficulty.items())},
        invented=sum(1 for o in outcomes if o.invented),
        declaration_presented=sum(
            1 for o in outcomes if any(r.startswith("presented a declaration") for r in o.reasons)
        ),
        p50_ms=1000 * statistics.median([o.seconds for o in outcomes]) if outcomes else 0.0,
        in_english=count_english(outcomes) if split in ENGLISH_SPLITS else None,
    )


_URL = re.compile(r"https?://\S+")


def count_english(outcomes: list[Outcome]) -> int:
    """Replies that bot/core/message_language.py identifies as English (URLs left out; the
    Swedish names in brackets are names). A reply with the "only in Swedish" note and
    Swedish text counts as not English."""
    from bot.core.message_language import ENGLISH, default_identifier

    identifier = default_identifier()
    return sum(
        1
        for o in outcomes
        if identifier.identify(_URL.sub(" ", o.reply)).language == ENGLISH
        and "only available in Swedish" not in o.reply
    )


def print_summary(summary: Summary, out=sys.stdout) -> None:
    def share(pair: tuple[int, int]) -> str:
        return f"{pair[0]}/{pair[1]} = {pair[0] / pair[1]:.1%}" if pair[1] else "-"

    print(
        f"\n== {summary.split}: {summary.correct}/{summary.total} correct = "
        f"{summary.accuracy:.1%}; invented promises: {summary.invented}; "
        f"reply p50 {summary.p50_ms:.0f} ms",
        file=out,
    )
    if summary.in_english is not None:
        print(
            f"   every reply in English: {summary.in_english}/{summary.total} = "
            f"{summary.in_english / max(1, summary.total):.1%}",
            file=out,
        )
    if summary.declaration_presented or summary.split == "out_of_scope":
        share_presented = summary.declaration_presented / max(1, summary.total)
        print(
            f"   presented a declaration anyway: {summary.declaration_presented}/"
            f"{summary.total} = {share_presented:.1%}",
            file=out,
        )
    print(
        "   by difficulty: "
        + "; ".join(f"{k} {share(v)}" for k, v in summary.by_difficulty.items()),
        file=out,
    )
    print(
        "   by kind: " + "; ".join(f"{k} {share(v)}" for k, v in summary.by_kind.items()), file=out
    )


def print_failures(outcomes: list[Outcome], out=sys.stdout) -> None:
    for outcome in outcomes:
        if outcome.correct and not outcome.invented:
            continue
        case = outcome.case
        print(f"\n-- {case.id} [{case.kind}/{case.difficulty}] service={case.service}", file=out)
        for earlier in case.history:
            print(f"   (before) {earlier}", file=out)
        print(f"   Q: {case.question}", file=out)
        print("   why: " + "; ".join(outcome.reasons + outcome.invented), file=out)
        print("   A: " + outcome.reply.replace("\n", "\n      ")[:900], file=out)


def parse_seconds_per_message(model: Path, texts: list[str]) -> float:
    """Mean NLU parse time per message, in this process, with the model Rasa serves."""
    import asyncio
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    # Unconfigured, Rasa's structlog prints every parse at debug level, question text
    # included: the blind questions must never reach the console.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(model))

    async def parse_all() -> float:
        for text in texts[:20]:  # warm up
            await agent.parse_message(text)
        started = time.perf_counter()
        for text in texts:
            await agent.parse_message(text)
        return (time.perf_counter() - started) / max(1, len(texts))

    return asyncio.run(parse_all())


def evaluate(
    rasa_url: str, splits: list[str], show_failures: bool = True, out=sys.stdout
) -> dict[str, Summary]:
    catalog = load_catalog()
    judge = Judge(catalog)
    webhook = Webhook(rasa_url)
    webhook.send(f"warm-up-{uuid.uuid4().hex[:8]}", "hej")  # a served bot is warm
    summaries = {}
    for split in splits:
        cases = load_cases(split)
        if not cases:
            print(f"\n== {split}: no cases", file=out)
            continue
        outcomes = run_cases(webhook, judge, cases)
        summaries[split] = summarise(split, outcomes)
        path = split_file(split)
        digest = file_digest(path)[:16]
        print(f"\n{path.name}: {len(cases)} cases, sha256 {digest}…", file=out)
        print_summary(summaries[split], out)
        if show_failures and split in OPEN_SPLITS:
            print_failures(outcomes, out)
    return summaries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running Rasa (default: start a stack on free ports)")
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models/skelleftea.tar.gz")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=SPLITS)
    parser.add_argument("--no-failures", action="store_true")
    args = parser.parse_args(argv)

    if args.url:
        evaluate(args.url, args.splits, not args.no_failures)
        return 0

    from bot.ops.stack import Stack

    with tempfile.TemporaryDirectory(prefix="answer-eval-") as tmp:
        env = {"TRACKER_DB_URL": f"sqlite:///{tmp}/tracker.db"}
        stack = Stack.on_free_ports(args.model, Path(tmp), env).start(web=False)
        try:
            evaluate(stack.rasa_url, args.splits, not args.no_failures)
        finally:
            stack.stop()
    questions = [c.question for s in args.splits for c in load_cases(s)]
    seconds = parse_seconds_per_message(args.model, questions)
    print(
        f"\nNLU parse time: {1000 * seconds:.1f} ms per message "
        f"({len(questions)} messages, in process)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

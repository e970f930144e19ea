"""Confirmed NLU-inbox examples as Rasa YAML: training data, or test cases.

- `nlu_yaml`: the same format as data/nlu/*.yml (`version: "3.1"`, `nlu:`, one
  `- intent: X` block per intent with `examples: |`), ready to merge. Examples already in
  data/nlu/ are left out (the same text under two intents makes `rasa data validate`
  warn); if one text was confirmed more than once, the latest verdict counts.
- `tests_yaml`: the format of tests/data/nlu_holdout.yml -- an NLU test file for
  `rasa test nlu --nlu FILE` and `bench.nlu_evaluation` -- where the service the reviewer
  chose is annotated `[words]{"entity": "service", "value": "id"}` on the words of the
  message that name it (found by the same service matcher the bot uses). A message whose
  words for the service cannot be found keeps its text unannotated.

Services come from the catalog, not from annotated training examples (DIET does intents
only), so the training export carries no entity annotations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml

from bot import names
from bot.core.catalog import default_store
from bot.core.matcher import KNOWN, ServiceMatcher
from bot.paths import DATA_DIR, DOMAIN_FILE
from bot.review.messages import SERVICE_ENTITY
from bot.review.reviews import Verdict

NLU_DIR = DATA_DIR / "nlu"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def domain_intents(path: Path = DOMAIN_FILE) -> list[str]:
    """The intents in domain.yml (read again when the file changes)."""
    stat = path.stat()
    return list(_intents(path, stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=4)
def _intents(path: Path, mtime_ns: int, size: int) -> tuple[str, ...]:
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or [])


def training_texts(nlu_dir: Path = NLU_DIR) -> set[str]:
    """Every example in data/nlu/, folded for comparison."""
    texts = set()
    for path in sorted(nlu_dir.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    texts.add(_fold(line.strip()[2:]))
    return texts


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def clean_text(text: str) -> str:
    """One line that Rasa reads back as exactly this text: no control characters, no
    brackets or braces (they are Rasa's entity markup)."""
    text = _CONTROL.sub(" ", text)
    text = text.translate(str.maketrans("[]{}", "()()"))
    return " ".join(text.split())


@dataclass(frozen=True)
class Export:
    text: str
    examples: int
    skipped_known: int  # already in data/nlu/
    skipped_invalid: int  # intent no longer in the domain, or an empty text


def _latest(verdicts: Iterable[Verdict]) -> list[Verdict]:
    latest: dict[str, Verdict] = {}
    for verdict in sorted(verdicts, key=lambda v: v.decided_at):
        latest[_fold(clean_text(verdict.text))] = verdict
    return list(latest.values())


def _exported(by: str, now: datetime | None) -> str:
    return f"exported {(now or datetime.now()):%Y-%m-%d %H:%M}" + (f" by {by}" if by else "")


def _render(blocks: dict[str, list[str]], header: str) -> str:
    lines = [f"# {line}" for line in header.splitlines()]
    lines += ['version: "3.1"', "nlu:"]
    for intent in sorted(blocks):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines += [f"    - {example}" for example in blocks[intent]]
    return "\n".join(lines) + "\n"


def nlu_yaml(
    verdicts: Iterable[Verdict],
    intents: list[str],
    known: set[str],
    exported_by: str = "",
    now: datetime | None = None,
) -> Export:
    blocks: dict[str, list[str]] = {}
    skipped_known = skipped_invalid = 0
    for verdict in _latest(verdicts):
        text = clean_text(verdict.text)
        if not text or verdict.intent not in intents:
            skipped_invalid += 1
            continue
        if _fold(text) in known:
            skipped_known += 1
            continue
        blocks.setdefault(verdict.intent, []).append(text)
    count = sum(len(v) for v in blocks.values())
    header = (
        f"NLU examples confirmed in the review tool (/granska), {_exported(exported_by, now)}"
        f".\n{count} examples; merge each block into data/nlu/<topic>.yml."
    )
    return Export(_render(blocks, header), count, skipped_known, skipped_invalid)


def annotate(text: str, service: str | None, matcher: ServiceMatcher) -> str:
    """`text` with the words naming `service` marked as a Rasa entity, if found."""
    if not service:
        return text
    for match in matcher.find(text):
        if match.entity == KNOWN and match.value == service:
            words = text[match.start : match.end]
            mark = f'[{words}]{{"entity": "{SERVICE_ENTITY}", "value": "{service}"}}'
            return text[: match.start] + mark + text[match.end :]
    return text


def tests_yaml(
    verdicts: Iterable[Verdict],
    intents: list[str],
    services: list[str],
    exported_by: str = "",
    now: datetime | None = None,
) -> Export:
    blocks: dict[str, list[str]] = {}
    skipped_invalid = 0
    matcher = ServiceMatcher(default_store().get())
    for verdict in _latest(verdicts):
        text = clean_text(verdict.text)
        if not text or verdict.intent not in intents:
            skipped_invalid += 1
            continue
        service = verdict.service if verdict.service in services else None
        blocks.setdefault(verdict.intent, []).append(annotate(text, service, matcher))
    count = sum(len(v) for v in blocks.values())
    header = (
        f"NLU test cases confirmed in the review tool (/granska), "
        f"{_exported(exported_by, now)}.\n{count} cases, the format of "
        f"tests/data/nlu_holdout.yml: rasa test nlu --nlu FILE, or bench.nlu_evaluation."
    )
    return Export(_render(blocks, header), count, 0, skipped_invalid)


# The kind of answer-level case (tests/data/eval/) each confirmed intent becomes.
EVAL_KINDS = {
    names.INTENT_ASK_PROMISES: "times",
    names.INTENT_ASK_EXPECTATIONS: "duties",
    names.INTENT_ASK_NOT_KEPT: "not_kept",
    names.INTENT_ASK_CONTACT: "contact",
    names.INTENT_ASK_OVERVIEW: "fact",
    names.INTENT_INFORM_SERVICE: "fact",
    names.INTENT_LIST_SERVICES: "general",
    names.INTENT_WHAT_IS_SERVICEFORKLARING: "general",
    names.INTENT_HUMAN_HANDOFF: "contact",
    names.INTENT_OUT_OF_SCOPE: "out_of_scope",
}
EARLIER_TURNS = 2


def eval_yaml(
    verdicts: Iterable[Verdict],
    services: list[str],
    history: Callable[[Verdict], list[str]],
    exported_by: str = "",
    now: datetime | None = None,
) -> Export:
    """Confirmed and corrected examples as answer-level cases (tests/data/eval/reviewed.yml).

    A case checks what the bot must answer: the confirmed service's declaration is cited
    (the evaluator checks its source URL), or, for out of scope, no declaration at all.
    A message that does not name its service itself carries the conversation's earlier
    turns (`history(verdict)`), so a follow-up is replayed as one. Small talk is left out.
    """
    matcher = ServiceMatcher(default_store().get())
    cases = []
    skipped_invalid = 0
    for verdict in _latest(verdicts):
        text = clean_text(verdict.text)
        kind = EVAL_KINDS.get(verdict.intent or "")
        if not text or kind is None:
            skipped_invalid += 1
            continue
        service = verdict.service if verdict.service in services else None
        named = any(m.entity == KNOWN and m.value == service for m in matcher.find(text))
        cases.append(
            {
                "id": f"R{verdict.event_id}",
                "kind": kind,
                "difficulty": "hard" if verdict.predicted_intent != verdict.intent else "easy",
                "voice": f"reviewed by {verdict.decided_by}",
                "history": [] if named or not service else history(verdict),
                "question": text,
                "service": None if kind == "out_of_scope" else service,
                "must": [],
                "must_not": [],
            }
        )
    header = (
        f"Answer-level cases confirmed or corrected in the review tool (/granska), "
        f"{_exported(exported_by, now)}.\n{len(cases)} cases; `make eval` and the quick "
        f"check in `make test` run them (split `reviewed`)."
    )
    body = yaml.safe_dump({"cases": cases}, allow_unicode=True, sort_keys=False, width=100)
    text = "\n".join(f"# {line}" for line in header.splitlines()) + "\n" + body
    return Export(text, len(cases), 0, skipped_invalid)

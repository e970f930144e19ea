"""Language identification on short citizen messages (`make bench-language`).

Reads tests/data/language_id.yml (labelled: Swedish with and without å/ä/ö, English,
Finnish, Northern Sami), runs bot/core/message_language.py on every message as the first
message of a conversation (no earlier language to fall back on, so an undecided message
counts as Swedish), and prints the accuracy per label, the confusion table and the time per
message (p50, p95, mean; the detector's models are loaded before the clock starts).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.catalog import default_store
from bot.core.matcher import ServiceMatcher
from bot.core.message_language import (
    ENGLISH,
    FINNISH,
    LANGUAGES,
    SAMI,
    SWEDISH,
    LanguageIdentifier,
    default_identifier,
)
from bot.paths import PROJECT_ROOT

DATA_FILE = PROJECT_ROOT / "tests" / "data" / "language_id.yml"
# Written after data/languages.yml was tuned on DATA_FILE: how well the tuning generalises.
FRESH_FILE = PROJECT_ROOT / "tests" / "data" / "language_id_fresh.yml"
# The language each label of the data file should be identified as.
EXPECTED = {"sv": SWEDISH, "sv_ascii": SWEDISH, "en": ENGLISH, "fi": FINNISH, "se": SAMI}


def percentile(values: list[float], q: float) -> float:
    """Nearest rank (bench/harness.py has the same, but importing it loads Rasa)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


@dataclass
class LanguageScores:
    # label → identified language → count
    confusion: dict[str, dict[str, int]]
    seconds: list[float]

    def accuracy(self, label: str) -> float:
        row = self.confusion[label]
        return row.get(EXPECTED[label], 0) / sum(row.values())

    def overall(self) -> float:
        right = sum(row.get(EXPECTED[label], 0) for label, row in self.confusion.items())
        return right / sum(sum(row.values()) for row in self.confusion.values())


def load_messages(path: Path = DATA_FILE) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {label: [str(m) for m in data[label]] for label in EXPECTED}


def names_in(matcher: ServiceMatcher, text: str) -> list[tuple[int, int]]:
    """The spans that name a service or authority, as the NLU component passes them."""
    return [(m.start, m.end) for m in matcher.find(text)]


def score(
    identifier: LanguageIdentifier, matcher: ServiceMatcher, messages: dict[str, list[str]]
) -> LanguageScores:
    """Every message identified as the first of a conversation. The time is the
    identification's own: the service names are found before the clock starts (the NLU
    component finds them anyway, for the entities)."""
    confusion: dict[str, dict[str, int]] = {}
    seconds: list[float] = []
    for label, texts in messages.items():
        row = confusion.setdefault(label, {})
        for text in texts:
            names = names_in(matcher, text)
            start = time.perf_counter()
            guess = identifier.identify(text, names=names)
            seconds.append(time.perf_counter() - start)
            row[guess.language] = row.get(guess.language, 0) + 1
    return LanguageScores(confusion, seconds)


def report(scores: LanguageScores) -> str:
    columns = list(LANGUAGES)
    lines = [
        "label       n     acc   " + " ".join(f"{c:>6}" for c in columns),
    ]
    for label, row in scores.confusion.items():
        n = sum(row.values())
        cells = " ".join(f"{row.get(c, 0):>6}" for c in columns)
        lines.append(f"{label:<9} {n:>4}  {scores.accuracy(label):>6.1%}  {cells}")
    ms = [s * 1000 for s in scores.seconds]
    lines.append(f"overall accuracy {scores.overall():.1%} on {len(ms)} messages")
    lines.append(
        f"time per message: p50 {percentile(ms, 50):.3f} ms, p95 {percentile(ms, 95):.3f} ms, "
        f"mean {sum(ms) / len(ms):.3f} ms"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, nargs="+", default=[DATA_FILE, FRESH_FILE])
    parser.add_argument("--errors", action="store_true", help="print every wrong message")
    args = parser.parse_args()
    identifier = default_identifier()
    matcher = ServiceMatcher(default_store().get())
    for path in args.data:
        messages = load_messages(path)
        print(f"\n{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}")
        print(report(score(identifier, matcher, messages)))
        if args.errors:
            for label, texts in messages.items():
                for text in texts:
                    found = identifier.identify(text, names=names_in(matcher, text)).language
                    if found != EXPECTED[label]:
                        print(f"{label} → {found}: {text}")


if __name__ == "__main__":
    main()

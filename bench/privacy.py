"""`make bench-privacy`: does personal data ever reach the database, and are harmless
numbers left alone?

1. N generated Swedish messages (default 10,000) through `bot.core.redaction.redact`:
   personnummer and samordningsnummer in every written form, mobile and landline phone
   numbers in national and international form, e-mail addresses -- mixed with harmless
   numbers (dates, years, amounts, times, opening hours, case and order numbers, postal
   codes, numbers shaped like a personnummer but with a wrong check digit). About a third
   of the items, harmless ones too, are disguised: written in Arabic-Indic, Eastern
   Arabic-Indic or fullwidth digits, with invisible format characters (zero-width space,
   soft hyphen, word joiner) inside, or (e-mail) with a look-alike at-sign.
2. A sample (default 500) through the REST webhook of a freshly started stack (quick
   model, own SQLite file, free ports), then every column of every stored event row is
   searched.

Prints how many personal-data items got through (target 0) and how many harmless
numbers were changed. The generators are also used by the property tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import tempfile
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from bench.harness import AsyncRestClient, event_rows, running, sqlite_stack
from bot.core.redaction import EPOST, PERSONNUMMER, TELEFON, is_personnummer, redact

# Written forms of a personnummer: digits, separator before the last four; "pairs" is
# 81 12 18-98 76, "dashes" 1981-12-18-9876.
PNR_FORMATS = (
    "12-",
    "12",
    "12 ",
    "10-",
    "10+",
    "10",
    "10 ",
    "10 - ",
    "12 - ",
    "10.",
    "10pairs",
    "12dashes",
)
# Digits other than 0-9 that people type or paste (a keyboard set to Arabic or Persian,
# a Japanese or Chinese input method).
DIGIT_SCRIPTS = {
    "arabic-indic": "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",
    "eastern-arabic-indic": "\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f8\u06f9",
    "fullwidth": "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",
}
# Invisible characters (Unicode category Cf) that copy and paste carries along: zero-width
# space, soft hyphen, word joiner, zero-width no-break space, left-to-right mark.
FORMAT_CHARACTERS = ("\u200b", "\u00ad", "\u2060", "\ufeff", "\u200e")
# What people write instead of "@": fullwidth and small commercial at, and spelled out.
AT_SIGNS = ("\uff20", "\ufe6b", " @ ", "[at]", " (at) ", " [snabel-a] ")
MOBILE_PREFIXES = ("070", "072", "073", "076", "079")
AREA_CODES = (
    "08",
    "031",
    "040",
    "090",
    "018",
    "013",
    "054",
    "0910",
    "0911",
    "0912",
    "0914",
    "0915",
    "0916",
    "0918",
    "0920",
    "0953",
    "0980",
)
EMAIL_DOMAINS = (
    "gmail.com",
    "hotmail.se",
    "outlook.com",
    "telia.com",
    "skelleftea.se",
    "exempel.nu",
    "företag.se",
    "mail.example.org",
)
FIRST_NAMES = (
    "anna",
    "erik",
    "maria",
    "lars",
    "åsa",
    "johan",
    "sara",
    "mikael",
    "lisa",
    "per",
    "karin",
    "anders",
    "elin",
    "oskar",
    "björn",
)
LAST_NAMES = (
    "andersson",
    "johansson",
    "karlsson",
    "nilsson",
    "eriksson",
    "lundström",
    "öberg",
    "marklund",
    "lindgren",
    "burman",
)

SEPARATORS_RE = re.compile(
    r"[ .\-+()\u00a0\u2009\u202f\u2010\u2011\u2013]|\\u00a0|\\u2009"
    r"|\\u202f|\\u2010|\\u2011|\\u2013|\\u[0-9a-f]{4}"
)


def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, char in enumerate(digits):
        value = int(char) * (2 - i % 2)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def format_personnummer(
    birth: date, number: int, fmt: str, coordination: bool = False, valid: bool = True
) -> str:
    """A personnummer (or samordningsnummer: day + 60) for `birth` and the three-digit
    birth number `number` (1-999), written as `fmt` (see PNR_FORMATS). With valid=False
    the check digit is wrong."""
    day = birth.day + 60 if coordination else birth.day
    short = f"{birth.year % 100:02d}{birth.month:02d}{day:02d}"
    check = luhn_check_digit(f"{short}{number:03d}")
    if not valid:
        check = (check + 1 + number % 9) % 10
    digits, separator = fmt[:2], fmt[2:]
    prefix = f"{birth.year // 100:02d}{short}" if digits == "12" else short
    last = f"{number:03d}{check}"
    if separator == "pairs":
        return f"{prefix[:-4]} {prefix[-4:-2]} {prefix[-2:]}-{last[:2]} {last[2:]}"
    if separator == "dashes":
        return f"{prefix[:-4]}-{prefix[-4:-2]}-{prefix[-2:]}-{last}"
    return f"{prefix}{separator}{last}"


def birth_range(fmt: str, today: date) -> tuple[date, date]:
    """Birth dates a written form can stand for: `+` (10 digits) means 100 years or older,
    other 10-digit forms younger than 100."""
    hundred_years_ago = today.replace(year=today.year - 100, day=min(today.day, 28))
    if fmt.startswith("10+"):
        return today.replace(year=today.year - 119, day=1), hundred_years_ago - timedelta(days=1)
    if fmt.startswith("10"):
        return hundred_years_ago + timedelta(days=1), today
    return date(1900, 1, 1), today


def random_personnummer(rng: random.Random, today: date | None = None) -> str:
    today = today or date.today()
    fmt = rng.choice(PNR_FORMATS)
    first, last = birth_range(fmt, today)
    birth = first + timedelta(days=rng.randrange((last - first).days + 1))
    return format_personnummer(birth, rng.randint(1, 999), fmt, coordination=rng.random() < 0.3)


def _group(digits: str, rng: random.Random) -> str:
    """Subscriber digits grouped as people write them: 73 50 00, 123 45 67, 1234567."""
    style = rng.choice(("pairs", "three-then-pairs", "none"))
    if style == "none":
        return digits
    groups = []
    rest = digits
    if style == "three-then-pairs" and len(rest) % 2 == 1:
        groups.append(rest[:3])
        rest = rest[3:]
    elif len(rest) % 2 == 1:
        groups.append(rest[:3])
        rest = rest[3:]
    groups.extend(rest[i : i + 2] for i in range(0, len(rest), 2))
    return " ".join(groups)


def random_phone(rng: random.Random) -> str:
    if rng.random() < 0.55:
        area, subscriber = (
            rng.choice(MOBILE_PREFIXES),
            "".join(rng.choice("0123456789") for _ in range(7)),
        )
    else:
        area = rng.choice(AREA_CODES)
        length = {2: rng.randint(6, 8), 3: rng.randint(5, 7), 4: rng.randint(5, 6)}[len(area)]
        subscriber = str(rng.randint(1, 9)) + "".join(
            rng.choice("0123456789") for _ in range(length - 1)
        )
    grouped = _group(subscriber, rng)
    form = rng.choice(
        (
            "national-dash",
            "national-space",
            "national-bare",
            "intl",
            "intl-bare",
            "intl-zero",
            "0046",
            "brackets",
            "dots",
            "46-bare",
            "46-spaced",
            "intl-with-zero",
        )
    )
    if form == "national-dash":
        return f"{area}-{grouped}"
    if form == "national-space":
        return f"{area} {grouped}"
    if form == "national-bare":
        return area + subscriber
    if form == "intl":
        return f"+46 {area[1:]} {grouped}"
    if form == "intl-bare":
        return f"+46{area[1:]}{subscriber}"
    if form == "intl-zero":
        return f"+46 (0){area[1:]}-{grouped}"
    if form == "0046":
        return f"0046 {area[1:]} {grouped}"
    if form == "dots":
        return f"{area}.{grouped.replace(' ', '.')}"
    if form == "46-bare" and area in MOBILE_PREFIXES:  # 46701234567
        return f"46{area[1:]}{subscriber}"
    if form == "46-spaced":
        return f"46 {area[1:]} {grouped}"
    if form == "intl-with-zero":  # +46 070-123 45 67, a common slip
        return f"+46 {area}-{grouped}"
    return f"({area}) {grouped}"


def random_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first}{rng.randint(1, 99)}",
            f"{first}_{last}",
            f"{first[0]}{last}",
            f"{first}+kommun",
        )
    )
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def random_harmless(rng: random.Random) -> str:
    """A number that is not personal data and must stay as typed."""
    kind = rng.randrange(14)
    year = rng.randint(1990, 2030)
    if kind == 0:
        return f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if kind == 1:
        return f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{year}"
    if kind == 2:
        return str(year)
    if kind == 3:
        amount = rng.randint(100, 99_999)
        return f"{amount:,}".replace(",", " ") + " kr"
    if kind == 4:
        return f"{rng.randint(0, 23):02d}:{rng.choice(('00', '15', '30', '45'))}"
    if kind == 5:
        return f"{year}-{rng.randint(1, 9999):04d}"
    if kind == 6:
        return f"KS {year}/{rng.randint(1, 999):04d}"
    if kind == 7:
        return f"{rng.randint(900, 999)} {rng.randint(10, 99)}"  # postal code
    if kind == 8:  # order number: not a valid personnummer, not starting with 0
        while True:
            number = str(rng.randint(10**5, 10**12))
            if not is_personnummer(number):
                return number
    if kind == 9:  # personnummer shape, wrong check digit, with a separator
        fmt = rng.choice(("12-", "12 ", "10-", "10 ", "12"))
        birth = date(1900, 1, 1) + timedelta(days=rng.randrange(45_000))
        return format_personnummer(birth, rng.randint(1, 999), fmt, valid=False)
    if kind == 10:  # ten bare digits, wrong check digit, born 1910-1999 (no leading 0)
        birth = date(1910, 1, 1) + timedelta(days=rng.randrange(32_000))
        return format_personnummer(birth, rng.randint(1, 999), "10", valid=False)
    if kind == 11:  # opening hours
        start, end = rng.randint(6, 10), rng.randint(15, 20)
        minutes = rng.choice(("00", "15", "30", "45"))
        return f"{start:02d}.{minutes}-{end}.{minutes}"
    if kind == 12:  # date with dots, day first
        return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{year}"
    return f"{rng.randint(1, 99)} %"


def in_digit_script(text: str, script: str) -> str:
    """`text` with 0-9 written in one of DIGIT_SCRIPTS."""
    return text.translate(str.maketrans("0123456789", DIGIT_SCRIPTS[script]))


def with_format_characters(text: str, rng: random.Random, count: int = 2) -> str:
    """`text` with `count` invisible format characters put between two of its characters."""
    for _ in range(count):
        at = rng.randint(1, max(1, len(text) - 1))
        text = text[:at] + rng.choice(FORMAT_CHARACTERS) + text[at:]
    return text


def with_look_alike_at(email: str, rng: random.Random) -> str:
    return email.replace("@", rng.choice(AT_SIGNS))


def disguised(kind: str | None, item: str, rng: random.Random) -> str:
    """`item` as it may also arrive: in another digit script, with format characters
    inside, or (e-mail) with a look-alike at-sign. `kind` None: a harmless number."""
    if kind == EPOST:
        return (
            with_look_alike_at(item, rng)
            if rng.random() < 0.7
            else with_format_characters(item, rng)
        )
    way = rng.choice(("script", "format", "both"))
    if way in ("script", "both"):
        item = in_digit_script(item, rng.choice(sorted(DIGIT_SCRIPTS)))
    if way in ("format", "both") and kind is not None:
        item = with_format_characters(item, rng)
    return item


TEMPLATES = (
    "Hej! Mitt personnummer är {p}. Hur lång tid tar bygglov? Ärende {h}.",
    "Ring mig på {p} om snöröjningen, jag bor på postnummer {h}",
    "{p}",
    "Min e-post är {p}, skicka svaret dit. Jag sökte {h}.",
    "jag heter Anna ({p}) och undrar om färdtjänst sedan {h}",
    "när plogas min gata? mitt nr {p}, fakturan var {h}",
    "Kan ni kontakta mig: {p} eller {p}. Tack! /Lars {h}",
    "Hur lång tid tar det att få försörjningsstöd? {h}",
    "samordningsnummer {p} gäller för hemtjänst från {h}",
    "{p} {p}. Ärende {h}",
    "Vad lovar ni om skolskjuts {h}? Nå mig på {p}.",
    "Mitt barns personnummer: {p}, förskoleplats från {h}",
)


@dataclass
class Sample:
    text: str
    personal: list[tuple[str, str]] = field(default_factory=list)  # (kind, item)
    harmless: list[str] = field(default_factory=list)


def random_message(rng: random.Random, disguise: float = 0.0) -> Sample:
    """A message from TEMPLATES; each item is disguised (see `disguised`) with the
    probability `disguise`."""
    template = rng.choice(TEMPLATES)
    sample = Sample("")
    parts = []
    for piece in re.split(r"(\{[ph]\})", template):
        if piece == "{p}":
            kind = rng.choice((PERSONNUMMER, PERSONNUMMER, TELEFON, TELEFON, EPOST))
            item = {PERSONNUMMER: random_personnummer, TELEFON: random_phone, EPOST: random_email}[
                kind
            ](rng)
            if rng.random() < disguise:
                item = disguised(kind, item, rng)
            sample.personal.append((kind, item))
            parts.append(item)
        elif piece == "{h}":
            item = random_harmless(rng)
            if rng.random() < disguise:
                item = disguised(None, item, rng)
            sample.harmless.append(item)
            parts.append(item)
        else:
            parts.append(piece)
    sample.text = "".join(parts)
    return sample


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit, in any script, written 0-9, and without the
    invisible format characters (category Cf)."""
    return "".join(
        str(unicodedata.decimal(ch))
        if ch.isdecimal()
        else ("" if unicodedata.category(ch) == "Cf" else ch)
        for ch in text
    )


def normalized(text: str) -> str:
    """Text without the separators people put between digits (also JSON-escaped ones),
    digits in any script written 0-9."""
    return SEPARATORS_RE.sub("", ascii_digits(text))


def leaked(kind: str, item: str, haystack: str, tail: int = 6) -> bool:
    """Whether `item` (or, for numbers, its last `tail` digits) is still in `haystack`."""
    escaped = json.dumps(item)[1:-1]
    if item in haystack or escaped in haystack:
        return True
    if kind == EPOST:
        local = item.split("@")[0]
        return f"{local}@" in haystack or f"{json.dumps(local)[1:-1]}@" in haystack
    digits = re.sub(r"[^0-9]", "", ascii_digits(item))
    return digits[-tail:] in normalized(haystack)


def kept(item: str, haystack: str) -> bool:
    return item in haystack or json.dumps(item)[1:-1] in haystack


@dataclass
class Tally:
    messages: int = 0
    personal: Counter[str] = field(default_factory=Counter)
    leaks: Counter[str] = field(default_factory=Counter)
    harmless: int = 0
    harmless_changed: int = 0
    leak_examples: list[str] = field(default_factory=list)
    changed_examples: list[str] = field(default_factory=list)

    def add(self, sample: Sample, stored: str, tail: int = 6) -> None:
        self.messages += 1
        for kind, item in sample.personal:
            self.personal[kind] += 1
            if leaked(kind, item, stored, tail):
                self.leaks[kind] += 1
                if len(self.leak_examples) < 10:
                    self.leak_examples.append(f"{kind}: {item!r} in {sample.text!r}")
        for item in sample.harmless:
            self.harmless += 1
            if not kept(item, stored):
                self.harmless_changed += 1
                if len(self.changed_examples) < 10:
                    self.changed_examples.append(f"{item!r} in {sample.text!r}")

    def report(self, title: str) -> str:
        personal = sum(self.personal.values())
        by_kind = ", ".join(
            f"{k} {self.leaks[k]}/{self.personal[k]}" for k in sorted(self.personal)
        )
        lines = [
            f"{title}: {self.messages} messages, {personal} personal-data items, "
            f"{self.harmless} harmless numbers",
            f"  personal data not masked: {sum(self.leaks.values())} ({by_kind})",
            f"  harmless numbers wrongly masked: {self.harmless_changed}",
        ]
        lines += [f"    leak: {e}" for e in self.leak_examples]
        lines += [f"    changed: {e}" for e in self.changed_examples]
        return "\n".join(lines)


def fuzz_function(count: int, seed: int, disguise: float = 0.0) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    for _ in range(count):
        sample = random_message(rng, disguise)
        tally.add(sample, redact(sample.text).text)
    return tally


def stored_rows(db_url: str, senders: Iterable[str] | None = None) -> dict[str, str]:
    """Every column of every row of the events table, joined per sender id."""
    rows: dict[str, list[str]] = {}
    for row in event_rows(db_url, senders):
        as_text = " | ".join("" if v is None else str(v) for v in row)
        rows.setdefault(row.sender_id, []).append(as_text)
    return {s: "\n".join(lines) for s, lines in rows.items()}


async def _send_all(rasa_url: str, samples: list[tuple[str, Sample]], concurrency: int) -> int:
    failures = 0
    semaphore = asyncio.Semaphore(concurrency)
    async with AsyncRestClient(rasa_url, timeout=60) as client:

        async def send(sender: str, sample: Sample) -> None:
            nonlocal failures
            async with semaphore:
                status, _ = await client.send(sample.text, sender)
                failures += status != 200

        await asyncio.gather(*(send(sender, sample) for sender, sample in samples))
    return failures


def fuzz_server(
    count: int, seed: int, concurrency: int = 10, disguise: float = 0.0
) -> tuple[Tally, int]:
    """Start a stack (quick model, own SQLite), send `count` samples, read the database."""
    from bench.training import quick_model

    rng = random.Random(seed + 1)
    samples = [
        (f"privacy-{uuid.uuid4().hex[:12]}", random_message(rng, disguise)) for _ in range(count)
    ]
    with tempfile.TemporaryDirectory(prefix="bench-privacy-") as tmp:
        work = Path(tmp)
        with running(sqlite_stack(quick_model(), work)) as stack:
            failures = asyncio.run(_send_all(stack.rasa_url, samples, concurrency))
        stored = stored_rows(stack.env["TRACKER_DB_URL"])
        log = (work / "rasa.log").read_text(errors="replace")
    tally = Tally()
    for sender, sample in samples:
        # Whole digit strings only: ids and timestamps in the rows make 6-digit tails noisy.
        tally.add(sample, stored.get(sender, ""), tail=10)
    in_log = sum(kind_item[1] in log for _, s in samples for kind_item in s.personal)
    if in_log:
        print(f"  personal-data items found in the Rasa log: {in_log}")
    return tally, failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--http", type=int, default=500, help="sample sent over HTTP (0: skip)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument(
        "--disguise",
        type=float,
        default=1 / 3,
        help="share of items disguised (other digits, format characters, look-alike @)",
    )
    args = parser.parse_args()

    for title, disguise in (("plain", 0.0), (f"{args.disguise:.0%} disguised", args.disguise)):
        started = time.perf_counter()
        tally = fuzz_function(args.messages, args.seed, disguise)
        seconds = time.perf_counter() - started
        print(tally.report(f"masking function, {title}"))
        print(f"  {args.messages / seconds:,.0f} messages/s")
    if args.http:
        started = time.perf_counter()
        server, failures = fuzz_server(args.http, args.seed, disguise=args.disguise)
        print(server.report("REST webhook -> tracker store (SQLite, all columns)"))
        print(
            f"  non-200 answers: {failures}; {time.perf_counter() - started:.0f} s "
            "including start-up"
        )


if __name__ == "__main__":
    main()

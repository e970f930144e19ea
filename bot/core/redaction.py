"""Mask personal data in citizens' messages: personnummer, samordningsnummer, Swedish
phone numbers and e-mail addresses.

This module knows nothing of Rasa. `redact(text)` returns the masked text and which kinds
were found; `redact_json(value)` does the same for every string, and every key, in a
JSON-like structure (metadata, parse data, slot values).

**Before matching, a copy of the text is normalised** (the masked text keeps everything
that is not masked exactly as typed): invisible format characters (Unicode category Cf:
zero-width space, soft hyphen, word joiner, direction marks ...) are dropped; digits of
any script (Arabic-Indic ٠-٩, Eastern Arabic-Indic ۰-۹, fullwidth ０-９ ...) become 0-9;
every space becomes " " and every dash "-"; other characters are NFKC-folded (fullwidth
＠ and ．, small ﹫). A match on the copy masks the characters it came from.

What counts as personal data here, and what does not:

- **personnummer / samordningsnummer**: 10 or 12 digits (YYMMDD or YYYYMMDD, then the
  four last digits), written together or with a separator before the last four (`-`, `+`,
  `.`, a space, or a dash with spaces: 811218 - 9876), the date also in groups (81 12 18,
  1981-12-18; then with a dash before the last four, unless the number stands alone:
  phone numbers are written in pairs too) and the last four also as two pairs (98 76);
  12 digits only for those born 1900-2099. Masked *only* when the
  `personnummer` package accepts it: a real date (day + 60 for a samordningsnummer) and a
  valid Luhn check digit. So dates ("2023-12-01"), case numbers ("2023-1234") and most
  order numbers stay as typed.
- **a personnummer cut short**: the date part (YYMMDD or YYYYMMDD, a real date, together
  or in pairs; 1981-12-18 is how dates are written, and stays) right after the word
  personnummer, pnr, samordningsnummer ... ("mitt personnummer är 811218"), or followed
  only by a dangling separator at the end of the message ("811218-"). When the message
  *ends* with it, `Redaction.awaits` is "last_four": the channel then masks four digits
  at the start of the conversation's next message ("9876", "-98 76"), with or without a
  valid check digit (the date part is gone, so the digits cannot be checked; four digits
  at the start of that one message are the price). A message that ends with the word
  itself ("mitt personnummer är") awaits "birth_date": the next message's leading date
  part is masked as above.
- **phone numbers**: Swedish, national (070-123 45 67, 0910-73 50 00, 08-12 34 56,
  "(0910) 73 50 00", 0701234567, 070.123.45.67) or international (+46 70 123 45 67,
  +46 (0)70-..., +46 070-..., 0046 ..., +46701234567, and without the plus: 46701234567,
  46 70 123 45 67): an area code (08, or 2-3 digits after the 0), then as many digits as a
  number with that area code has (08: 5-8, 031 or 070: 5-7, 0910: 5-6), together or in
  groups of 2-4 separated by a space, a dash (also with spaces) or a dot (dots only with
  dots: "08.30-17.00" is opening hours). Years, amounts ("10 314 kr"), times ("07:30")
  and postal codes do not start with 0 followed by enough digits; dates written
  "01-02-2023" or "01.02.2023" are not phone numbers, nor is the shape of a personnummer
  with a wrong check digit ("051201-1234"); ten bare digits starting with 0
  ("0512011234") are. "46" without a plus counts only as 46 + nine digits or with a
  separator after it. Numbers side by side ("070 949 74 05 0046 76 835 07 11") are split
  the way that leaves the fewest digits unexplained, so a phone number followed by
  another number with only a space between may take that number's digits too (the safe
  side).
- **e-mail addresses**: something@domain.tld, also with spaces around the @, and with
  the at-sign or dots spelled out in brackets: anna[at]exempel.se, anna (snabel-a)
  exempel (punkt) se.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from personnummer import personnummer

PERSONNUMMER = "personnummer"
TELEFON = "telefon"
EPOST = "e-post"
KINDS = (PERSONNUMMER, TELEFON, EPOST)
PLACEHOLDERS = {kind: f"[{kind}]" for kind in KINDS}

# What a message may leave open for the conversation's next message (Redaction.awaits).
AWAITS_LAST_FOUR = "last_four"  # it ended with the date part of a personnummer
AWAITS_BIRTH_DATE = "birth_date"  # it ended with the word personnummer
AWAITS = (AWAITS_LAST_FOUR, AWAITS_BIRTH_DATE)


# --- normalising a copy of the text ----------------------------------------------------

# Drawn like format characters though they are marks: variation selectors and the keycap
# of "0️⃣7️⃣0️⃣".
_INVISIBLE_MARKS = frozenset("\ufe0e\ufe0f\u20e3")
# Look-alikes NFKC leaves alone: the minus sign, the ideographic full stop.
_LOOK_ALIKES = {"\u2212": "-", "\u3002": "."}


@lru_cache(maxsize=4096)
def _normal_char(char: str) -> str:
    """What one character stands for while matching ("" for an invisible one)."""
    category = unicodedata.category(char)
    if category == "Cf" or char in _INVISIBLE_MARKS:
        return ""
    if char.isascii():
        return char
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    if char in _LOOK_ALIKES:
        return _LOOK_ALIKES[char]
    folded = unicodedata.normalize("NFKC", char)
    if folded == char:
        return char
    return "".join(_normal_char(c) for c in folded)


# Text made only of these (ASCII, the Latin-1 letters, typographic quotes) is its own
# copy: none of them is a format character, a digit other than 0-9, a space other than
# " ", a dash other than "-", or changed by NFKC.
_PLAIN = re.compile("[\x00-\x7f\u00c0-\u00ff\u2018\u2019\u201c\u201d]*")


def _normalised(text: str) -> tuple[str, list[int] | None]:
    """The copy matched against, and for each of its characters the index of the
    character of `text` it came from (None: the same text)."""
    if _PLAIN.fullmatch(text):
        return text, None
    pieces = [_normal_char(char) for char in text]
    if all(piece == char for piece, char in zip(pieces, text, strict=True)):
        return text, None
    origin = [i for i, piece in enumerate(pieces) for _ in piece]
    return "".join(pieces), origin


# --- the patterns, on the normalised copy ----------------------------------------------

_DIGITS = "0-9"  # never \d: the copy has only these digits, and \d means more
# Between digit groups: a space, a dash (also with a space on either side), or a dot.
_SEP = "(?:[ ]?-[ ]?|[ ]|\\.)"

_AT = "(?:[ ]?@[ ]?|[ ]?[(\\[{][ ]?(?i:at|snabel-?a)[ ]?[)\\]}][ ]?|[ ](?i:snabel-?a)[ ])"
_DOT = "(?:\\.|[ ]?[(\\[{][ ]?(?i:dot|punkt)[ ]?[)\\]}][ ]?)"
_EMAIL = re.compile(
    rf"(?<![\w.%+-])[\w.%+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}[^\W\d_]{{2,}}(?![\w-])"
)

# The date part of a personnummer: YYMMDD or YYYYMMDD, together or in groups (81 12 18,
# 1981-12-18, 19 81 12 18).
_BIRTH_DATE = (
    f"(?P<date>(?:[{_DIGITS}]{{2}})?[{_DIGITS}]{{6}}"
    f"|(?:[{_DIGITS}]{{2}}[ ]?)?[{_DIGITS}]{{2}}(?P<dsep>{_SEP})[{_DIGITS}]{{2}}"
    f"(?P=dsep)[{_DIGITS}]{{2}})"
)
_LAST_FOUR = f"(?P<last>[{_DIGITS}]{{4}}|[{_DIGITS}]{{2}} [{_DIGITS}]{{2}})"
_PNR_SEP = "(?:[ ]?[-+.][ ]?|[ ])"
# After a date in groups, a separator and the last four, also in pairs (81 12 18-98 76,
# 1981-12-18-9876); after one written together, the last four together (811218-9876):
# 81 12 189876 and 880410 56 02 are other numbers side by side.
_PERSONNUMMER = re.compile(
    rf"(?<![{_DIGITS}]){_BIRTH_DATE}(?P<sep>{_PNR_SEP})?"
    rf"(?P<last>(?(dsep)(?<=[-+. ])(?:[{_DIGITS}]{{4}}|[{_DIGITS}]{{2}} [{_DIGITS}]{{2}})"
    rf"|[{_DIGITS}]{{4}}))(?![{_DIGITS}])"
)
# The words that say a personnummer follows.
_CUE = (
    "(?i:(?<![\\w\\[])(?:personnumm?ret|personnumm?er|personnr|pers\\.?nr|p-?nr"
    "|samordningsnumm?ret|samordningsnumm?er|samordningsnr|födelsenumm?ret|födelsenumm?er)"
    "(?!\\w))"
)
_AFTER_CUE = "(?:\\W{0,3}(?i:är|blir))?\\W{0,3}"
_BIRTH_DATE_AFTER_CUE = re.compile(rf"{_CUE}{_AFTER_CUE}(?<![{_DIGITS}]){_BIRTH_DATE}")
_BIRTH_DATE_FIRST = re.compile(rf"^\s*(?:(?i:är|blir)\W{{1,3}})?{_BIRTH_DATE}")
_BIRTH_DATE_DANGLING = re.compile(rf"(?<![{_DIGITS}]){_BIRTH_DATE}(?=[ ]?[-+][\s.,;:!?)]*$)")
_CUE_AT_END = re.compile(rf"{_CUE}{_AFTER_CUE}$")
# Cheap tests that spare the patterns above most messages: no digit, no cue word, no
# at-sign or what stands for one, no dangling separator at the end.
_ANY_DIGIT = re.compile(f"[{_DIGITS}]")
_CUE_HINT = re.compile("(?i:nr|numm)")
_AT_HINT = re.compile("@|(?i:[(\\[{][ ]?at|snabel)")
_DANGLING_HINT = re.compile(rf"[{_DIGITS}][ ]?[-+][\s.,;:!?)]*$")
_LAST_FOUR_FIRST = re.compile(rf"^\s*(?:[-+.]\s?)?{_LAST_FOUR}(?![{_DIGITS}])")
_MORE_DIGITS = re.compile(rf"{_PNR_SEP}?[{_DIGITS}]")
_NOTHING_MORE = re.compile(r"[\s.,;:!?)\-+]*$")


def _compositions(total: int, parts: tuple[int, ...] = (2, 3, 4)) -> list[tuple[int, ...]]:
    """Ways to write `total` digits as groups of 2-4 digits: 7 -> (3, 2, 2), (2, 3, 2)..."""
    if total == 0:
        return [()]
    return [(p, *rest) for p in parts if p <= total for rest in _compositions(total - p)]


def _subscriber(fewest: int, most: int) -> str:
    """The number after the area code, `fewest` to `most` digits: all together (7350000)
    or in groups of 2-4 (73 50 00, 123 45 67), as people write it. A long group followed
    by more digits (64545 16) is not one number."""
    forms = []
    for total in range(most, fewest - 1, -1):
        forms.append(f"[{_DIGITS}]{{{total}}}")
        forms += [
            _SEP.join(f"[{_DIGITS}]{{{n}}}" for n in groups)
            for groups in _compositions(total)
            if len(groups) > 1
        ]
    return "(?:" + "|".join(forms) + ")"


# The area code without its leading 0, and how long the number after it can be: 8
# (Stockholm) 5-8 digits; two digits (31, 70) 5-7; three (910) 5-6. Without a separator
# after the area code, the whole national number is 8-10 digits (0701234567).
_AREAS = (("8", 5, 8), (f"[1-9][{_DIGITS}]", 5, 7), (f"[1-9][{_DIGITS}]{{2}}", 5, 6))


def _phone_pattern() -> str:
    """One whole phone number (matched against a candidate from start to end)."""
    national, bracketed, international = [], [], []
    for area, fewest, most in _AREAS:
        number = _subscriber(fewest, most)
        national.append(f"0{area}{_SEP}{number}")
        bracketed.append(f"\\(0{area}\\){_SEP}?{number}")
        international.append(f"{area}{_SEP}{number}")
    bare = f"[1-9][{_DIGITS}]{{6,8}}"
    return (
        # +46 70 123 45 67, +46 (0)70-123 45 67, +46 070-123 45 67, 0046 910 73 50 00,
        # +46701234567
        f"(?:\\+|00)46{_SEP}?(?:\\(0\\){_SEP}?|0)?(?:{'|'.join(international)}|{bare})"
        # 46 70 123 45 67, 46701234567 (no plus: a separator, or a whole mobile number)
        f"|46{_SEP}(?:{'|'.join(international)})|467[02369][{_DIGITS}]{{7}}"
        # (0910) 73 50 00
        f"|{'|'.join(bracketed)}"
        # 070-123 45 67, 0910-73 50 00, 08-12 34 56, 0701234567
        f"|{'|'.join(national)}|0{bare}"
    )


_PHONE = re.compile(_phone_pattern())
# A national-looking match that is a date, not a phone number: 01-02-2023, 01.02.2023.
_DATE = re.compile(
    rf"^(?:0[1-9]|[12][0-9]|3[01]){_SEP}(?:0[1-9]|1[0-2]){_SEP}(?:19|20|21)[{_DIGITS}]{{2}}$"
)
# Dots only with dots (070.123.45.67): "08.30-17.00" and "08.30 17.00" are times.
_DOTS_AND_OTHER_SEPARATORS = re.compile(r"\..*[ -]|[ -].*\.")

# A run of digit groups, "+46", "(0)" and "(0910)" joined by single separators: where
# phone numbers are looked for. Which groups form numbers is decided per run, below.
_TOKEN = f"(?:\\(0[{_DIGITS}]{{0,3}}\\)|\\+?[{_DIGITS}]+)"
_RUN = re.compile(f"(?<![{_DIGITS}+]){_TOKEN}(?:{_SEP}?{_TOKEN})*")
_TOKEN_START = re.compile(_TOKEN)
_MAX_TOKENS_PER_NUMBER = 8


def _is_phone(candidate: str) -> bool:
    return bool(
        _PHONE.fullmatch(candidate)
        and not _DATE.match(candidate)
        and not _DOTS_AND_OTHER_SEPARATORS.search(candidate)
    )


def _phone_spans(run: str) -> list[tuple[int, int]]:
    """The phone numbers in a run of digit groups, as (start, end) offsets.

    Several numbers may stand side by side (070 949 74 05 0046 76 835 07 11), and a
    number may be followed by other digits (054 64545 16:15): of all ways to read the
    run as phone numbers and other groups, take the one that leaves the fewest digits
    outside a phone number (then: the fewest numbers).
    """
    tokens = [(m.start(), m.end()) for m in _TOKEN_START.finditer(run)]
    count = len(tokens)
    # best[i]: (digits left over, numbers used, spans) for the tokens from i on.
    best: list[tuple[int, int, list[tuple[int, int]]]] = [(0, 0, [])] * (count + 1)
    for i in range(count - 1, -1, -1):
        start = tokens[i][0]
        digits = sum(ch.isdigit() for ch in run[start : tokens[i][1]])
        left, used, spans = best[i + 1]
        choice = (left + digits, used, spans)
        for j in range(i, min(count, i + _MAX_TOKENS_PER_NUMBER)):
            if _is_phone(run[start : tokens[j][1]]):
                left, used, spans = best[j + 1]
                choice = min(
                    choice,
                    (left, used + 1, [(start, tokens[j][1]), *spans]),
                    key=lambda c: (c[0], c[1]),
                )
        best[i] = choice
    return best[0][2] if count else []


@dataclass(frozen=True)
class Redaction:
    """A masked text, the kinds of personal data found (once each, in the order of
    KINDS), how many items were masked, and what the text leaves open for the next
    message of the conversation (one of AWAITS, or None)."""

    text: str
    kinds: tuple[str, ...] = ()
    count: int = 0
    awaits: str | None = field(default=None, compare=False)

    @property
    def found(self) -> bool:
        return self.count > 0


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _valid_personnummer(match: re.Match[str]) -> bool:
    date_digits, sep = _digits(match.group("date")), match.group("sep") or ""
    if len(date_digits) == 8 and date_digits[:2] not in ("19", "20"):
        return False  # born 1900-2099
    if match.group("dsep") is not None and not re.search("[-+]", sep) and not _standalone(match):
        # Phone numbers are written in pairs too: 46 920 14 10 72 0914 holds no
        # personnummer. A date in groups needs a dash before the last four (81 12
        # 18-98 76), or nothing but the number (81 12 18 98 76).
        return False
    # The package accepts "-", "+" or nothing; any other separator means "-".
    separator = "+" if "+" in sep else ""
    return personnummer.valid(f"{date_digits}{separator}{_digits(match.group('last'))}")


def _is_birth_date(match: re.Match[str]) -> bool:
    """The date part of a personnummer: a real date (day + 60 for a samordningsnummer);
    YYMMDD is read in the 1900s or the 2000s."""
    digits = _digits(match.group("date"))
    centuries = [int(digits[:2])] if len(digits) == 8 else [19, 20]
    if not set(centuries) <= {19, 20}:
        return False
    year, month, day = int(digits[-6:-4]), int(digits[-4:-2]), int(digits[-2:])
    day = day - 60 if day > 60 else day
    for century in centuries:
        try:
            date(century * 100 + year, month, day)
        except ValueError:
            continue
        return True
    return False


def is_personnummer(candidate: str) -> bool:
    """True for a valid personnummer or samordningsnummer, in any of the written forms
    (see the module docstring)."""
    match = _PERSONNUMMER.fullmatch(_normalised(candidate)[0].strip())
    return match is not None and _valid_personnummer(match)


_GROUP_BEFORE = re.compile(rf"[{_DIGITS}]{_SEP}$")
_GROUP_AFTER = re.compile(rf"^{_SEP}[{_DIGITS}]")


def _standalone(match: re.Match[str]) -> bool:
    """Not one of several digit groups in a row (no "12 " before it, no " 34" after)."""
    text, start, end = match.string, match.start(), match.end()
    return not (
        _GROUP_BEFORE.search(text[max(0, start - 4) : start])
        or _GROUP_AFTER.match(text[end : end + 4])
    )


# Stands in, on the normalised copy, for what is already masked and for a
# personnummer-shaped number with a wrong check digit, so that no later pattern finds
# anything inside or across it (a private-use character: not a digit, not a separator).
_FILL = "\ue000"


class _Masking:
    """The normalised copy being worked through, and the spans masked so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.copy, self.origin = _normalised(text)
        self.spans: list[tuple[int, int, str]] = []

    def fill(self, start: int, end: int) -> None:
        self.copy = self.copy[:start] + _FILL * (end - start) + self.copy[end:]

    def mask(self, start: int, end: int, kind: str) -> None:
        self.spans.append((start, end, kind))
        self.fill(start, end)

    def birth_date(self, match: re.Match[str]) -> bool:
        """Mask the date part in `match` when it is one and no more digits follow;
        True when nothing but punctuation follows it either."""
        end = match.end("date")
        if (
            match.group("dsep") not in (None, " ")  # 2023-12-01 is written as a date
            or not _is_birth_date(match)
            or _MORE_DIGITS.match(self.copy, end)
        ):
            return False
        self.mask(match.start("date"), end, PERSONNUMMER)
        return _NOTHING_MORE.match(self.copy, end) is not None

    def redaction(self, awaits: str | None) -> Redaction:
        """The original text with every masked span replaced, and the kinds in order."""
        if not self.spans:
            return Redaction(self.text, awaits=awaits)
        pieces, position = [], 0
        for start, end, kind in sorted(self.spans):
            if self.origin is not None:
                start, end = self.origin[start], self.origin[end - 1] + 1
            if start < position:  # two spans from one character NFKC made two of
                continue
            pieces += [self.text[position:start], PLACEHOLDERS[kind]]
            position = end
        pieces.append(self.text[position:])
        found = {kind for _, _, kind in self.spans}
        kinds = tuple(k for k in KINDS if k in found)
        return Redaction("".join(pieces), kinds, len(self.spans), awaits)


def redact(text: str, after: str | None = None) -> Redaction:
    """Mask personal data in `text`; see the module docstring for what is masked.
    `after`: what the conversation's previous message left open (its Redaction.awaits)."""
    if not text:
        return Redaction(text)
    work = _Masking(text)

    # E-mail first (an address may contain digits), then personnummer (which the phone
    # pattern would otherwise take for a phone number), then phone numbers.
    if _AT_HINT.search(work.copy):
        for email in list(_EMAIL.finditer(work.copy)):
            work.mask(email.start(), email.end(), EPOST)
    cue = _CUE_HINT.search(work.copy) is not None
    if not _ANY_DIGIT.search(work.copy):
        return work.redaction(AWAITS_BIRTH_DATE if cue and _CUE_AT_END.search(work.copy) else None)

    copy, position = work.copy, 0
    while match := _PERSONNUMMER.search(copy, position):
        position = match.end()
        if _valid_personnummer(match):
            work.mask(match.start(), match.end(), PERSONNUMMER)
        elif (
            # 051201-1234 with a wrong check digit stays as typed, and is no phone
            # number; ten bare digits starting with 0 (0512011234) may well be one, and
            # so may groups that run on into other digits (031-388385 0046 914 177 92),
            # and groups that do not look like a personnummer (08 12 34 56 78).
            (match.group("sep") or len(match.group("date")) == 8)
            and match.group("dsep") is None
            and " " not in match.group("last")
            and _standalone(match)
        ):
            work.fill(match.start(), match.end())
        else:  # a personnummer may start inside it: 63 06 920513 4720
            position = match.start() + 1

    # A personnummer cut short, or the rest of one cut short in the previous message.
    ends_with_birth_date = False
    if after == AWAITS_LAST_FOUR and (first := _LAST_FOUR_FIRST.match(work.copy)):
        work.mask(first.start("last"), first.end("last"), PERSONNUMMER)
    if after == AWAITS_BIRTH_DATE and (first := _BIRTH_DATE_FIRST.match(work.copy)):
        ends_with_birth_date = work.birth_date(first)
    patterns = [_BIRTH_DATE_AFTER_CUE] if cue else []
    if _DANGLING_HINT.search(work.copy):
        patterns.append(_BIRTH_DATE_DANGLING)
    for pattern in patterns:
        for birth in list(pattern.finditer(work.copy)):
            ends_with_birth_date = work.birth_date(birth) or ends_with_birth_date

    for run in list(_RUN.finditer(work.copy)):
        for start, end in _phone_spans(run.group(0)):
            work.mask(run.start() + start, run.start() + end, TELEFON)

    if ends_with_birth_date:
        return work.redaction(AWAITS_LAST_FOUR)
    return work.redaction(AWAITS_BIRTH_DATE if cue and _CUE_AT_END.search(work.copy) else None)


def may_continue_personnummer(text: str) -> bool:
    """Whether `text` starts the way the rest of a personnummer cut short would (four
    digits, or a date part): only then does what the previous message left open
    matter, and is it worth looking up."""
    copy = _normalised(text)[0]
    return bool(_LAST_FOUR_FIRST.match(copy) or _BIRTH_DATE_FIRST.match(copy))


def merge_kinds(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Kinds from several redactions, once each, in the order of KINDS."""
    found = {kind for group in groups for kind in group}
    return tuple(k for k in KINDS if k in found)


# Keys whose values are machine identifiers (uuids, model ids): never masked, so that a
# hex id that happens to contain ten Luhn-valid digits is not changed.
MACHINE_KEYS = frozenset({"message_id", "model_id", "assistant_id", "sender_id"})


def redact_json(value: Any, skip_keys: frozenset[str] = MACHINE_KEYS) -> tuple[Any, Redaction]:
    """A copy of a JSON-like value with every string masked, dict keys too (the values of
    keys in `skip_keys` are kept), plus a summary Redaction (its text is empty). Two keys
    masked to the same text are told apart by a number: "[telefon]", "[telefon] 2"."""
    results: list[Redaction] = []

    def masked(item: str) -> str:
        result = redact(item)
        if result.found:
            results.append(result)
        return result.text

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return masked(item)
        if isinstance(item, dict):
            copy: dict[Any, Any] = {}
            for key, inner in item.items():
                new_key = masked(key) if isinstance(key, str) else key
                if new_key != key:
                    taken, number = new_key, 1
                    while new_key in copy or new_key in item:
                        number += 1
                        new_key = f"{taken} {number}"
                copy[new_key] = inner if key in skip_keys else walk(inner)
            return copy
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    result = walk(value)
    return result, Redaction(
        "", merge_kinds(r.kinds for r in results), sum(r.count for r in results)
    )

"""Mask personal data in citizens' messages: personnummer, samordningsnummer, Swedish
phone numbers and e-mail addresses.

This module knows nothing of Rasa. `redact(text)` returns the masked text and which kinds
were found; `redact_json(value)` does the same for every string in a JSON-like structure
(metadata, parse data, slot values).

What counts as personal data here, and what does not:

- **personnummer / samordningsnummer**: 10 or 12 digits (YYMMDD or YYYYMMDD, then the
  four last digits), written with `-`, `+`, a space or nothing in between. Masked *only*
  when the `personnummer` package accepts it: a real date (day + 60 for a
  samordningsnummer) and a valid Luhn check digit. So dates ("2023-12-01"), case numbers
  ("2023-1234") and most order numbers stay as typed.
- **phone numbers**: Swedish, national (070-123 45 67, 0910-73 50 00, 08-12 34 56,
  "(0910) 73 50 00", 0701234567) or international (+46 70 123 45 67, +46 (0)70-..., 0046
  ..., +46701234567): an area code, then as many digits as a number with that area code
  has (08: 5-8, 031 or 070: 5-7, 0910: 5-6), together or in groups of 2-4 separated by a
  space or a dash. Years, amounts ("10 314 kr"), times ("07:30") and postal codes do not
  start with 0 followed by enough digits; dates written "01-02-2023" are not phone
  numbers, nor is the shape of a personnummer with a wrong check digit ("051201-1234");
  ten bare digits starting with 0 ("0512011234") are. Numbers side by side ("070 949 74 05
  0046 76 835 07 11") are split the way that leaves the fewest digits unexplained, so a
  phone number followed by another number with only a space between may take that
  number's digits too (the safe side).
- **e-mail addresses**: something@domain.tld.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from personnummer import personnummer

PERSONNUMMER = "personnummer"
TELEFON = "telefon"
EPOST = "e-post"
KINDS = (PERSONNUMMER, TELEFON, EPOST)
PLACEHOLDERS = {kind: f"[{kind}]" for kind in KINDS}

# Separators people type (or paste) between digit groups: space, no-break and narrow
# no-break space, hyphen and the dashes word processors substitute for it.
_SEP = "[ \u00a0\u2009\u202f\\-\u2010\u2011\u2013]"
_DIGITS = "0-9"  # never \d: it also matches Arabic-Indic and other digits

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
_PERSONNUMMER = re.compile(
    rf"(?<![{_DIGITS}])(?P<date>(?:[{_DIGITS}]{{2}})?[{_DIGITS}]{{6}})"
    rf"(?P<sep>{_SEP}|\+)?(?P<last>[{_DIGITS}]{{4}})(?![{_DIGITS}])"
)


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


# Between area code and number: one separator, or a dash with spaces (070 - 123 45 67).
_AREA_SEP = f"(?:{_SEP}|\\s[-\u2013]\\s)"
# How long the number after the area code can be, by the area code's length counted
# with its leading 0 (08: 5-8 digits; 031, 070: 5-7; 0910: 5-6). Without a separator
# after the area code, the whole national number is 8-10 digits (0701234567).
_AREAS = ((1, 5, 8), (2, 5, 7), (3, 5, 6))


def _phone_pattern() -> str:
    """One whole phone number (matched against a candidate from start to end)."""
    national, bracketed, international = [], [], []
    for extra_digits, fewest, most in _AREAS:
        area = f"[1-9][{_DIGITS}]{{{extra_digits - 1}}}"
        number = _subscriber(fewest, most)
        national.append(f"0{area}{_AREA_SEP}{number}")
        bracketed.append(f"\\(0{area}\\){_SEP}?{number}")
        international.append(f"{area}{_AREA_SEP}{number}")
    bare = f"[1-9][{_DIGITS}]{{6,8}}"
    return (
        # +46 70 123 45 67, +46 (0)70-123 45 67, 0046 910 73 50 00, +46701234567
        f"(?:\\+|00)46{_SEP}?(?:\\(0\\){_SEP}?)?(?:{'|'.join(international)}|{bare})"
        # (0910) 73 50 00
        f"|{'|'.join(bracketed)}"
        # 070-123 45 67, 0910-73 50 00, 08-12 34 56, 0701234567
        f"|{'|'.join(national)}|0{bare}"
    )


_PHONE = re.compile(_phone_pattern())
# A national-looking match that is a date, not a phone number: 01-02-2023.
_DATE = re.compile(
    rf"^(?:0[1-9]|[12][0-9]|3[01]){_SEP}(?:0[1-9]|1[0-2]){_SEP}(?:19|20|21)[{_DIGITS}]{{2}}$"
)
# Stands in for a personnummer-shaped number with a wrong check digit while phone numbers
# are looked for, so that no phone number is found inside or across it (a private-use
# character: never typed, not a digit, not a separator).
_SHIELD = "\ue000"

# A run of digit groups, "+46", "(0)" and "(0910)" joined by single separators: where
# phone numbers are looked for. Which groups form numbers is decided per run, below.
_TOKEN = f"(?:\\(0[{_DIGITS}]{{0,3}}\\)|\\+?[{_DIGITS}]+)"
_RUN = re.compile(f"(?<![{_DIGITS}+]){_TOKEN}(?:{_AREA_SEP}?{_TOKEN})*")
_TOKEN_START = re.compile(_TOKEN)
_MAX_TOKENS_PER_NUMBER = 8


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
            candidate = run[start : tokens[j][1]]
            if _PHONE.fullmatch(candidate) and not _DATE.match(candidate):
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
    KINDS) and how many items were masked."""

    text: str
    kinds: tuple[str, ...] = ()
    count: int = 0

    @property
    def found(self) -> bool:
        return self.count > 0


def is_personnummer(candidate: str) -> bool:
    """True for a valid personnummer or samordningsnummer, in any of the written forms
    (10/12 digits; `-`, `+`, space or nothing before the last four)."""
    match = _PERSONNUMMER.fullmatch(candidate.strip())
    return match is not None and _valid_personnummer(match)


def _valid_personnummer(match: re.Match[str]) -> bool:
    # The package accepts "-", "+" or nothing; a space or a typographic dash means "-".
    separator = "+" if match.group("sep") == "+" else ""
    return personnummer.valid(f"{match.group('date')}{separator}{match.group('last')}")


_GROUP_BEFORE = re.compile(rf"[{_DIGITS}]{_SEP}$")
_GROUP_AFTER = re.compile(rf"^{_SEP}[{_DIGITS}]")


def _standalone(match: re.Match[str]) -> bool:
    """Not one of several digit groups in a row (no "12 " before it, no " 34" after)."""
    text, start, end = match.string, match.start(), match.end()
    return not (
        _GROUP_BEFORE.search(text[max(0, start - 2) : start])
        or _GROUP_AFTER.match(text[end : end + 2])
    )


def redact(text: str) -> Redaction:
    """Mask personal data in `text`; see the module docstring for what is masked."""
    if not text:
        return Redaction(text)
    found: list[str] = []
    shielded: list[str] = []
    can_shield = _SHIELD not in text

    def email(match: re.Match[str]) -> str:
        found.append(EPOST)
        return PLACEHOLDERS[EPOST]

    def pnr(match: re.Match[str]) -> str:
        if _valid_personnummer(match):
            found.append(PERSONNUMMER)
            return PLACEHOLDERS[PERSONNUMMER]
        # 051201-1234 with a wrong check digit stays as typed, and is no phone number;
        # ten bare digits starting with 0 (0512011234) may well be one, and so may
        # groups that run on into other digits (031-388385 0046 914 177 92).
        if (
            can_shield
            and (match.group("sep") or len(match.group("date")) == 8)
            and _standalone(match)
        ):
            shielded.append(match.group(0))
            return _SHIELD
        return match.group(0)

    def phones(match: re.Match[str]) -> str:
        run = match.group(0)
        spans = _phone_spans(run)
        for start, end in reversed(spans):
            run = run[:start] + PLACEHOLDERS[TELEFON] + run[end:]
        found.extend([TELEFON] * len(spans))
        return run

    # E-mail first (an address may contain digits), then personnummer (which the phone
    # pattern would otherwise take for a phone number), then phone numbers.
    masked = _EMAIL.sub(email, text)
    masked = _PERSONNUMMER.sub(pnr, masked)
    masked = _RUN.sub(phones, masked)
    if shielded:
        restore = iter(shielded)
        masked = re.sub(_SHIELD, lambda _: next(restore), masked)
    return Redaction(masked, tuple(k for k in KINDS if k in found), len(found))


def merge_kinds(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Kinds from several redactions, once each, in the order of KINDS."""
    found = {kind for group in groups for kind in group}
    return tuple(k for k in KINDS if k in found)


# Keys whose values are machine identifiers (uuids, model ids): never masked, so that a
# hex id that happens to contain ten Luhn-valid digits is not changed.
MACHINE_KEYS = frozenset({"message_id", "model_id", "assistant_id", "sender_id"})


def redact_json(value: Any, skip_keys: frozenset[str] = MACHINE_KEYS) -> tuple[Any, Redaction]:
    """A copy of a JSON-like value with every string masked (dict keys in `skip_keys`
    keep their values), plus a summary Redaction (its text is empty)."""
    results: list[Redaction] = []

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            result = redact(item)
            if result.found:
                results.append(result)
            return result.text
        if isinstance(item, dict):
            return {k: (v if k in skip_keys else walk(v)) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    masked = walk(value)
    return masked, Redaction(
        "", merge_kinds(r.kinds for r in results), sum(r.count for r in results)
    )

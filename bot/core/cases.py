"""A citizen's report that a promise was broken: checked, masked, and given a case number.

Knows nothing of Rasa, Sanic or SQLAlchemy: `bot.store.cases` stores what this module has
checked, the web app and the actions only call it. A report names a service and one of its
promises from the catalog, has a short description (personal data masked like every chat
message, HTML kept as plain text: escaping is the job of whoever shows it), and is either
anonymous (no reply possible, so no contact details are kept) or asks for a reply (then
an e-mail address or a phone number is required). Contact details are never masked here:
they are the one thing the municipality needs to answer, and they are stored only in the
case row (never in the tracker's events, never in a log line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.catalog import Catalog, Declaration, Promise
from bot.core.clock import STOCKHOLM
from bot.core.language import fold
from bot.core.redaction import redact

CASE_PREFIX = "SF"  # "serviceförklaring": what the number is about
MAX_DESCRIPTION_CHARS = 2000
MAX_NAME_CHARS = 200
MAX_EMAIL_CHARS = 254
MAX_PHONE_CHARS = 40

# The states of a case, in the order staff move it along.
NEW = "ny"
FORWARDED = "vidarebefordrad"
CLOSED = "avslutad"
STATES = (NEW, FORWARDED, CLOSED)
_NEXT_STATES = {NEW: (FORWARDED, CLOSED), FORWARDED: (CLOSED,), CLOSED: ()}

_CASE_NUMBER = re.compile(rf"^{CASE_PREFIX}-(?P<year>\d{{4}})-(?P<seq>\d{{5,}})$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,}[0-9]$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CaseError(ValueError):
    """A report the municipality cannot register as it is. `code` says which field and why
    (for the texts in domain.yml and data/web_texts.yml); the message is for logs and
    developers and never holds what the citizen wrote."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# The codes of CaseError, one per thing the citizen can correct.
EMPTY_DESCRIPTION = "empty_description"
LONG_DESCRIPTION = "long_description"
UNKNOWN_SERVICE = "unknown_service"
UNKNOWN_PROMISE = "unknown_promise"
CONTACT_REQUIRED = "contact_required"
BAD_EMAIL = "bad_email"
BAD_PHONE = "bad_phone"
LONG_NAME = "long_name"
BAD_STATE = "bad_state"


@dataclass(frozen=True)
class Contact:
    """How the municipality can reach the citizen; empty when the report is anonymous."""

    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.name or self.email or self.phone)


@dataclass(frozen=True)
class CaseReport:
    """A checked report, ready to store: the description is already masked."""

    service_id: str
    promise_id: str
    description: str
    wants_reply: bool
    contact: Contact = field(default_factory=Contact)
    masked_kinds: tuple[str, ...] = ()
    sender_id: str | None = None


def _clean(value: object) -> str:
    """A single text value as the citizen meant it: control characters and surrounding
    spaces removed (line breaks kept)."""
    return _CONTROL.sub("", str(value or "")).strip()


def check_contact(name: object, email: object, phone: object) -> Contact:
    """The contact details of a report that asks for a reply, or a CaseError: at least an
    e-mail address or a phone number, each that looks like one."""
    contact = Contact(_clean(name), _clean(email), _clean(phone))
    if len(contact.name) > MAX_NAME_CHARS:
        raise CaseError(LONG_NAME, f"the name is longer than {MAX_NAME_CHARS} characters")
    if contact.email and (len(contact.email) > MAX_EMAIL_CHARS or not _EMAIL.match(contact.email)):
        raise CaseError(BAD_EMAIL, "the e-mail address does not look like one")
    if contact.phone and (len(contact.phone) > MAX_PHONE_CHARS or not _PHONE.match(contact.phone)):
        raise CaseError(BAD_PHONE, "the phone number does not look like one")
    if not (contact.email or contact.phone):
        raise CaseError(CONTACT_REQUIRED, "a reply needs an e-mail address or a phone number")
    return contact


def check_report(
    catalog: Catalog,
    service_id: object,
    promise_id: object,
    description: object,
    wants_reply: bool,
    contact: Contact | None = None,
    sender_id: str | None = None,
) -> CaseReport:
    """A report checked against the catalog, its description masked; or a CaseError.

    The description must say something (an empty one is refused, not stored) and is at
    most MAX_DESCRIPTION_CHARS long (a longer one is refused whole, so nothing the citizen
    wrote is silently cut). An anonymous report keeps no contact details even if some were
    sent; a report that wants a reply must have them (`check_contact`).
    """
    declaration = catalog.get(str(service_id or ""))
    if declaration is None:
        raise CaseError(UNKNOWN_SERVICE, f"no service {str(service_id)[:60]!r} in the catalog")
    promise = next((p for p in declaration.promises if p.id == promise_id), None)
    if promise is None:
        raise CaseError(
            UNKNOWN_PROMISE, f"no promise {str(promise_id)[:60]!r} for service {declaration.id}"
        )
    text = _clean(description)
    if not text:
        raise CaseError(EMPTY_DESCRIPTION, "the description is empty")
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise CaseError(
            LONG_DESCRIPTION,
            f"the description has {len(text)} characters, at most {MAX_DESCRIPTION_CHARS}",
        )
    masked = redact(text)
    if wants_reply:
        if contact is None:
            raise CaseError(CONTACT_REQUIRED, "a reply needs an e-mail address or a phone number")
        kept = check_contact(contact.name, contact.email, contact.phone)
    else:
        kept = Contact()
    return CaseReport(
        service_id=declaration.id,
        promise_id=promise.id,
        description=masked.text,
        wants_reply=bool(wants_reply),
        contact=kept,
        masked_kinds=masked.kinds,
        sender_id=sender_id,
    )


def case_number(year: int, sequence: int) -> str:
    """The number the citizen sees: SF-2026-00042 (numbered from 1 each year)."""
    if sequence < 1:
        raise ValueError("case sequence numbers start at 1")
    return f"{CASE_PREFIX}-{year:04d}-{sequence:05d}"


def parse_case_number(value: str) -> tuple[int, int] | None:
    """(year, sequence) of a case number as `case_number` writes it, else None."""
    match = _CASE_NUMBER.match(value.strip().upper())
    return (int(match["year"]), int(match["seq"])) if match else None


def case_year(moment: datetime) -> int:
    """The year a case belongs to: the year in Sweden when it was reported."""
    return moment.astimezone(STOCKHOLM).year


def check_state_change(current: str, new: str) -> None:
    """A CaseError unless staff may move a case from `current` to `new`
    (ny → vidarebefordrad → avslutad, or straight from ny to avslutad)."""
    if new not in STATES:
        raise CaseError(BAD_STATE, f"unknown state {new[:40]!r}; one of {', '.join(STATES)}")
    if new not in _NEXT_STATES.get(current, ()):
        raise CaseError(BAD_STATE, f"a case in state {current!r} cannot become {new!r}")


# The report as chat turns (actions/report.py, for channels without the widget's form):
# the service, one of its promises by number or id, and the cancel words.


def reportable(catalog: Catalog, service_id: object) -> Declaration | None:
    """The declaration a report may name: one with its text and promises published."""
    declaration = catalog.get(catalog.service_id(service_id))
    if declaration is None or not (declaration.text_available and declaration.promises):
        return None
    return declaration


def reportable_services(catalog: Catalog) -> list[Declaration]:
    """Every declaration a report may name, by name."""
    return [d for d in catalog.sorted_by_name() if reportable(catalog, d.id) is not None]


def chosen_promise(declaration: Declaration, answer: object) -> Promise | None:
    """The promise a chat answer picks: its number in the list the bot showed (1, 2, …),
    its id, or its whole text (case and å/ä/ö folded); None for anything else."""
    text = _clean(answer)
    if text.isdigit():
        index = int(text) - 1
        return declaration.promises[index] if 0 <= index < len(declaration.promises) else None
    folded = fold(text)
    return next(
        (p for p in declaration.promises if text == p.id or folded == fold(p.text)),
        None,
    )


_PUNCTUATION = re.compile(r"[.,!?;:]+")


def _one_of(answer: object, words: list[str]) -> bool:
    """The whole message is one of `words` (folded; punctuation ignored)."""
    folded = fold(_PUNCTUATION.sub(" ", _clean(answer)))
    return bool(folded) and folded in {fold(_PUNCTUATION.sub(" ", word)) for word in words}


def is_cancel(answer: object, cancel_words: list[str]) -> bool:
    """The whole message is one of the cancel words ("avbryt", "Avbryt!")."""
    return _one_of(answer, cancel_words)


def accepts_offer(answer: object, yes_words: list[str]) -> bool:
    """The whole message says yes to the offer to report ("ja", "ja, tack!"); an
    acknowledgment ("ok", "okej") does not."""
    return _one_of(answer, yes_words)

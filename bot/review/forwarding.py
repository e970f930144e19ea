"""Forwarding cases to the responsible nämnd by e-mail, when SMTP is configured.

| variable                    | default | meaning                                              |
|-----------------------------|---------|------------------------------------------------------|
| SMTP_HOST                   | (none)  | the municipality's mail server; unset: no e-mail,    |
|                             |         | staff export cases for the registrator instead       |
| SMTP_PORT                   | 25      |                                                      |
| SMTP_STARTTLS               | 0       | 1: STARTTLS before logging in                         |
| SMTP_USER, SMTP_PASSWORD    | (none)  | log in when both are set                             |
| SMTP_FROM                   | (none)  | the sender address (required with SMTP_HOST)         |
| SMTP_TIMEOUT_SECONDS        | 10      |                                                      |
| CASE_FORWARD_RETRY_SECONDS  | 300     | how often cases not yet forwarded are sent or tried  |
|                             |         | again in the background (0: only by hand)            |
| CASE_FORWARDING_FILE        | data/case_forwarding.yml | who receives which board's cases    |

Who receives a case is the municipality's decision, in data/case_forwarding.yml: an
address per responsible board (the `responsible_board` of the service's declaration),
else the default address (the registrator). A case whose board has no address and no
default is not sent; staff export it instead. A failed send keeps the case, marks it not
forwarded with the error (shown to staff) and is tried again by `retry_pending`, which the
review tool runs every CASE_FORWARD_RETRY_SECONDS. The e-mail holds the contact details
when the citizen asked for a reply: the board needs them to answer. Nothing is logged
but the case number and the outcome.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import yaml

from bot.core.catalog import Catalog
from bot.paths import DATA_DIR
from bot.settings import SettingsError, flag, number, raw, text
from bot.store import cases as case_store

logger = logging.getLogger(__name__)

DEFAULT_FORWARDING_FILE = DATA_DIR / "case_forwarding.yml"
# The e-mail's text for a case (the review tool renders its template, case_email.txt).
BodyRenderer = Callable[[case_store.StoredCase], str]
MAX_ATTEMPTS = 50  # about four days at the default interval; then only by hand


class AlreadyForwarded(ValueError):
    """The case was sent already (by hand or by the background retry)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    timeout_seconds: float = 10.0
    retry_seconds: float = 300.0
    forwarding_file: Path = DEFAULT_FORWARDING_FILE

    @property
    def configured(self) -> bool:
        return bool(self.host)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        host = raw(env, "SMTP_HOST")
        sender = raw(env, "SMTP_FROM")
        if host and not sender:
            raise SettingsError("SMTP_FROM must be set when SMTP_HOST is (the sender address)")
        return cls(
            host=host,
            port=number(env, "SMTP_PORT", 25, 1, 65535),
            starttls=flag(env, "SMTP_STARTTLS", False),
            user=raw(env, "SMTP_USER"),
            password=raw(env, "SMTP_PASSWORD"),
            sender=sender,
            timeout_seconds=number(env, "SMTP_TIMEOUT_SECONDS", 10.0, 1, 120),
            retry_seconds=number(env, "CASE_FORWARD_RETRY_SECONDS", 300.0, 0, 86_400),
            forwarding_file=Path(text(env, "CASE_FORWARDING_FILE", str(DEFAULT_FORWARDING_FILE))),
        )


@dataclass(frozen=True)
class Recipients:
    default: str = ""
    boards: dict[str, str] = field(default_factory=dict)

    def address_for(self, board: str | None) -> str:
        return (self.boards.get(board or "") or self.default).strip()


def load_recipients(path: Path) -> Recipients:
    """data/case_forwarding.yml; a missing file means no addresses (export only)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return Recipients()
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected `default:` and `boards:`")
    boards = data.get("boards") or {}
    if not isinstance(boards, dict):
        raise SettingsError(f"{path}: `boards` must map a board's name to an address")
    return Recipients(
        str(data.get("default") or ""), {str(k): str(v or "") for k, v in boards.items()}
    )


def compose(
    catalog: Catalog, case: case_store.StoredCase, sender: str, to: str, body: str
) -> EmailMessage:
    declaration = catalog.get(case.service_id)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    name = declaration.name if declaration else case.service_id
    message["Subject"] = f"{case.number}: anmält brutet löfte ({name})"
    message.set_content(body)
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """One message through the configured server; an OSError or SMTPException on failure."""
    assert settings.host
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user and settings.password:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message)


def forward_case(
    db_url: str,
    catalog: Catalog,
    settings: SmtpSettings,
    number: str,
    render_body: BodyRenderer,
) -> str | None:
    """Send one case to its board's address and record the outcome; the error text when
    it failed, None when it was sent. Refuses (ValueError) without SMTP or an address."""
    if not settings.configured or not settings.sender:
        raise ValueError("SMTP is not configured")
    case = case_store.find_case(db_url, number)
    if case is None:
        raise case_store.CaseNotFound(number)
    if case.forward_status == case_store.SENT:
        raise AlreadyForwarded(number)
    declaration = catalog.get(case.service_id)
    board = declaration.responsible_board if declaration else None
    to = load_recipients(settings.forwarding_file).address_for(board)
    if not to:
        raise ValueError(f"no address for {board or 'the default'} in {settings.forwarding_file}")
    try:
        send(settings, compose(catalog, case, settings.sender, to, render_body(case)))
    except (OSError, smtplib.SMTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        case_store.record_forwarding(db_url, number, None, error)
        logger.warning("case %s not forwarded (%s)", number, type(exc).__name__)
        return error
    case_store.record_forwarding(db_url, number, to, None)
    logger.info("case %s forwarded", number)
    return None


def retry_pending(
    db_url: str, catalog: Catalog, settings: SmtpSettings, render_body: BodyRenderer
) -> tuple[int, int]:
    """Try every open case not yet forwarded (fewer than MAX_ATTEMPTS tries) whose board
    has an address: (sent, failed)."""
    if not settings.configured:
        return (0, 0)
    recipients = load_recipients(settings.forwarding_file)
    sent = failed = 0
    pending = case_store.list_cases(
        db_url, case_store.CaseFilter(not_forwarded_only=True), limit=500
    )
    for case in pending:
        if case.state == "avslutad" or case.forward_attempts >= MAX_ATTEMPTS:
            continue
        declaration = catalog.get(case.service_id)
        if not recipients.address_for(declaration.responsible_board if declaration else None):
            continue
        if forward_case(db_url, catalog, settings, case.number, render_body) is None:
            sent += 1
        else:
            failed += 1
    return (sent, failed)

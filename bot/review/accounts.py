"""Staff accounts, login sessions and the login rate limit (data access, no HTTP).

Passwords are hashed with argon2id (argon2-cffi's defaults). A session is a random
token in an HttpOnly cookie; the database keeps only its SHA-256, so a leaked database
does not log anyone in. Each session has its own CSRF token for the forms.

Failed logins are counted in the database (so the limit holds across restarts and
replicas), per account and per client address, over the last `FAILURE_WINDOW` seconds.
The limit is a back-off, never a lock: after a few free failures each further one doubles
the wait before the next attempt (from `BACKOFF_SECONDS`), up to a short cap. Until then
a login is refused before the password is even checked. So guessing stays slow (one try
a minute per account at most), while nobody can lock a colleague out for long by typing
wrong passwords under their name, nor lock out all staff behind the municipality's one
proxy address (that limit allows more failures: everyone's typos add up there).
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.engine import Engine

from bot.review.tables import login_failures, sessions, users

REVIEWER = "reviewer"
CASE_HANDLER = "handlaggare"  # handles citizens' cases (Ärenden), sees their contact details
ADMIN = "admin"
EDITOR = "redaktor"  # drafts changes to the declarations; an admin approves them
ROLES = (REVIEWER, CASE_HANDLER, EDITOR, ADMIN)
# The roles with case access: contact details, notes, state changes, forwarding, exports.
CASE_ROLES = frozenset({CASE_HANDLER, ADMIN})
# The roles that may draft changes to the declarations (Innehåll → Redigera); approving
# and publishing a draft is the admin's, and never the draft's own author's.
CONTENT_EDIT_ROLES = frozenset({EDITOR, ADMIN})

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")  # fullmatch: no trailing newline
MIN_PASSWORD_LENGTH = 12
SESSION_SECONDS = 8 * 60 * 60  # one working day
FAILURE_WINDOW = 15 * 60
BACKOFF_SECONDS = 2
ACCOUNT_FREE_FAILURES = 3  # per account: then 2 s, 4 s, 8 s ... at most ACCOUNT_MAX_WAIT
ACCOUNT_MAX_WAIT = 60
ADDRESS_FREE_FAILURES = 20  # per client address (all staff behind one proxy share it)
ADDRESS_MAX_WAIT = 5 * 60

_hasher = PasswordHasher()
# Verified against when the account does not exist, so both cases take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """A user name, role or password we refuse; the message says why (English, for the
    command line)."""


@dataclass(frozen=True)
class User:
    username: str
    role: str
    created_at: float
    last_login_at: float | None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def has_case_access(self) -> bool:
        return self.role in CASE_ROLES

    @property
    def may_edit_content(self) -> bool:
        return self.role in CONTENT_EDIT_ROLES


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    csrf_token: str
    expires_at: float

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def has_case_access(self) -> bool:
        return self.role in CASE_ROLES

    @property
    def may_edit_content(self) -> bool:
        return self.role in CONTENT_EDIT_ROLES


def _user(row: sa.engine.Row) -> User:
    return User(row.username, row.role, row.created_at, row.last_login_at)


def check_username(username: str) -> str:
    if not USERNAME_PATTERN.fullmatch(username or ""):
        raise AccountError(
            "user names are 2-64 characters: lower-case letters a-z, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return username


def add_user(
    engine: Engine, username: str, role: str, password: str, now: float | None = None
) -> User:
    check_username(username)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    now = time.time() if now is None else now
    with engine.begin() as connection:
        exists = connection.execute(
            sa.select(users.c.id).where(users.c.username == username)
        ).first()
        if exists:
            raise AccountError(f"user {username!r} already exists")
        connection.execute(
            users.insert().values(
                username=username,
                role=role,
                password_hash=_hasher.hash(password),
                created_at=now,
            )
        )
    return User(username, role, now, None)


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(users).order_by(users.c.username)).all()
    return [_user(row) for row in rows]


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    return _user(row) if row else None


def remove_user(engine: Engine, username: str) -> bool:
    """Delete the account and log out its sessions; False if there was none."""
    with engine.begin() as connection:
        connection.execute(sessions.delete().where(sessions.c.username == username))
        result = connection.execute(users.delete().where(users.c.username == username))
    return result.rowcount > 0


# --- login ------------------------------------------------------------------------------------


def backoff_seconds(failures: int, free: int, cap: int) -> int:
    """How long after the last of `failures` recent failures the next attempt must wait."""
    if failures < free:
        return 0
    return int(min(cap, BACKOFF_SECONDS * 2 ** min(failures - free, 30)))


def seconds_until_allowed(engine: Engine, username: str, ip: str, now: float | None = None) -> int:
    """0 if a login attempt is allowed now; otherwise how many seconds to wait."""
    now = time.time() if now is None else now
    waits = [0]
    with engine.connect() as connection:
        for column, value, free, cap in (
            (
                login_failures.c.username,
                username.lower()[:255],
                ACCOUNT_FREE_FAILURES,
                ACCOUNT_MAX_WAIT,
            ),
            (login_failures.c.ip, ip[:64], ADDRESS_FREE_FAILURES, ADDRESS_MAX_WAIT),
        ):
            failures, last = connection.execute(
                sa.select(sa.func.count(), sa.func.max(login_failures.c.at)).where(
                    column == value, login_failures.c.at > now - FAILURE_WINDOW
                )
            ).one()
            if failures and last is not None:
                allowed_at = last + backoff_seconds(failures, free, cap)
                waits.append(math.ceil(allowed_at - now))
    return max(waits)


def record_failure(engine: Engine, username: str, ip: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with engine.begin() as connection:
        connection.execute(
            login_failures.delete().where(login_failures.c.at < now - 2 * FAILURE_WINDOW)
        )
        connection.execute(
            login_failures.insert().values(username=username.lower()[:255], ip=ip[:64], at=now)
        )


def authenticate(
    engine: Engine, username: str, password: str, now: float | None = None
) -> User | None:
    """The user if the password is right, else None (same work whether or not the
    account exists). Rehashes on login when argon2's parameters have changed."""
    with engine.connect() as connection:
        row = connection.execute(sa.select(users).where(users.c.username == username)).first()
    stored = row.password_hash if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    now = time.time() if now is None else now
    values: dict[str, object] = {"last_login_at": now}
    if _hasher.check_needs_rehash(stored):
        values["password_hash"] = _hasher.hash(password)
    with engine.begin() as connection:
        connection.execute(users.update().where(users.c.id == row.id).values(**values))
        connection.execute(
            login_failures.delete().where(login_failures.c.username == username.lower())
        )
    return _user(row)


# --- sessions ---------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(engine: Engine, user: User, now: float | None = None) -> str:
    """A new session for `user`; returns the cookie token (only its hash is stored)."""
    now = time.time() if now is None else now
    token = secrets.token_urlsafe(32)
    with engine.begin() as connection:
        connection.execute(sessions.delete().where(sessions.c.expires_at < now))
        connection.execute(
            sessions.insert().values(
                token_hash=_token_hash(token),
                username=user.username,
                csrf_token=new_csrf_token(),
                created_at=now,
                expires_at=now + SESSION_SECONDS,
            )
        )
    return token


def session_for(engine: Engine, token: str | None, now: float | None = None) -> Session | None:
    """The live session of a cookie token, with the user's current role; None if the
    token is unknown, expired, or its account was removed."""
    if not token or len(token) > 128:
        return None
    now = time.time() if now is None else now
    query = (
        sa.select(sessions.c.username, sessions.c.csrf_token, sessions.c.expires_at, users.c.role)
        .join(users, users.c.username == sessions.c.username)
        .where(sessions.c.token_hash == _token_hash(token), sessions.c.expires_at > now)
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    return Session(row.username, row.role, row.csrf_token, row.expires_at)


def end_session(engine: Engine, token: str | None) -> None:
    if not token:
        return
    with engine.begin() as connection:
        connection.execute(sessions.delete().where(sessions.c.token_hash == _token_hash(token)))

"""Reading settings from environment variables: one error type and a few small parsers.

Every part of the bot that reads a number, a port, a duration or a flag from the
environment does it here, so a bad value always gives the same kind of error
(`SettingsError`, a `ValueError`) with a message that names the variable and the value.
The sections (`bot.web.config.WebConfig`, `bot.review.settings.ReviewSettings`,
`bot.adapters.channels.Settings`, `bot.store.retention.retention_days`, the ports of
`bot run`) keep their own defaults and call these parsers.

A variable that is missing, empty or only spaces counts as not set: its default applies.
`env` is any mapping of names to values; None means `os.environ`.

Imports nothing of ours (at most `bot.paths` may be added), so every layer may use it.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

Env = Mapping[str, str]
Number = TypeVar("Number", int, float)

MAX_PORT = 65535
# A signing secret shorter than this (from the environment or a file) is refused.
MIN_SECRET_CHARS = 32


class SettingsError(ValueError):
    """An environment variable has a value the bot cannot use; the message names it."""


def _environ(env: Env | None) -> Env:
    return os.environ if env is None else env


def raw(env: Env | None, name: str) -> str | None:
    """The variable's value without surrounding spaces, or None if it is not set."""
    value = (_environ(env).get(name) or "").strip()
    return value or None


def text(env: Env | None, name: str, default: str = "") -> str:
    """A string setting (surrounding spaces removed), or `default` if it is not set."""
    value = raw(env, name)
    return default if value is None else value


def _show(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def number(
    env: Env | None,
    name: str,
    default: Number,
    minimum: float | None = None,
    maximum: float | None = None,
    unit: str = "",
) -> Number:
    """A whole number if `default` is an int, else a number; at least `minimum` and at
    most `maximum` (each if given). `unit` ("days", "seconds") only goes in messages."""
    value_text = raw(env, name)
    if value_text is None:
        return default
    kind = type(default)
    expected = "a whole number" if kind is int else "a number"
    suffix = f" of {unit}" if unit else ""
    try:
        value = kind(value_text)
    except ValueError:
        raise SettingsError(f"{name}={value_text!r}: expected {expected}{suffix}") from None
    if kind is float and value != value:  # NaN passes no range check; refuse it outright
        raise SettingsError(f"{name}={value_text!r}: expected {expected}{suffix}")
    if minimum is not None and maximum is not None:
        if not minimum <= value <= maximum:
            raise SettingsError(
                f"{name}={value_text!r}: must be between {_show(minimum)} and {_show(maximum)}"
            )
    elif minimum is not None and value < minimum:
        raise SettingsError(f"{name}={value_text!r}: must be at least {_show(minimum)}")
    elif maximum is not None and value > maximum:
        raise SettingsError(f"{name}={value_text!r}: must be at most {_show(maximum)}")
    return value


def seconds(env: Env | None, name: str, default: float) -> float:
    """A positive number of seconds (fractions allowed), or `default` if not set."""
    value = number(env, name, float(default), unit="seconds")
    if value <= 0:
        raise SettingsError(f"{name}={raw(env, name)!r}: must be a positive number of seconds")
    return value


def port(env: Env | None, name: str, default: int) -> int:
    """A TCP port number (1 to 65535), or `default` if not set."""
    return number(env, name, default, minimum=1, maximum=MAX_PORT)


def flag(env: Env | None, name: str, default: bool) -> bool:
    """Off when the variable is "0", on for any other value, `default` if not set."""
    value = raw(env, name)
    return default if value is None else value != "0"


def secret(env: Env | None, name: str, file: Path) -> str:
    """A signing secret: the variable `name` if set, else the contents of `file`, which is
    made (random, 43 URL-safe characters, mode 0600) when it does not exist yet.

    The file is what a single machine needs: the secret survives restarts without anyone
    setting it. Several machines that must accept each other's signatures share one value
    through the variable. Two processes starting at once agree: the file is created
    whole, by one atomic link, and the loser reads the winner's secret.
    """
    value = raw(env, name)
    if value is not None:
        if len(value) < MIN_SECRET_CHARS:
            raise SettingsError(f"{name}: must be at least {MIN_SECRET_CHARS} characters")
        return value
    if not file.exists():
        _create_secret_file(name, file)
    try:
        value = file.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{name} is not set and {file} cannot be read: {exc}") from None
    if len(value) < MIN_SECRET_CHARS:
        raise SettingsError(f"{file} ({name}): must hold at least {MIN_SECRET_CHARS} characters")
    return value


def _create_secret_file(name: str, file: Path) -> None:
    temporary = file.with_name(f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as out:
            out.write(secrets.token_urlsafe(32) + "\n")
        try:
            os.link(temporary, file)  # fails if another process was first: keep theirs
        except FileExistsError:
            pass
    except OSError as exc:
        raise SettingsError(f"{name} is not set and {file} cannot be created: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)

"""`bot users add|list|remove`: staff accounts from the command line, passwords from a
prompt or from stdin, stored as argon2 hashes in the tracker store's database."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ops.cli import main
from bot.review import accounts, audit
from bot.review.tables import engine_for

PASSWORD = "a long enough password"


@pytest.fixture
def db_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DB_URL", url)
    return url


def run(monkeypatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(argv)


def test_add_list_remove(db_url, monkeypatch, capsys):
    assert run(monkeypatch, ["users", "add", "rita", "--role", "reviewer"], PASSWORD + "\n") == 0
    assert run(monkeypatch, ["users", "add", "adam", "--role", "admin"], PASSWORD + "\n") == 0
    assert "Added reviewer 'rita'" in capsys.readouterr().out
    engine = engine_for(db_url)
    assert accounts.authenticate(engine, "rita", PASSWORD).role == accounts.REVIEWER
    assert run(monkeypatch, ["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "rita" in listing and "reviewer" in listing and "adam" in listing
    assert PASSWORD not in listing
    assert run(monkeypatch, ["users", "remove", "rita"]) == 0
    assert accounts.get_user(engine, "rita") is None
    assert run(monkeypatch, ["users", "remove", "rita"]) == 1
    actions = [(e.action, e.target) for e in audit.entries(engine)[0]]
    assert (audit.ADD_USER, "rita") in actions and (audit.REMOVE_USER, "rita") in actions


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["users", "add", "rita", "--role", "reviewer"], "short\n", "at least 12"),
        (["users", "add", "Rita Svensson", "--role", "reviewer"], PASSWORD + "\n", "user names"),
        (["users", "add", "x", "--role", "admin"], PASSWORD + "\n", "user names"),
    ],
)
def test_refused_input(db_url, monkeypatch, capsys, argv, stdin, message):
    assert run(monkeypatch, argv, stdin) == 2
    assert message in capsys.readouterr().err


def test_duplicate_user_is_refused(db_url, monkeypatch, capsys):
    assert run(monkeypatch, ["users", "add", "rita", "--role", "reviewer"], PASSWORD) == 0
    assert run(monkeypatch, ["users", "add", "rita", "--role", "admin"], PASSWORD) == 2
    assert "already exists" in capsys.readouterr().err
    assert accounts.get_user(engine_for(db_url), "rita").role == accounts.REVIEWER


def test_unknown_role_is_refused(db_url, monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        run(monkeypatch, ["users", "add", "rita", "--role", "superuser"], PASSWORD)
    assert exit_info.value.code == 2


def test_password_prompt_on_a_terminal(db_url, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    tty = io.StringIO()
    tty.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stdin", tty)
    assert main(["users", "add", "rita", "--role", "reviewer"]) == 0
    assert main(["users", "add", "adam", "--role", "admin"]) == 2
    assert "passwords differ" in capsys.readouterr().err


def test_unreachable_database_exits_3(monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_DB_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert run(monkeypatch, ["users", "list"]) == 3
    assert "Cannot reach the tracker store database" in capsys.readouterr().err


def test_the_bot_command_reads_the_password_from_a_pipe(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    bot = Path(sys.executable).parent / "bot"
    result = subprocess.run(
        [str(bot), "users", "add", "anna", "--role", "admin"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TRACKER_DB_URL": url},
    )
    assert result.returncode == 0, result.stderr
    assert accounts.authenticate(engine_for(url), "anna", PASSWORD) is not None

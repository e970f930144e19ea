"""Command-line side of the review tool, added to the `bot` command by bot/ops/cli.py:

    bot users add NAME --role reviewer|admin   # password from a prompt, or stdin if piped
    bot users list
    bot users remove NAME
    bot export-nlu [--out FILE]     # confirmed NLU-inbox examples as data/nlu/ YAML
    bot export-eval [--out FILE]    # answer-level cases (tests/data/eval/reviewed.yml)
    bot export-tests [--out FILE]   # the same as NLU test cases (tests/data/nlu_holdout.yml format)

The database is TRACKER_DB_URL's, as for the web app. Exit codes: 0 ok, 1 no such user,
2 refused input, 3 the database cannot be reached.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.review import accounts, audit, reviews
from bot.review.filters import SWEDISH_TIME
from bot.review.tables import create_tables, engine_for
from bot.store.database import TrackerDBUnreachable, check_tracker_db, tracker_db_url
from bot.store.retention import runner_name

EXIT_NO_SUCH_USER = 1
EXIT_REFUSED = 2
EXIT_DB_UNREACHABLE = 3


def _engine() -> Engine | int:
    url = tracker_db_url()
    try:
        check_tracker_db(url)
    except (TrackerDBUnreachable, ValueError) as exc:
        print(f"{exc}\nIs the database running, and is TRACKER_DB_URL right?", file=sys.stderr)
        return EXIT_DB_UNREACHABLE
    engine = engine_for(url)
    create_tables(engine)
    return engine


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise accounts.AccountError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, SWEDISH_TIME).strftime("%Y-%m-%d %H:%M")


def users(args: argparse.Namespace) -> int:
    engine = _engine()
    if isinstance(engine, int):
        return engine
    ran_by = runner_name("bot users")[:64]
    if args.users_command == "add":
        try:
            accounts.check_username(args.name)
            user = accounts.add_user(engine, args.name, args.role, _read_password())
        except accounts.AccountError as exc:
            print(f"Not added: {exc}", file=sys.stderr)
            return EXIT_REFUSED
        audit.log(engine, ran_by, audit.ADD_USER, user.username, {"role": user.role})
        print(f"Added {user.role} {user.username!r}. Log in at /granska/logga-in.")
        return 0
    if args.users_command == "remove":
        if not accounts.remove_user(engine, args.name):
            print(f"No user {args.name!r}.", file=sys.stderr)
            return EXIT_NO_SUCH_USER
        audit.log(engine, ran_by, audit.REMOVE_USER, args.name)
        print(f"Removed {args.name!r} and ended their sessions.")
        return 0
    found = accounts.list_users(engine)
    if not found:
        print("No users yet: bot users add NAME --role reviewer|admin")
        return 0
    print(f"{'name':24} {'role':9} {'created':17} last login")
    for user in found:
        print(
            f"{user.username:24} {user.role:9} {_when(user.created_at):17} "
            f"{_when(user.last_login_at)}"
        )
    return 0


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def export_nlu(args: argparse.Namespace) -> int:
    from bot.review.nlu_export import domain_intents, nlu_yaml, training_texts

    engine = _engine()
    if isinstance(engine, int):
        return engine
    ran_by = runner_name("bot export-nlu")[:64]
    export = nlu_yaml(reviews.confirmed(engine), domain_intents(), training_texts(), ran_by)
    _write(export.text, args.out)
    audit.log(engine, ran_by, audit.EXPORT_NLU, args.out or "stdout", {"examples": export.examples})
    print(
        f"{export.examples} examples{' to ' + args.out if args.out else ''}; left out "
        f"{export.skipped_known} already in data/nlu/ and {export.skipped_invalid} with an "
        f"intent no longer in domain.yml.",
        file=sys.stderr,
    )
    return 0


def export_tests(args: argparse.Namespace) -> int:
    from bot.core.catalog import load_catalog
    from bot.review.nlu_export import domain_intents, tests_yaml

    engine = _engine()
    if isinstance(engine, int):
        return engine
    ran_by = runner_name("bot export-tests")[:64]
    export = tests_yaml(reviews.confirmed(engine), domain_intents(), load_catalog().ids(), ran_by)
    _write(export.text, args.out)
    audit.log(
        engine, ran_by, audit.EXPORT_TESTS, args.out or "stdout", {"examples": export.examples}
    )
    print(f"{export.examples} test cases{' to ' + args.out if args.out else ''}.", file=sys.stderr)
    return 0


def export_eval(args: argparse.Namespace) -> int:
    from bot.core.catalog import load_catalog
    from bot.review.nlu_export import EARLIER_TURNS, eval_yaml

    engine = _engine()
    if isinstance(engine, int):
        return engine
    ran_by = runner_name("bot export-eval")[:64]

    def history(verdict: reviews.Verdict) -> list[str]:
        return reviews.earlier_user_texts(engine, verdict, EARLIER_TURNS)

    export = eval_yaml(reviews.confirmed(engine), load_catalog().ids(), history, ran_by)
    _write(export.text, args.out)
    audit.log(engine, ran_by, audit.EXPORT_TESTS, args.out or "stdout", {"cases": export.examples})
    print(
        f"{export.examples} answer-level cases{' to ' + args.out if args.out else ''}.",
        file=sys.stderr,
    )
    return 0


def add_review_commands(commands: argparse._SubParsersAction) -> None:
    """The review tool's subcommands of `bot`."""
    users_parser = commands.add_parser("users", help="staff accounts of the review tool")
    users_commands = users_parser.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser(
        "add", help="add a staff account; the password is asked for (or read from stdin)"
    )
    add.add_argument("name")
    add.add_argument("--role", choices=accounts.ROLES, required=True)
    users_commands.add_parser("list", help="list the staff accounts")
    remove = users_commands.add_parser("remove", help="remove an account and its sessions")
    remove.add_argument("name")
    users_parser.set_defaults(func=users)
    nlu = commands.add_parser(
        "export-nlu", help="confirmed NLU-inbox examples as Rasa NLU YAML (data/nlu format)"
    )
    nlu.add_argument("--out", help="file to write (default: standard output)")
    nlu.set_defaults(func=export_nlu)
    tests = commands.add_parser(
        "export-tests", help="confirmed NLU-inbox examples as NLU test cases, services marked"
    )
    tests.add_argument("--out", help="file to write (default: standard output)")
    tests.set_defaults(func=export_tests)
    cases = commands.add_parser(
        "export-eval",
        help="confirmed and corrected NLU-inbox examples as answer-level cases "
        "(tests/data/eval/reviewed.yml, run by make eval and make test)",
    )
    cases.add_argument("--out", help="file to write (default: standard output)")
    cases.set_defaults(func=export_eval)

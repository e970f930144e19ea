"""The `bot` command: run the whole bot, check the catalog, chat in the terminal, purge
old conversations.

Exit codes: 0 ok, 1 a server did not start, 2 bad catalog, model or configuration,
3 the tracker store database or the lock store cannot be reached.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.core.catalog import CatalogError, load_catalog
from bot.core.translations import missing_translations
from bot.ops.credentials import socketio_enabled
from bot.ops.endpoints import (
    LockStoreUnreachable,
    check_lock_store,
    create_database_if_missing,
    scaling_problem,
)
from bot.ops.readiness import NotReady, ReadinessCheck
from bot.ops.stack import Stack, StackError
from bot.paths import PROJECT_ROOT
from bot.review.cli import add_review_commands
from bot.review.content_commands import add_content_commands
from bot.settings import SettingsError, port, text
from bot.store.cases import case_retention_days
from bot.store.database import (
    TrackerDBUnreachable,
    check_tracker_db,
    describe_db_url,
    tracker_db_url,
)
from bot.store.retention import (
    DailyPurge,
    purge_cases,
    purge_older_than,
    retention_days,
    retention_decision,
    runner_name,
)

EXIT_TRACKER_DB_UNREACHABLE = 3


def _check(_: argparse.Namespace) -> int:
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"Catalog error: {exc}", file=sys.stderr)
        return 2
    kinds: dict[str, int] = {}
    for declaration in catalog.declarations.values():
        kinds[declaration.kind] = kinds.get(declaration.kind, 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    print(f"Catalog OK: {len(catalog.declarations)} services ({summary})")
    missing = missing_translations(catalog)
    if missing:
        # Not an error: an English answer gives these in Swedish, with a note saying so.
        print(f"Missing English texts ({len(missing)}), given in Swedish until written:")
        for line in missing:
            print(f"  {line}")
    else:
        print("English texts: complete")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _tracker_db_and_retention(
    create_database: bool = False, check_lock: bool = False
) -> tuple[str, int] | int:
    """The tracker database URL and retention period, or an exit code after a clear
    message on stderr (no traceback)."""
    url = tracker_db_url()
    try:
        days = retention_days()
        retention_decision()  # checked at start: a bad one stops here, not at the first purge
        case_retention_days()
        if create_database and create_database_if_missing(url):
            print(f"Created the tracker store database {url.rsplit('/', 1)[-1]}.")
        check_tracker_db(url)
        if check_lock:
            check_lock_store(os.environ.get("LOCK_STORE_URL"))
    except ValueError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    except TrackerDBUnreachable as exc:
        print(f"{exc}\nIs the database running, and is TRACKER_DB_URL right?", file=sys.stderr)
        return EXIT_TRACKER_DB_UNREACHABLE
    except LockStoreUnreachable as exc:
        print(f"{exc}\nIs Redis running, and is LOCK_STORE_URL right?", file=sys.stderr)
        return EXIT_TRACKER_DB_UNREACHABLE
    return url, days


def _purge(_: argparse.Namespace) -> int:
    checked = _tracker_db_and_retention()
    if isinstance(checked, int):
        return checked
    url, days = checked
    ran_by = runner_name("bot purge")
    print(purge_older_than(url, days, ran_by).summary(), "Logged in the purge_log table.")
    print(
        purge_cases(url, case_retention_days(), ran_by).summary(),
        "Logged in the case_purge_log table.",
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    if _check(args) != 0:
        return 2
    model = Path(args.model)
    if not model.exists():
        print(f"No trained model at {model}: run `make train` first.", file=sys.stderr)
        return 2
    problem = scaling_problem(args.rasa_replicas)
    if problem or args.rasa_replicas < 1 or args.action_servers < 1:
        print(f"Configuration error: {problem or 'at least one of each server'}", file=sys.stderr)
        return 2
    checked = _tracker_db_and_retention(create_database=args.create_database, check_lock=True)
    if isinstance(checked, int):
        return checked
    try:
        rasa_port = port(None, "RASA_PORT", 5005)
        action_port = port(None, "ACTION_PORT", 5055)
        web_port = port(None, "WEB_PORT", 8000)
        socketio = socketio_enabled()
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    stack = Stack(
        model=model,
        rasa_port=rasa_port,
        action_port=action_port,
        web_port=web_port,
        host=text(None, "BOT_HOST", "127.0.0.1"),
        rasa_replicas=args.rasa_replicas,
        action_servers=args.action_servers,
    )
    # Ctrl-C and `kill` both end in a graceful stop of every process (Stack.stop);
    # `kill -HUP` restarts every server, one at a time, with no error for anyone. SIGINT is
    # set too: started from a script in the background, a process inherits SIGINT ignored,
    # and Python then never turns it into KeyboardInterrupt.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)

    def _restart(signum: int, frame: object) -> None:
        stack.restart_requested = True

    signal.signal(signal.SIGHUP, _restart)
    try:
        stack.start()
    except StackError as exc:
        print(f"Could not start the bot: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        stack.stop()
        return 0
    scaled = (
        f" ({stack.rasa_replicas} Rasa replicas on ports "
        f"{', '.join(map(str, stack.rasa_replica_ports))} and {stack.action_servers} "
        f"action servers behind nginx; tracker store {describe_db_url(checked[0])}, "
        f"lock store {describe_db_url(os.environ.get('LOCK_STORE_URL', ''))})"
        if stack.balanced
        else ""
    )
    print(
        f"\nThe bot is running{scaled}. Chat widget (demo page): {stack.web_url}/ ; "
        f"Rasa: {stack.rasa_url}/webhooks/rest/webhook "
        f"{'(socket.io on the same port)' if socketio else '(socket.io off)'}; "
        f"action server: {stack.action_url}. Ctrl-C stops; "
        f"kill -HUP {os.getpid()} restarts every server, one at a time.\n",
        flush=True,
    )
    # Gallring: at start and every 24 hours, in this process, while the bot runs.
    purge = DailyPurge(*checked, ran_by=runner_name("bot run (daily purge)")).start()
    try:
        return stack.wait()
    finally:
        purge.stop()


def _ready(args: argparse.Namespace) -> int:
    """Exit 0 when each server named answers a real request (bot/ops/readiness.py)."""
    if not (args.rasa or args.actions or args.web):
        print("Name at least one server: --rasa, --actions or --web URL.", file=sys.stderr)
        return 2
    check = ReadinessCheck(
        rasa_url=args.rasa,
        action_url=args.actions,
        web_url=args.web,
        rasa_ports=(),
        action_ports=(),
        tracker_db_url=tracker_db_url(),
        timeout=args.timeout,
    )
    try:
        check.run()
    except NotReady as exc:
        print(f"Not ready: {exc}", file=sys.stderr)
        return 1
    return 0


def _shell(args: argparse.Namespace) -> int:
    try:
        action_port = port(None, "ACTION_PORT", 5055)
    except SettingsError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    stack = Stack(model=Path(args.model), action_port=action_port)
    try:
        stack.start_action_server()
        from bot.ops.endpoints import write_endpoints
        from bot.paths import VAR_DIR

        endpoints = write_endpoints(VAR_DIR / "endpoints-shell.yml", stack._env())
        return subprocess.call(
            [
                str(Path(sys.executable).parent / "rasa"),
                "shell",
                "--model",
                args.model,
                "--endpoints",
                str(endpoints),
            ],
            cwd=PROJECT_ROOT,
        )
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate the declaration catalog")
    check.set_defaults(func=_check)
    run = commands.add_parser("run", help="start the action server and the Rasa server")
    run.add_argument("--model", default="models/skelleftea.tar.gz")
    run.add_argument(
        "--rasa-replicas",
        type=int,
        default=1,
        metavar="N",
        help="Rasa server processes behind nginx (needs PostgreSQL + Redis)",
    )
    run.add_argument(
        "--action-servers", type=int, default=1, metavar="M", help="action servers behind nginx"
    )
    run.add_argument(
        "--create-database",
        action="store_true",
        help="create the PostgreSQL database of TRACKER_DB_URL if missing",
    )
    run.set_defaults(func=_run)
    ready = commands.add_parser(
        "ready",
        help="exit 0 when each server named answers a real request (a readiness probe): "
        "Rasa a question (its conversation deleted from TRACKER_DB_URL), the action server "
        "its list of actions, the web app /api/health",
    )
    ready.add_argument("--rasa", metavar="URL", help="e.g. http://127.0.0.1:5106")
    ready.add_argument("--actions", metavar="URL", help="e.g. http://127.0.0.1:5156")
    ready.add_argument("--web", metavar="URL", help="e.g. http://127.0.0.1:8000")
    ready.add_argument("--timeout", type=float, default=10, help="seconds (default 10)")
    ready.set_defaults(func=_ready)
    shell = commands.add_parser("shell", help="chat with the bot in the terminal")
    shell.add_argument("--model", default="models/skelleftea.tar.gz")
    shell.set_defaults(func=_shell)
    purge = commands.add_parser(
        "purge",
        help="delete conversations older than RETENTION_DAYS (default 90) and cases "
        "closed more than CASE_RETENTION_DAYS ago (default 365), except those on hold, "
        "and log it in purge_log and case_purge_log",
    )
    purge.set_defaults(func=_purge)
    add_review_commands(commands)  # users, export-nlu, export-tests: bot/review/cli.py
    add_content_commands(commands)  # content export/import/…: bot/review/content_commands.py
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

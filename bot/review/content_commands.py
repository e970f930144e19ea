"""`bot content …`: the published catalog (bot/store/content_catalog.py) on the command
line, so the municipality can keep its content under version control.

    bot content export DIR        the published version's files, byte for byte
    bot content import DIR        validate every file, publish them as a new version
    bot content history           every published version: who, when, how
    bot content diff OLD NEW      what changed between two versions (unified diff)
    bot content rollback VERSION  publish an earlier version's texts again

An invalid import publishes nothing and lists every problem, one line per file and field.
Imports and rollbacks go in the review tool's audit log (who: `--by`, else the login).
Exit codes: 0 done, 1 no such version, 2 refused (invalid, conflict), 3 no database.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.core.catalog import CatalogError, read_documents
from bot.paths import DEFAULT_MUNICIPALITY_FILE
from bot.review import audit
from bot.review.cli import EXIT_REFUSED, _engine
from bot.store import content_catalog as published

EXIT_NO_SUCH_VERSION = 1


def _who(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "cli"


def _database() -> Engine | int:
    engine = _engine()
    if isinstance(engine, int):
        return engine
    published.create_content_catalog_tables(engine)
    return engine


def export(args: argparse.Namespace) -> int:
    engine = _database()
    if isinstance(engine, int):
        return engine
    version = args.version or published.published_version(engine)
    texts = published.documents(engine, version) if version else {}
    if not texts:
        print("No such published version (nothing published yet?).", file=sys.stderr)
        return EXIT_NO_SUCH_VERSION
    written = published.write_documents(texts, Path(args.directory))
    print(f"Version {version}: {len(written)} files written to {args.directory}")
    return 0


def import_(args: argparse.Namespace) -> int:
    engine = _database()
    if isinstance(engine, int):
        return engine
    try:
        texts = read_documents(Path(args.directory))
        current = published.published_version(engine)
        if current is not None and published.documents(engine, current) == texts:
            print(f"No change: the files are version {current} as published.")
            return 0
        version, catalog = published.publish(
            engine, texts, _who(args), published.IMPORT, current, DEFAULT_MUNICIPALITY_FILE
        )
    except CatalogError as exc:
        print(f"Nothing published. Problems:\n{exc}", file=sys.stderr)
        return EXIT_REFUSED
    except published.PublishConflict as exc:
        print(f"Nothing published. {exc}", file=sys.stderr)
        return EXIT_REFUSED
    audit.log(
        engine, _who(args), audit.PUBLISH_CONTENT, f"version {version}", {"from": args.directory}
    )
    print(f"Published version {version}: {len(catalog.declarations)} services.")
    return 0


def show_history(args: argparse.Namespace) -> int:
    engine = _database()
    if isinstance(engine, int):
        return engine
    for info in published.history(engine):
        moment = datetime.fromtimestamp(info.published_at).strftime("%Y-%m-%d %H:%M")
        based = f" (on {info.based_on})" if info.based_on else ""
        print(f"{info.version:>5}  {moment}  {info.how:<8}  {info.published_by}{based}")
    return 0


def show_diff(args: argparse.Namespace) -> int:
    engine = _database()
    if isinstance(engine, int):
        return engine
    for version in (args.old, args.new):
        if published.version_info(engine, version) is None:
            print(f"No version {version}.", file=sys.stderr)
            return EXIT_NO_SUCH_VERSION
    sys.stdout.write(published.diff(engine, args.old, args.new))
    return 0


def roll_back(args: argparse.Namespace) -> int:
    engine = _database()
    if isinstance(engine, int):
        return engine
    current = published.published_version(engine)
    try:
        version = published.rollback(engine, args.version, _who(args), current)
    except KeyError:
        print(f"No version {args.version}.", file=sys.stderr)
        return EXIT_NO_SUCH_VERSION
    except (CatalogError, published.PublishConflict) as exc:
        print(f"Nothing published. {exc}", file=sys.stderr)
        return EXIT_REFUSED
    audit.log(
        engine, _who(args), audit.ROLLBACK_CONTENT, f"version {version}", {"to": args.version}
    )
    print(f"Published version {version}: the texts of version {args.version}.")
    return 0


def add_content_commands(commands: argparse._SubParsersAction) -> None:
    content = commands.add_parser(
        "content", help="the published catalog: export, import, history, diff, rollback"
    )
    sub = content.add_subparsers(dest="content_command", required=True)
    out = sub.add_parser("export", help="write the published declaration files to DIR")
    out.add_argument("directory")
    out.add_argument("--version", type=int, help="an earlier version (default: the published)")
    out.set_defaults(func=export)
    into = sub.add_parser("import", help="validate DIR's *.yml and publish them as a new version")
    into.add_argument("directory")
    into.add_argument("--by", help="who publishes, for the audit log (default: your login)")
    into.set_defaults(func=import_)
    sub.add_parser("history", help="every published version").set_defaults(func=show_history)
    changes = sub.add_parser("diff", help="what changed between two versions")
    changes.add_argument("old", type=int)
    changes.add_argument("new", type=int)
    changes.set_defaults(func=show_diff)
    back = sub.add_parser("rollback", help="publish an earlier version's texts again")
    back.add_argument("version", type=int)
    back.add_argument("--by", help="who rolls back, for the audit log (default: your login)")
    back.set_defaults(func=roll_back)

"""`make bench-review`: the review tool (/granska) at 100,000 conversations.

Generates synthetic conversations (bench/synthetic_conversations.py: the real training
sentences and responses, in Rasa's row format) and bulk-inserts them into a SQLite
tracker store, var/bench_review.db, and -- when 127.0.0.1:5432 answers -- copies the same
rows with COPY into a PostgreSQL schema `bench_review_...` created for the run and dropped
afterwards (bench/harness.postgres_schema). For each database it starts the web app
(`python -m bot.web`, the real server) on a free port, logs in as a reviewer and times
the list page (plain, paged and with each filter), a transcript, the NLU inbox and the
dashboard over HTTP: first without our index on `events` (Rasa's own sender_id index
only), then with it, then the dashboard again with counted days cached. Prints p50/p95
per page.

    python -m bench.review [--conversations 100000] [--requests 30]
                               [--requests-without-index 5] [--no-postgres] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import logging
import os
import re
import subprocess
import sys
import time
import urllib.parse
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.harness import percentile, postgres_problem, postgres_schema
from bench.synthetic_conversations import FeedbackRow, Generator, Row
from bot.names import EVENT_USER
from bot.ops.stack import VENV_BIN, free_port, wait_for_http
from bot.paths import VAR_DIR

logger = logging.getLogger(__name__)

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_SCHEMA_PREFIX = "bench_review"
SQLITE_PATH = VAR_DIR / "bench_review.db"
BENCH_USER = "bench.reviewer"
BENCH_PASSWORD = "bench-password-not-secret"
INSERT_BATCH = 20_000


def create_rasa_tables(engine: sa.engine.Engine) -> None:
    """The `events` table exactly as Rasa 3.6 creates it, and the widget's `feedback`."""
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.store.feedback import metadata as feedback_metadata

    SQLTrackerStore.Base.metadata.create_all(engine)
    feedback_metadata.create_all(engine)


def _csv(rows: list[tuple]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    return buffer


def fill(engine: sa.engine.Engine, conversations: int, seed: int = 42) -> tuple[int, float]:
    """Insert `conversations` synthetic conversations; returns (events, seconds)."""
    from bot.review.tables import events
    from bot.store.feedback import feedback

    started = time.perf_counter()
    generator = Generator(seed=seed)
    total = 0
    pending: list[Row] = []
    ratings: list[FeedbackRow] = []
    postgres = engine.dialect.name == "postgresql"

    def flush() -> None:
        nonlocal total
        if not pending:
            return
        if postgres:
            raw = engine.raw_connection()
            try:
                with raw.cursor() as cursor:
                    cursor.copy_expert(
                        "COPY events (sender_id, type_name, timestamp, intent_name, "
                        "action_name, data) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
                        _csv(
                            [
                                (
                                    r.sender_id,
                                    r.type_name,
                                    r.timestamp,
                                    r.intent_name,
                                    r.action_name,
                                    r.data,
                                )
                                for r in pending
                            ]
                        ),
                    )
                raw.commit()
            finally:
                raw.close()
        else:
            with engine.begin() as connection:
                connection.execute(events.insert(), [r.as_dict() for r in pending])
        total += len(pending)
        pending.clear()

    for n, (rows, rated) in enumerate(generator.conversations(conversations), start=1):
        pending.extend(rows)
        ratings.extend(rated)
        if len(pending) >= INSERT_BATCH:
            flush()
        if n % 20_000 == 0:
            logger.info(
                "  %d conversations, %d events, %.0f s",
                n,
                total + len(pending),
                time.perf_counter() - started,
            )
    flush()
    with engine.begin() as connection:
        connection.execute(feedback.insert(), [r.__dict__ for r in ratings])
    if postgres:  # what autovacuum does soon after a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE events"))
    # SQLite: no ANALYZE, like a tracker store Rasa has filled; plans must not need stats.
    return total, time.perf_counter() - started


def copy_events(source: sa.engine.Engine, target: sa.engine.Engine) -> tuple[int, float]:
    """Copy `events` and `feedback` from one database into PostgreSQL with COPY (the
    same conversations in both, without generating them twice)."""
    from bot.review.tables import events
    from bot.store.feedback import feedback

    started = time.perf_counter()
    total = 0
    columns = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
    with source.connect() as reading:
        result = reading.execution_options(stream_results=True).execute(
            sa.select(*(events.c[c] for c in columns)).order_by(events.c.id)
        )
        while True:
            rows = result.fetchmany(INSERT_BATCH)
            if not rows:
                break
            raw = target.raw_connection()
            try:
                with raw.cursor() as cursor:
                    cursor.copy_expert(
                        f"COPY events ({', '.join(columns)}) FROM STDIN "
                        "WITH (FORMAT csv, NULL '\\N')",
                        _csv([tuple(r) for r in rows]),
                    )
                raw.commit()
            finally:
                raw.close()
            total += len(rows)
        ratings = [
            dict(r._mapping)
            for r in reading.execute(sa.select(*(c for c in feedback.c if c.name != "id")))
        ]
    with target.begin() as writing:
        writing.execute(feedback.insert(), ratings)
    with target.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(sa.text("VACUUM ANALYZE events"))
    return total, time.perf_counter() - started


# --- HTTP client with the login session ------------------------------------------------------


@dataclass
class Client:
    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: dict[str, str] | None = None
    ) -> tuple[int, str, float]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        payload = None
        if body is not None:
            payload = urllib.parse.urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text, elapsed

    def login(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/granska/logga-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if status != 200 or not token:
            raise RuntimeError(f"login page: HTTP {status}")
        status, _, _ = self.request(
            "POST",
            "/granska/logga-in",
            {"csrf_token": token.group(1), "username": username, "password": password},
        )
        if status != 303:
            raise RuntimeError(f"login failed: HTTP {status}")


def pages(sender: str, first_day: str, last_day: str) -> dict[str, str]:
    return {
        "list": "/granska/",
        "list page 5": "/granska/?sida=5",
        "list last day": f"/granska/?fran={last_day}&till={last_day}",
        "list intent": "/granska/?intent=ask_contact",
        "list service": "/granska/?tjanst=bygglov",
        "list rare service": "/granska/?tjanst=nybyggnadskarta",
        "list confidence<0.6": "/granska/?under=0.6",
        "list fallback": "/granska/?fallback=ja",
        "list handoff": "/granska/?handoff=ja",
        "list thumbs down": "/granska/?tumme_ner=ja",
        "list not reviewed": "/granska/?granskad=nej",
        "list tag (no such tag)": "/granska/?tagg=finns-inte",
        "list reviewed (none yet)": "/granska/?granskad=ja",
        "list search": "/granska/?sok=sn%C3%B6r%C3%B6jning",
        "list search, no hits": "/granska/?sok=finns%20inte%20alls",
        "list combined": f"/granska/?fran={first_day}&till={last_day}&tjanst=bygglov"
        "&under=0.9&granskad=nej",
        "transcript": f"/granska/samtal/{sender}",
        "nlu inbox": "/granska/nlu",
        "dashboard": "/granska/oversikt",
        "dashboard 7 days": f"/granska/oversikt?fran={first_day}&till={last_day}",
    }


def time_pages(
    client: Client, targets: dict[str, str], requests: int
) -> dict[str, tuple[float, float, int]]:
    """p50 and p95 in ms of `requests` GETs of each page (after one untimed GET)."""
    results = {}
    for name, path in targets.items():
        status, _, _ = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}")
        timings = []
        for _ in range(requests):
            status, _, elapsed = client.request("GET", path)
            if status != 200:
                raise RuntimeError(f"{path}: HTTP {status}")
            timings.append(elapsed * 1000)
        results[name] = (percentile(timings, 50), percentile(timings, 95), requests)
        logger.info("  %-24s p50 %7.1f ms  p95 %7.1f ms", name, *results[name][:2])
    return results


@dataclass
class Server:
    """`python -m bot.web` on a free port with its own settings, until the block ends."""

    db_url: str
    create_indexes: bool
    log_dir: Path
    cache_seconds: int = 0
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            "TRACKER_DB_URL": self.db_url,
            "WEB_PORT": str(self.port),
            "WEB_HOST": "127.0.0.1",
            "REVIEW_CREATE_INDEXES": "1" if self.create_indexes else "0",
            "REVIEW_DASHBOARD_CACHE_SECONDS": str(self.cache_seconds),
        }
        log = self.log_dir / f"web-{self.port}.log"
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [str(VENV_BIN / "python"), "-m", "bot.web"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_http(
                f"http://127.0.0.1:{self.port}/api/health", self.process, 600, "web app", log
            )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def sample_ids(engine: sa.engine.Engine) -> tuple[str, str, str]:
    """The newest conversation, and the first and last of its 7 days as ISO dates."""
    from datetime import timedelta

    from bot.review.filters import swedish_datetime
    from bot.review.tables import events

    with engine.connect() as connection:
        row = connection.execute(
            sa.select(events.c.sender_id, events.c.timestamp)
            .where(events.c.type_name == EVENT_USER)
            .order_by(events.c.timestamp.desc())
            .limit(1)
        ).one()
    last = swedish_datetime(row.timestamp).date()
    return row.sender_id, (last - timedelta(days=6)).isoformat(), last.isoformat()


def _analyze(engine: sa.engine.Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE events"))


def bench_database(
    name: str, db_url: str, requests: int, requests_before: int, log_dir: Path
) -> dict[str, dict]:
    """Time every page without, then with, our indexes on `events`."""
    from bot.review import accounts
    from bot.review.tables import (
        create_tables,
        drop_event_indexes,
        engine_for,
        ensure_event_indexes,
    )

    engine = engine_for(db_url)
    report: dict[str, dict] = {}
    create_tables(engine)
    if accounts.get_user(engine, BENCH_USER) is None:
        accounts.add_user(engine, BENCH_USER, accounts.REVIEWER, BENCH_PASSWORD)
    sender, first_day, last_day = sample_ids(engine)
    targets = pages(sender, first_day, last_day)

    drop_event_indexes(engine)
    _analyze(engine)
    with Server(db_url, create_indexes=False, log_dir=log_dir) as server:
        client = Client("127.0.0.1", server.port)
        client.login(BENCH_USER, BENCH_PASSWORD)
        logger.info(
            "%s: timing without our indexes (%d requests a page) ...", name, requests_before
        )
        report["without our indexes"] = time_pages(client, targets, requests_before)

    started = time.perf_counter()
    ensure_event_indexes(engine)
    _analyze(engine)
    report["index build"] = {"seconds": time.perf_counter() - started}
    with Server(db_url, create_indexes=True, log_dir=log_dir) as server:
        client = Client("127.0.0.1", server.port)
        client.login(BENCH_USER, BENCH_PASSWORD)
        logger.info("%s: timing with our indexes (%d requests a page) ...", name, requests)
        report["with our indexes"] = time_pages(client, targets, requests)
    with Server(db_url, create_indexes=True, log_dir=log_dir, cache_seconds=3600) as server:
        client = Client("127.0.0.1", server.port)
        client.login(BENCH_USER, BENCH_PASSWORD)
        dashboards = {k: v for k, v in targets.items() if k.startswith("dashboard")}
        warm = time_pages(client, dashboards, requests)
        report["with our indexes"].update({f"{k}, days cached": v for k, v in warm.items()})
    return report


def print_report(title: str, report: dict[str, dict]) -> None:
    print(f"\n== {title} ==")
    if "fill" in report:
        print(f"filled {report['fill']['events']:,} events in {report['fill']['seconds']:.0f} s")
    if "index build" in report:
        print(f"our index on events built in {report['index build']['seconds']:.1f} s")
    before = report.get("without our indexes", {})
    after = report.get("with our indexes", {})
    nan = (float("nan"),) * 3
    n_before = next(iter(before.values()), nan)[2]
    n_after = next(iter(after.values()), nan)[2]
    print(
        f"{'page':34} {'without index':>17} {'with index':>17}   (ms; "
        f"{n_before} / {n_after} requests a page)"
    )
    print(f"{'':34} {'p50':>8} {'p95':>8} {'p50':>8} {'p95':>8}")
    for page in after or before:
        b, a = before.get(page, nan), after.get(page, nan)
        print(f"{page:34} {b[0]:8.1f} {b[1]:8.1f} {a[0]:8.1f} {a[1]:8.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument(
        "--requests",
        type=int,
        default=30,
        help="timed requests a page with our indexes (default 30)",
    )
    parser.add_argument(
        "--requests-without-index",
        type=int,
        default=5,
        help="timed requests a page without them (slow; default 5)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--keep", action="store_true", help="keep var/bench_review.db and reuse it next time"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    from bot.review.tables import engine_for

    log_dir = VAR_DIR / "bench-review"
    log_dir.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    sqlite_url = f"sqlite:///{SQLITE_PATH}"
    reports: list[tuple[str, dict]] = []
    postgres = not args.no_postgres and postgres_problem(PG_ADMIN_URL) is None
    if not args.no_postgres and not postgres:
        print(f"PostgreSQL: skipped, {PG_ADMIN_URL} does not answer.")
    with ExitStack() as cleanup:
        if not args.keep:
            cleanup.callback(SQLITE_PATH.unlink, missing_ok=True)
        cleanup.callback(lambda: engine_for(sqlite_url).dispose())
        sqlite_report: dict[str, dict] = {}
        if not (args.keep and SQLITE_PATH.exists()):
            SQLITE_PATH.unlink(missing_ok=True)
            create_rasa_tables(engine_for(sqlite_url))
            logger.info("SQLite: generating %d conversations ...", args.conversations)
            count, seconds = fill(engine_for(sqlite_url), args.conversations)
            sqlite_report["fill"] = {"events": count, "seconds": seconds}
        pg_report: dict[str, dict] = {}
        if postgres:
            pg_url = cleanup.enter_context(postgres_schema(PG_ADMIN_URL, PG_SCHEMA_PREFIX))
            cleanup.callback(lambda: engine_for(pg_url).dispose())
            create_rasa_tables(engine_for(pg_url))
            logger.info("PostgreSQL: copying the same conversations (COPY) ...")
            count, seconds = copy_events(engine_for(sqlite_url), engine_for(pg_url))
            pg_report["fill"] = {"events": count, "seconds": seconds}
        sqlite_report.update(
            bench_database(
                "SQLite", sqlite_url, args.requests, args.requests_without_index, log_dir
            )
        )
        reports.append((f"SQLite, {args.conversations:,} conversations", sqlite_report))
        if postgres:
            pg_report.update(
                bench_database(
                    "PostgreSQL", pg_url, args.requests, args.requests_without_index, log_dir
                )
            )
            reports.append((f"PostgreSQL, {args.conversations:,} conversations", pg_report))
    for title, report in reports:
        print_report(title, report)
    print(f"\n(total {time.perf_counter() - began:.0f} s; server logs in {log_dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

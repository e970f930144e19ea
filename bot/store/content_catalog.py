"""The published catalog in the tracker database: every published version of the
declaration files, kept whole, so every process on every machine answers from the same
texts and any version can come back.

| table             | one row per                                                        |
|-------------------|--------------------------------------------------------------------|
| content_versions  | published version: number, who, when, how (seed, import,           |
|                   | rollback), the version it replaced, and every declaration file's   |
|                   | text (JSON: file name → YAML text, exactly as written)             |

A fresh database is seeded from data/declarations/ (version 1). A version is published
only when its texts pass the catalog's own validation (`catalog_from_documents`), and only
on top of the version its author saw: otherwise `PublishConflict` names who published in
between. Rows are never changed; a rollback publishes an old version's texts again as a
new version. Processes follow the highest version number (`PublishedFromDatabase`, the
core's `PublishedCatalog`), one indexed `max()` per check interval.
"""

from __future__ import annotations

import difflib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot.core.catalog import (
    Catalog,
    CatalogStore,
    catalog_from_documents,
    read_documents,
)
from bot.paths import DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE
from bot.store.content_reviews import ConfirmedReviewDates
from bot.store.conversations import engine_for

logger = logging.getLogger(__name__)

SEED = "seed"
IMPORT = "import"
ROLLBACK = "rollback"
SYSTEM_USER = "system"

metadata = sa.MetaData()

content_versions = sa.Table(
    "content_versions",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("published_by", sa.String(64), nullable=False),
    sa.Column("published_at", sa.Float, nullable=False),
    sa.Column("how", sa.String(16), nullable=False),
    sa.Column("based_on", sa.Integer),
    sa.Column("documents", sa.Text, nullable=False),
)


class PublishConflict(Exception):
    """Someone published after the version this change was based on; the message names
    who and when, in Swedish (staff read it)."""

    def __init__(self, current: VersionInfo) -> None:
        moment = time.strftime("%Y-%m-%d %H:%M", time.localtime(current.published_at))
        super().__init__(
            f"Innehållet har ändrats av {current.published_by} ({moment}, version "
            f"{current.version}) sedan du började. Ingenting av ditt har sparats över "
            "deras ändring: läs in den nya versionen och gör om din ändring."
        )
        self.current = current


@dataclass(frozen=True)
class VersionInfo:
    version: int
    published_by: str
    published_at: float
    how: str
    based_on: int | None


def create_content_catalog_tables(engine: Engine) -> None:
    metadata.create_all(engine, checkfirst=True)


def _missing_table(exc: Exception) -> bool:
    return "content_versions" in str(exc)


def published_version(engine: Engine) -> int | None:
    """The highest published version, or None (none yet, or the table is not made)."""
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.max(content_versions.c.version))).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if _missing_table(exc):
            return None
        raise


def _info(row: sa.engine.Row) -> VersionInfo:
    return VersionInfo(row.version, row.published_by, row.published_at, row.how, row.based_on)


def version_info(engine: Engine, version: int) -> VersionInfo | None:
    columns = [c for c in content_versions.c if c.name != "documents"]
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(*columns).where(content_versions.c.version == version)
        ).first()
    return None if row is None else _info(row)


def history(engine: Engine) -> list[VersionInfo]:
    """Every published version, newest first (without the texts)."""
    columns = [c for c in content_versions.c if c.name != "documents"]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(*columns).order_by(content_versions.c.version.desc())
        ).all()
    return [_info(r) for r in rows]


def documents(engine: Engine, version: int | None = None) -> dict[str, str]:
    """The declaration texts of `version` (default: the published one), by file name;
    empty when there is no such version."""
    query = sa.select(content_versions.c.documents)
    if version is None:
        query = query.order_by(content_versions.c.version.desc()).limit(1)
    else:
        query = query.where(content_versions.c.version == version)
    with engine.connect() as connection:
        text = connection.execute(query).scalar()
    return {} if text is None else dict(json.loads(text))


def _insert(
    connection: Connection,
    version: int,
    texts: dict[str, str],
    username: str,
    how: str,
    based_on: int | None,
    now: float,
) -> None:
    connection.execute(
        content_versions.insert().values(
            version=version,
            published_by=username[:64],
            published_at=now,
            how=how,
            based_on=based_on,
            documents=json.dumps(texts, ensure_ascii=False, sort_keys=True),
        )
    )


def publish(
    engine: Engine,
    texts: dict[str, str],
    username: str,
    how: str,
    based_on: int | None,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
    now: float | None = None,
    validated: Catalog | None = None,
) -> tuple[int, Catalog]:
    """Publish `texts` as the next version on top of `based_on` (the version the author
    saw). CatalogError (every problem, per file and field) and nothing published when a
    text is invalid; PublishConflict when another version came first. `validated`: the
    catalog of exactly these texts, when the caller has already loaded them."""
    catalog = validated or catalog_from_documents(texts, municipality_file)
    create_content_catalog_tables(engine)
    current = published_version(engine)
    if current != based_on:
        raise PublishConflict(_must(version_info(engine, current)) if current else _nobody())
    version = (current or 0) + 1
    try:
        with engine.begin() as connection:
            _insert(
                connection,
                version,
                texts,
                username,
                how,
                based_on,
                time.time() if now is None else now,
            )
    except IntegrityError:  # the same number was published by someone else just now
        raise PublishConflict(_must(version_info(engine, version))) from None
    return version, catalog


def _must(info: VersionInfo | None) -> VersionInfo:
    if info is None:
        raise RuntimeError("the published version vanished")
    return info


def _nobody() -> VersionInfo:
    return VersionInfo(0, SYSTEM_USER, time.time(), SEED, None)


def seed_from_folder(
    engine: Engine,
    directory: Path = DEFAULT_CATALOG_DIR,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
    store: CatalogStore | None = None,
) -> int | None:
    """On a database with no published catalog, publish the folder's files as version 1;
    returns that version, or None when one was already there (or another process seeded
    it at the same moment). `store`: one that loaded this folder at start, whose texts
    and catalog are used as they are (no second parse)."""
    create_content_catalog_tables(engine)
    if published_version(engine) is not None:
        return None
    texts, validated = read_documents(directory), None
    if store is not None and store.folder_documents == texts:
        validated = store.folder_catalog
    try:
        version, _ = publish(
            engine, texts, SYSTEM_USER, SEED, None, municipality_file, validated=validated
        )
    except PublishConflict:
        return None
    logger.info("Published catalog seeded from %s (version %d)", directory, version)
    return version


def rollback(
    engine: Engine,
    to_version: int,
    username: str,
    based_on: int | None,
    municipality_file: Path = DEFAULT_MUNICIPALITY_FILE,
) -> int:
    """Publish the texts of `to_version` again, as a new version. KeyError if there is
    no such version."""
    texts = documents(engine, to_version)
    if not texts:
        raise KeyError(to_version)
    version, _ = publish(engine, texts, username, ROLLBACK, based_on, municipality_file)
    return version


def diff(engine: Engine, old: int, new: int) -> str:
    """What changed from version `old` to `new`, as a unified diff of the files."""
    before, after = documents(engine, old), documents(engine, new)
    lines: list[str] = []
    for name in sorted(set(before) | set(after)):
        lines.extend(
            difflib.unified_diff(
                before.get(name, "").splitlines(keepends=True),
                after.get(name, "").splitlines(keepends=True),
                fromfile=f"version {old}/{name}" if name in before else "/dev/null",
                tofile=f"version {new}/{name}" if name in after else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def write_documents(texts: dict[str, str], directory: Path) -> list[Path]:
    """Write each text to its file in `directory`, byte for byte as published."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in sorted(texts.items()):
        path = directory / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


class PublishedFromDatabase:
    """The core's `PublishedCatalog` read from the tracker database at `db_url`. Connects
    on first use; a SQLite file that does not exist yet has nothing published."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self._engine: Engine | None = None

    def _database(self) -> Engine | None:
        if self._engine is None:
            if self.db_url.startswith("sqlite:///"):
                if not Path(self.db_url.split("sqlite:///", 1)[1]).exists():
                    return None
            self._engine = engine_for(self.db_url)
        return self._engine

    def version(self) -> int | None:
        engine = self._database()
        return None if engine is None else published_version(engine)

    def documents(self) -> dict[str, str]:
        engine = self._database()
        return {} if engine is None else documents(engine)


def follow_database(store: CatalogStore, db_url: str) -> None:
    """Make `store` answer from the catalog published in the database at `db_url` (the
    folder until something is published) with the review dates confirmed there."""
    store.follow_published(PublishedFromDatabase(db_url))
    store.follow(ConfirmedReviewDates(db_url))

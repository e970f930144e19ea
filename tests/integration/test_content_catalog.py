"""The published catalog in the tracker database (SQLite; PostgreSQL when it answers):
seeded from data/declarations/ on a fresh database, `bot content export` writes it back
byte for byte, `bot content import` validates every file and publishes nothing when one
is wrong, a publish reaches a process that follows the database (as the action servers
do) on its next check without retraining, rollback brings an old text back, every
version is kept with who, when and a readable diff, and conflicting publishes are refused
naming who came first."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

import pytest

from actions.service_answers import ActionAnswerService
from bot.core import catalog as catalog_module
from bot.core.catalog import CatalogError, CatalogStore, read_documents
from bot.ops.cli import main
from bot.paths import DEFAULT_CATALOG_DIR
from bot.review import audit
from bot.review.tables import create_tables, engine_for
from bot.store import content_catalog as published
from bot.web import WebConfig, create_app
from tests.helpers.trackers import make_tracker, render, run_action, service_entity, user_message

# A promise with a time, which every answer about bygglov's times quotes whole.
OLD = (
    "Startbesked för en eldstad får du inom högst 2 veckor efter att alla handlingar har kommit in."
)
NEW = "Startbesked för en eldstad får du inom högst 2 veckor, också under semestern."


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, monkeypatch) -> str:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setenv("TRACKER_DB_URL", url)
    engine = engine_for(url)
    create_tables(engine)
    published.seed_from_folder(engine)
    return url


def run(monkeypatch, argv: list[str]) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return main(argv)


def edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    folder = tmp_path / "edit"
    if not folder.exists():
        shutil.copytree(DEFAULT_CATALOG_DIR, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_seeded_from_the_folder_once_and_exported_byte_for_byte(db_url, tmp_path, monkeypatch):
    engine = engine_for(db_url)
    assert published.published_version(engine) == 1
    assert published.seed_from_folder(engine) is None  # seeded once only

    assert run(monkeypatch, ["content", "export", str(tmp_path / "out")]) == 0
    for path in DEFAULT_CATALOG_DIR.glob("*.yml"):
        assert (tmp_path / "out" / path.name).read_bytes() == path.read_bytes(), path.name
    assert run(monkeypatch, ["content", "import", str(tmp_path / "out")]) == 0
    assert published.published_version(engine) == 1  # nothing changed: nothing published


def test_an_invalid_import_publishes_nothing_and_names_every_file_and_field(
    db_url, tmp_path, monkeypatch, capsys
):
    folder = edited(tmp_path, "bygglov.yml", OLD, NEW)
    edited(tmp_path, "snorojning.yml", 'kind: "servicenivå"', 'kind: "löfte"')
    edited(tmp_path, "bibliotek.yml", "source_url: ", "source_url: ftp://x\nold_url: ")

    assert run(monkeypatch, ["content", "import", str(folder)]) == 2

    error = capsys.readouterr().err
    assert "Nothing published" in error
    assert "snorojning.yml: field 'kind'" in error
    assert "bibliotek.yml: field 'source_url'" in error and "old_url" in error
    assert published.published_version(engine_for(db_url)) == 1


def test_publish_reaches_the_bot_without_retraining_and_rollback_restores(
    db_url, tmp_path, monkeypatch, capsys, domain
):
    # The action server's catalog, following the database as actions/__init__.py does.
    store = CatalogStore(check_interval=0)
    published.follow_database(store, db_url)
    monkeypatch.setattr(catalog_module, "_default_store", store)
    tracker = make_tracker(
        user_message("hur lång tid tar bygglov", "ask_promises", [service_entity("bygglov")])
    )

    def answer() -> str:
        _, messages = run_action(ActionAnswerService(), tracker, domain)
        return "\n".join(render(m, domain) for m in messages)

    assert OLD in answer() and NEW not in answer()
    folder = edited(tmp_path, "bygglov.yml", OLD, NEW)
    assert run(monkeypatch, ["content", "import", str(folder), "--by", "anna"]) == 0
    assert NEW in answer() and OLD not in answer()
    assert store.version == 2

    assert run(monkeypatch, ["content", "rollback", "1", "--by", "adam"]) == 0
    assert OLD in answer() and NEW not in answer()
    assert store.version == 3

    engine = engine_for(db_url)
    assert [(v.version, v.how, v.published_by, v.based_on) for v in published.history(engine)] == [
        (3, published.ROLLBACK, "adam", 2),
        (2, published.IMPORT, "anna", 1),
        (1, published.SEED, published.SYSTEM_USER, None),
    ]
    change = published.diff(engine, 1, 2)
    assert f'-    text: "{OLD}"' in change and f'+    text: "{NEW}"' in change
    assert "version 2/bygglov.yml" in change and "snorojning" not in change
    assert published.documents(engine, 3) == published.documents(engine, 1)
    entries, _ = audit.entries(engine)
    assert [(e.username, e.action, e.target) for e in entries[:2]] == [
        ("adam", "rollback_content", "version 3"),
        ("anna", "publish_content", "version 2"),
    ]
    capsys.readouterr()
    assert run(monkeypatch, ["content", "history"]) == 0
    assert "rollback" in capsys.readouterr().out


def test_a_publish_on_top_of_an_old_version_is_refused_naming_who_came_first(db_url):
    engine = engine_for(db_url)
    texts = read_documents(DEFAULT_CATALOG_DIR)
    changed = dict(texts, **{"bygglov.yml": texts["bygglov.yml"].replace(OLD, NEW)})
    published.publish(engine, changed, "anna", published.IMPORT, based_on=1)

    with pytest.raises(published.PublishConflict, match="ändrats av anna"):
        published.publish(engine, texts, "bertil", published.IMPORT, based_on=1)
    assert published.published_version(engine) == 2
    assert published.documents(engine)["bygglov.yml"] == changed["bygglov.yml"]  # kept


def test_invalid_texts_raise_with_every_problem_and_publish_nothing(db_url):
    engine = engine_for(db_url)
    texts = read_documents(DEFAULT_CATALOG_DIR)
    texts["bygglov.yml"] = texts["bygglov.yml"].replace("id: bygglov", "id: annat", 1)
    texts["ny tjänst.yml"] = "id: x"
    with pytest.raises(CatalogError) as raised:
        published.publish(engine, texts, "anna", published.IMPORT, based_on=1)
    message = str(raised.value)
    assert "bygglov.yml: field 'id'" in message and "ny tjänst.yml" in message
    assert published.published_version(engine) == 1


def test_the_open_data_shows_a_publish_on_the_next_request(db_url, tmp_path):
    app = create_app(WebConfig(tracker_db_url=db_url), features=("open_data",))
    app.ctx.catalog.check_interval = 0
    _, before = app.test_client.get("/api/oppna-data/serviceforklaringar.json")
    assert OLD in before.text

    engine = engine_for(db_url)
    texts = published.documents(engine)
    texts["bygglov.yml"] = texts["bygglov.yml"].replace(OLD, NEW)
    published.publish(engine, texts, "anna", published.IMPORT, based_on=1)

    _, after = app.test_client.get("/api/oppna-data/serviceforklaringar.json")
    assert NEW in after.text and OLD not in after.text


def test_a_published_synonym_reaches_the_served_nlu_matcher_without_retraining(db_url):
    from rasa.shared.nlu.training_data.message import Message

    from bot.adapters.nlu import ServiceEntityExtractor, ServiceMaskingTokenizer

    config = ServiceEntityExtractor.get_default_config()
    served = ServiceEntityExtractor.load(config, None, None, None)  # as Rasa serves a model
    training = ServiceEntityExtractor.create(config, None, None, None)  # as Rasa trains
    tokenizer = ServiceMaskingTokenizer.load(
        ServiceMaskingTokenizer.get_default_config(), None, None, None
    )

    def services(extractor, text: str) -> list[str]:
        message = Message(data={"text": text})
        extractor.process([message])
        return [e["value"] for e in message.get("entities", []) if e["entity"] == "service"]

    question = "hur lång tid tar ett glasögonlov"
    assert services(served, question) == []
    engine = engine_for(db_url)
    texts = published.documents(engine)
    texts["bygglov.yml"] = texts["bygglov.yml"].replace(
        'synonyms:\n  - "bygglov"\n', 'synonyms:\n  - "bygglov"\n  - "glasögonlov"\n', 1
    )
    assert "glasögonlov" in texts["bygglov.yml"]
    published.publish(engine, texts, "anna", published.IMPORT, based_on=1)

    served._matcher._store.check_interval = 0
    tokenizer._matcher._store.check_interval = 0
    assert services(served, question) == ["bygglov"]
    assert services(training, question) == []  # training reads the files
    tokens = [t.text for t in tokenizer.tokenize(Message(data={"text": question}), "text")]
    assert tokens[-1] == "tjänstenamn"

"""Drafts of a declaration with four eyes (bot/store/content_drafts.py) on SQLite and
PostgreSQL: a draft is saved only when the whole catalog with it passes the loader's
validation; its author cannot approve it; approval publishes a new version (kept with
who and how) that a process following the database answers from without retraining; two
editors of one declaration, or a publish in between, are refused naming who; rejected and
discarded drafts leave the published catalog alone; a new name is marked as needing
training."""

from __future__ import annotations

import pytest
import yaml

from bot.core.catalog import CatalogError, CatalogStore
from bot.review.tables import create_tables, engine_for
from bot.store import content_catalog as published
from bot.store import content_drafts as drafts

OLD = "Personalen bemöter dig på ett bra sätt."
NEW = "Personalen bemöter dig alltid väl, också på telefon."


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'tracker.db'}"
    engine = engine_for(url)
    create_tables(engine)
    published.seed_from_folder(engine)
    drafts.create_content_draft_tables(engine)
    engine.url_text = url  # type: ignore[attr-defined]
    return engine


def bygglov(engine, old: str = OLD, new: str = NEW) -> str:
    text = published.documents(engine)["bygglov.yml"]
    assert old in text
    return text.replace(old, new)


def test_a_draft_is_approved_by_another_and_reaches_a_following_process(engine):
    store = CatalogStore(check_interval=0)
    published.follow_database(store, engine.url_text)
    assert store.get().declarations["bygglov"].promises[0].text == OLD

    draft = drafts.save(engine, "bygglov", bygglov(engine), "erik", 1, None)
    assert (draft.state, draft.revision, draft.drafted_by, draft.based_on) == (
        "draft",
        1,
        "erik",
        1,
    )
    assert not draft.needs_training
    assert drafts.open_drafts(engine)["bygglov"].id == draft.id
    with pytest.raises(drafts.NotWaiting):
        drafts.approve(engine, draft.id, "adam", draft.revision)
    waiting = drafts.submit(engine, draft.id, "erik", draft.revision)
    assert waiting.state == drafts.WAITING
    with pytest.raises(drafts.OwnDraft):
        drafts.approve(engine, draft.id, "erik", waiting.revision)
    assert published.published_version(engine) == 1
    assert store.get().declarations["bygglov"].promises[0].text == OLD  # not yet

    version = drafts.approve(engine, draft.id, "adam", waiting.revision)

    assert version == 2
    info = published.version_info(engine, 2)
    assert (info.published_by, info.how, info.based_on) == ("adam", drafts.EDIT, 1)
    assert store.get().declarations["bygglov"].promises[0].text == NEW
    closed = drafts.get(engine, draft.id)
    assert (closed.state, closed.decided_by, closed.version) == ("published", "adam", 2)
    assert drafts.open_drafts(engine) == {}
    changed = [line for line in published.diff(engine, 1, 2).splitlines() if NEW in line]
    assert changed and all(line.startswith("+") for line in changed)


def test_someone_who_changed_the_draft_cannot_approve_it_either(engine):
    draft = drafts.save(engine, "bygglov", bygglov(engine), "erik", 1, None)
    changed = drafts.save(engine, "bygglov", bygglov(engine, OLD, NEW + " Ja."), "adam", 1, 1)
    assert (changed.drafted_by, changed.updated_by, changed.revision) == ("erik", "adam", 2)
    drafts.submit(engine, draft.id, "erik", 2)
    with pytest.raises(drafts.OwnDraft):
        drafts.approve(engine, draft.id, "adam", 3)
    with pytest.raises(drafts.OwnDraft):
        drafts.approve(engine, draft.id, "erik", 3)
    assert drafts.approve(engine, draft.id, "berit", 3) == 2


def test_the_second_of_two_editors_is_refused_naming_the_first_and_nothing_is_lost(engine):
    first = drafts.save(engine, "bygglov", bygglov(engine), "erik", 1, None)
    with pytest.raises(drafts.DraftConflict) as refused:
        # Opened the published text before erik saved: no revision.
        drafts.save(engine, "bygglov", bygglov(engine, OLD, "Något annat."), "frida", 1, None)
    assert refused.value.who == "erik"
    with pytest.raises(drafts.DraftConflict):
        drafts.save(engine, "bygglov", bygglov(engine, OLD, "Något annat."), "frida", 1, 7)
    kept = drafts.open_draft(engine, "bygglov")
    assert (kept.id, kept.revision, kept.updated_by) == (first.id, 1, "erik")
    assert NEW in kept.text
    # A decision on a stale page is refused the same way.
    drafts.save(engine, "bygglov", bygglov(engine, OLD, NEW + " Två."), "erik", 1, 1)
    with pytest.raises(drafts.DraftConflict):
        drafts.submit(engine, first.id, "erik", 1)


def test_a_publish_of_the_same_declaration_in_between_is_refused_naming_who(engine):
    texts = published.documents(engine)
    texts["bygglov.yml"] = bygglov(engine, OLD, "Publicerat av Gun.")
    published.publish(engine, texts, "gun", published.IMPORT, 1)
    with pytest.raises(published.PublishConflict) as refused:
        drafts.save(engine, "bygglov", bygglov(engine, "Publicerat av Gun.", NEW), "erik", 1, None)
    assert refused.value.current.published_by == "gun"
    assert drafts.open_draft(engine, "bygglov") is None

    # A publish of another declaration does not matter: the draft is published on top.
    draft = drafts.save(
        engine, "bygglov", bygglov(engine, "Publicerat av Gun.", NEW), "erik", 2, None
    )
    texts = published.documents(engine)
    texts["snorojning.yml"] = texts["snorojning.yml"] + "\n# en kommentar\n"
    published.publish(engine, texts, "gun", published.IMPORT, 2)
    drafts.submit(engine, draft.id, "erik", 1)
    assert drafts.approve(engine, draft.id, "adam", 2) == 4
    latest = published.documents(engine)
    assert NEW in latest["bygglov.yml"] and "# en kommentar" in latest["snorojning.yml"]

    # Someone publishes bygglov while a draft waits: its approval is refused.
    draft = drafts.save(engine, "bygglov", bygglov(engine, NEW, "Tredje."), "erik", 4, None)
    drafts.submit(engine, draft.id, "erik", 1)
    texts = published.documents(engine)
    texts["bygglov.yml"] = texts["bygglov.yml"].replace(NEW, "Gun igen.")
    published.publish(engine, texts, "gun", published.IMPORT, 4)
    with pytest.raises(published.PublishConflict):
        drafts.approve(engine, draft.id, "adam", 2)
    assert published.published_version(engine) == 5


def test_an_invalid_draft_is_not_saved(engine):
    data = yaml.safe_load(published.documents(engine)["bygglov.yml"])
    data["source_url"] = "inte en adress"
    with pytest.raises(CatalogError, match="source_url"):
        drafts.save(engine, "bygglov", yaml.safe_dump(data, allow_unicode=True), "erik", 1, None)
    data = yaml.safe_load(published.documents(engine)["bygglov.yml"])
    data["synonyms"].append("snöröjning")  # another service's name: ambiguous
    with pytest.raises(CatalogError):
        drafts.save(engine, "bygglov", yaml.safe_dump(data, allow_unicode=True), "erik", 1, None)
    assert drafts.open_draft(engine, "bygglov") is None


def test_a_new_name_needs_training_and_rejected_or_discarded_drafts_publish_nothing(engine):
    data = yaml.safe_load(published.documents(engine)["bygglov.yml"])
    data["name"] = "Bygglov och anmälan"
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    draft = drafts.save(engine, "bygglov", text, "erik", 1, None)
    assert draft.needs_training
    drafts.submit(engine, draft.id, "erik", 1)
    rejected = drafts.close(engine, draft.id, "adam", 2, drafts.REJECTED)
    assert (rejected.state, rejected.decided_by) == ("rejected", "adam")
    with pytest.raises(drafts.DraftConflict):
        drafts.submit(engine, draft.id, "erik", 3)
    again = drafts.save(engine, "bygglov", bygglov(engine), "erik", 1, None)
    assert again.id != draft.id and not again.needs_training
    drafts.close(engine, again.id, "erik", 1, drafts.DISCARDED)
    assert drafts.open_drafts(engine) == {}
    assert published.published_version(engine) == 1

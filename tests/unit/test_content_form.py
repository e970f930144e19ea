"""The edit form of a declaration (bot/review/content_form.py): every declaration in the
catalog goes through the form and back unchanged in meaning; row buttons add, remove and
move rows; errors land on the form field they belong to with a code the page words."""

from __future__ import annotations

import pytest
import yaml

from bot.core.catalog import Declaration, catalog_from_documents, read_documents
from bot.paths import DEFAULT_CATALOG_DIR
from bot.review import content_form

DOCUMENTS = read_documents(DEFAULT_CATALOG_DIR)


def posted(form: content_form.EditForm) -> dict[str, str]:
    values = {name: form.scalars[name] for name in content_form.SCALARS}
    values.update({f"contact-{k}": v for k, v in form.contact.items()})
    for name, rows in form.lists.items():
        values[f"{name}-n"] = str(len(rows))
        values.update({f"{name}-{i}": v for i, v in enumerate(rows) if v})  # blanks dropped
    values["promises-n"] = str(len(form.promises))
    for i, promise in enumerate(form.promises):
        values.update({f"promises-{i}-{k}": v for k, v in promise.items() if v})
    return values


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_declaration_round_trips_through_the_form(name):
    data = yaml.safe_load(DOCUMENTS[name])
    form = content_form.form_from_values(posted(content_form.form_from_data(data)))
    merged = content_form.merged_data(data, form)
    assert content_form.validate(merged) == {}
    assert Declaration.parse_obj(merged) == Declaration.parse_obj(data)
    catalog_from_documents({**DOCUMENTS, name: content_form.dump(merged)})
    assert content_form.dump_over(DOCUMENTS[name], merged) == DOCUMENTS[name]  # byte for byte


def test_only_what_changed_is_written_again():
    import difflib

    original = DOCUMENTS["bygglov.yml"]
    data = yaml.safe_load(original)
    form = content_form.form_from_data(data)
    form.promises[0]["text"] = "Ny text."
    form.lists["synonyms"].append("bygglovet")
    text = content_form.dump_over(original, content_form.merged_data(data, form))
    changed = [
        line
        for line in difflib.unified_diff(original.splitlines(), text.splitlines(), lineterm="")
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]
    assert changed == [
        '-    text: "Personalen bemöter dig på ett bra sätt."',
        '+    text: "Ny text."',
        '+  - "bygglovet"',
    ]


def test_row_buttons_add_remove_and_move():
    form = content_form.form_from_data(yaml.safe_load(DOCUMENTS["bygglov.yml"]))
    ids = [p["id"] for p in form.promises]
    assert content_form.apply_row_action(form, "down:promises:0") == "promises-1-id"
    assert [p["id"] for p in form.promises][:2] == [ids[1], ids[0]]
    assert content_form.apply_row_action(form, "up:promises:1") == "promises-0-id"
    assert [p["id"] for p in form.promises] == ids
    assert content_form.apply_row_action(form, "up:promises:0") is None  # already first
    count = len(form.lists["synonyms"])
    assert content_form.apply_row_action(form, "add:synonyms") == f"synonyms-{count}"
    assert form.lists["synonyms"][-1] == ""
    content_form.apply_row_action(form, "remove:promises:0")
    assert [p["id"] for p in form.promises] == ids[1:]
    for bad in ("drop:promises:0", "add:en", "remove:synonyms:999", "up:synonyms:x", "add"):
        assert content_form.apply_row_action(form, bad) is None


def test_removed_promises_and_changed_lists_drop_only_the_english_that_no_longer_matches():
    data = yaml.safe_load(DOCUMENTS["avfall_sophamtning.yml"])
    form = content_form.form_from_data(data)
    removed = form.promises.pop(0)["id"]
    form.lists["expectations"].append("Ny förväntan.")
    merged = content_form.merged_data(data, form)
    assert content_form.validate(merged) == {}
    assert removed not in merged["en"]["promises"] and len(merged["en"]["promises"]) == 5
    assert "expectations" not in merged["en"]
    assert merged["en"]["if_not_kept"] == data["en"]["if_not_kept"]
    assert merged["facts"] == data["facts"]  # not on the form: kept


def test_errors_name_the_field_with_a_code():
    data = yaml.safe_load(DOCUMENTS["bygglov.yml"])
    form = content_form.form_from_data(data)
    form.promises[0]["text"] = " "
    form.promises[1]["id"] = "Inte ok"
    form.scalars["source_url"] = "www.skelleftea.se"
    form.lists["other_sources"] = ["ftp://x"]
    form.contact["phone"] = ""
    form.lists["contact_other"] = ["", "ok"]
    errors = content_form.validate(content_form.merged_data(data, form))
    assert errors == {
        "promises-0-text": "empty",
        "promises-1-id": "bad_id",
        "source_url": "bad_url",
        "other_sources-0": "bad_url",
        "contact-phone": "empty",
        "contact_other-0": "empty",
    }


def test_a_moved_or_removed_row_rewrites_only_that_row():
    original = DOCUMENTS["bygglov.yml"]
    data = yaml.safe_load(original)
    form = content_form.form_from_data(data)
    content_form.apply_row_action(form, "down:promises:2")
    content_form.apply_row_action(form, "remove:synonyms:2")
    merged = content_form.merged_data(data, form)
    text = content_form.dump_over(original, merged)
    assert yaml.safe_load(text) == merged
    moved = form.promises[3]["text"]
    assert f'    text: "{moved}"' in text  # its quoting kept
    assert text.count("\n") == original.count("\n") - 1  # one synonym line fewer

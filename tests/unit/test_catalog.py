"""The declaration catalog: loads, validates with named errors, covers the facts sheet."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.core.catalog import (
    DEFAULT_CATALOG_DIR,
    DEFAULT_MUNICIPALITY_FILE,
    SERVICEFORKLARING,
    CatalogError,
    CatalogStore,
    load_catalog,
)
from tests.helpers.catalog import FACTS_SHEET

OTHER_MUNICIPALITIES = [
    "Luleå",
    "Umeå",
    "Krokom",
    "Kristinehamn",
    "Jönköping",
    "Motala",
    "Härryda",
    "Kungsbacka",
    "Växjö",
    "Malmö",
    "Habo",
    "Vindeln",
    "Grums",
    "Arboga",
    "Vetlanda",
    "Ockelbo",
    "Timrå",
    "Älvkarleby",
]


def skelleftea_ids_in_facts_sheet() -> set[str]:
    text = FACTS_SHEET.read_text(encoding="utf-8")
    skelleftea = text.split("## 5.")[0]  # sections 1-4 are Skellefteå's
    return set(re.findall(r"[Ii]d:? `([a-z_]+)`", skelleftea))


@pytest.mark.skipif(not FACTS_SHEET.exists(), reason=f"facts sheet not found at {FACTS_SHEET}")
def test_every_skelleftea_service_in_the_facts_sheet_is_in_the_catalog(catalog):
    expected = skelleftea_ids_in_facts_sheet()
    assert len(expected) >= 15
    assert expected <= set(catalog.declarations), expected - set(catalog.declarations)


def test_formal_declarations_are_the_ones_the_municipality_calls_so(catalog):
    formal = {d.id for d in catalog.declarations.values() if d.kind == SERVICEFORKLARING}
    assert formal == {"forsorjningsstod", "bygglov", "hemtjanst", "lss_bostad_vuxna"}


def test_declarations_without_known_text_have_no_promises(catalog):
    missing = {d.id for d in catalog.declarations.values() if not d.text_available}
    assert missing == {"hemtjanst", "lss_bostad_vuxna"}
    for service_id in missing:
        assert catalog.declarations[service_id].promises == []


def test_known_promises_carry_their_commitments(catalog):
    bygglov = catalog.declarations["bygglov"]
    commitments = " ".join(p.commitment or "" for p in bygglov.promises)
    for number in ("7", "4", "8", "2"):
        assert number in commitments
    assert any(
        "3" in (p.commitment or "") or "tre" in (p.commitment or "")
        for p in catalog.declarations["forsorjningsstod"].promises
    )


def test_no_other_municipality_appears_as_a_source_or_promise(catalog):
    for declaration in catalog.declarations.values():
        texts = [
            declaration.summary,
            *(p.text for p in declaration.promises),
            *(p.commitment or "" for p in declaration.promises),
            *declaration.expectations,
            *declaration.if_not_kept,
        ]
        for text in texts:
            for name in OTHER_MUNICIPALITIES:
                assert name not in text, (declaration.id, text)
        for url in [declaration.source_url, *declaration.other_sources]:
            assert "skelleftea" in url or "mynewsdesk.com/se/skellefteakommun" in url, url


def test_every_declaration_has_a_source_and_a_past_review_date(catalog):
    for declaration in catalog.declarations.values():
        assert declaration.source_url.startswith("http")
        assert declaration.reviewed <= date.today()


def copy_catalog(tmp_path: Path) -> tuple[Path, Path]:
    directory = tmp_path / "declarations"
    shutil.copytree(DEFAULT_CATALOG_DIR, directory)
    municipality = tmp_path / "municipality.yml"
    shutil.copy(DEFAULT_MUNICIPALITY_FILE, municipality)
    return directory, municipality


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("source_url"), r"bygglov\.yml: field 'source_url': field required"),
        (lambda d: d.update(kind="servicegaranti"), r"bygglov\.yml: field 'kind'"),
        (lambda d: d.update(reviewed="igår"), r"bygglov\.yml: field 'reviewed'"),
        (lambda d: d["promises"][0].update(id="Två ord"), r"bygglov\.yml: field 'promises\.0\.id'"),
        (lambda d: d.update(id="bygglov2"), r"bygglov\.yml: field 'id'.*file name"),
        (lambda d: d.update(unexpected="x"), r"bygglov\.yml: field 'unexpected'"),
        (
            lambda d: d.update(synonyms=["snöröjning"]),
            r"field 'synonyms': 'snöröjning' is also a word for",
        ),
        (
            lambda d: d.update(implied_by=["plogning"]),
            r"field '(synonyms|implied_by)': 'plogning' is also a word for",
        ),
        (
            lambda d: d.update(facts=[{"id": "x", "topic": "cost", "text": "a"}] * 2),
            r"bygglov\.yml: field 'facts': fact ids must be unique",
        ),
        (
            lambda d: d.update(facts=[{"id": "x", "topic": "Kostnad", "text": "a"}]),
            r"bygglov\.yml: field 'facts\.0\.topic'",
        ),
    ],
)
def test_a_broken_file_gives_an_error_naming_file_and_field(tmp_path, change, expected):
    directory, municipality = copy_catalog(tmp_path)
    path = directory / "bygglov.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=expected):
        load_catalog(directory, municipality)


def test_invalid_yaml_is_named(tmp_path):
    directory, municipality = copy_catalog(tmp_path)
    (directory / "bygglov.yml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"bygglov\.yml: not valid YAML"):
        load_catalog(directory, municipality)


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(CatalogError, match="no declaration files"):
        load_catalog(tmp_path, DEFAULT_MUNICIPALITY_FILE)


def test_store_reloads_an_edited_text_and_keeps_the_old_catalog_on_a_bad_edit(tmp_path):
    directory, municipality = copy_catalog(tmp_path)
    store = CatalogStore(directory, municipality, check_interval=0)
    path = directory / "bygglov.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["summary"] = "En helt ny sammanfattning."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert store.get().declarations["bygglov"].summary == "En helt ny sammanfattning."

    path.write_text("id: bygglov\n", encoding="utf-8")
    still = store.get()
    assert still.declarations["bygglov"].summary == "En helt ny sammanfattning."
    assert store.last_error and "bygglov.yml" in store.last_error


def test_authorities_are_loaded_beside_the_municipality_and_validated(tmp_path):
    directory, municipality = copy_catalog(tmp_path)
    authorities = tmp_path / "authorities.yml"
    assert load_catalog(directory, municipality).authorities == ()  # the file is optional
    authorities.write_text(
        "authorities:\n  - {id: polisen, name: Polisen, handles: pass, web: polisen.se,"
        " words: [passet]}\n",
        encoding="utf-8",
    )
    assert load_catalog(directory, municipality).authority("polisen").web == "polisen.se"
    authorities.write_text("authorities:\n  - {id: polisen, name: Polisen}\n")
    with pytest.raises(CatalogError, match=r"authorities\.yml: field 'authorities\.0\.handles'"):
        load_catalog(directory, municipality)

"""The open data (/api/oppna-data/) through `app.test_client`: public without login, every
declaration with its promises, nämnd, source and review date, a configurable licence,
DCAT-AP-SE style metadata; HTML stays text, no CSV cell is a formula, and a content change
shows on the very next request."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from sanic import Sanic

from bot.core.catalog import CatalogStore, load_catalog
from bot.core.open_data import CC0, CSV_COLUMNS
from bot.paths import DEFAULT_CATALOG_DIR, DEFAULT_MUNICIPALITY_FILE
from bot.web import WebConfig, create_app
from bot.web.config import ConfigError

JSON_URL = "/api/oppna-data/serviceforklaringar.json"
CSV_URL = "/api/oppna-data/serviceforklaringar.csv"
DCAT_URL = "/api/oppna-data/katalog.json"
SCRIPT = '<script>alert("x")</script> & <b>fet</b>'
FORMULA = '=HYPERLINK("http://evil.example","klicka")'


@pytest.fixture
def catalog_dir(tmp_path) -> Path:
    folder = tmp_path / "declarations"
    shutil.copytree(DEFAULT_CATALOG_DIR, folder)
    return folder


def edit_declaration(folder: Path, service_id: str, change) -> None:
    path = folder / f"{service_id}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_app(tmp_path: Path, catalog_dir: Path, **config) -> Sanic:
    app = create_app(
        WebConfig(
            tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}", catalog_dir=catalog_dir, **config
        ),
        features=("open_data",),
    )
    # Checked on every request, so a file written by the test is seen at once.
    app.ctx.catalog = CatalogStore(catalog_dir, DEFAULT_MUNICIPALITY_FILE, check_interval=0)
    return app


@pytest.fixture
def app(tmp_path, catalog_dir) -> Sanic:
    return make_app(tmp_path, catalog_dir)


def test_every_declaration_with_promises_nämnd_source_and_review_date_without_login(app):
    _, response = app.test_client.get(JSON_URL)

    assert response.status == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert "set-cookie" not in response.headers
    body = response.json
    catalog = load_catalog()
    assert [s["id"] for s in body["services"]] == [d.id for d in catalog.sorted_by_name()]
    assert body["license"] == CC0
    bygglov = next(s for s in body["services"] if s["id"] == "bygglov")
    declaration = catalog.declarations["bygglov"]
    assert bygglov["responsible_board"] == "Bygg- och miljönämnden"
    assert bygglov["source_url"] == declaration.source_url
    assert bygglov["reviewed"] == declaration.reviewed.isoformat()
    assert bygglov["license"] == CC0
    assert [p["id"] for p in bygglov["promises"]] == [p.id for p in declaration.promises]
    timed = next(p for p in bygglov["promises"] if p["id"] == "beslut_enkelt_arende")
    assert timed["commitment"] == "inom högst 4 veckor"
    assert timed["text"].startswith("I ett enkelt ärende får du beslut")


def test_csv_has_one_row_per_promise_with_the_same_facts(app):
    _, response = app.test_client.get(CSV_URL)

    assert response.status == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    catalog = load_catalog()
    expected = sum(max(1, len(d.promises)) for d in catalog.declarations.values())
    assert len(rows) - 1 == expected
    records = [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]
    eldstad = next(r for r in records if r["promise_id"] == "startbesked_eldstad")
    assert eldstad["service_id"] == "bygglov"
    assert eldstad["commitment"] == "inom högst 2 veckor"
    assert eldstad["responsible_board"] == "Bygg- och miljönämnden"
    assert eldstad["reviewed"] == catalog.declarations["bygglov"].reviewed.isoformat()
    assert eldstad["license"] == CC0


def test_html_in_a_field_stays_text_and_no_csv_cell_is_a_formula(tmp_path, catalog_dir):
    def poison(data: dict) -> None:
        data["promises"][0]["text"] = SCRIPT
        data["promises"][1]["text"] = FORMULA
        data["responsible_board"] = "+46 Bygg-nämnden"

    edit_declaration(catalog_dir, "bygglov", poison)
    app = make_app(tmp_path, catalog_dir)

    _, response = app.test_client.get(JSON_URL)
    assert "<script" not in response.text and "<b>" not in response.text
    bygglov = next(s for s in response.json["services"] if s["id"] == "bygglov")
    assert bygglov["promises"][0]["text"] == SCRIPT  # the same text, escaped only in transit

    _, response = app.test_client.get(CSV_URL)
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert "'+46 Bygg-nämnden" in cells
    assert SCRIPT in cells  # CSV is text: the script is a cell, not markup
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_a_content_change_shows_on_the_next_request_and_etags_follow(app, catalog_dir):
    _, first = app.test_client.get(JSON_URL)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    _, again = app.test_client.get(JSON_URL, headers={"If-None-Match": etag})
    assert again.status == 304 and not again.body

    edit_declaration(
        catalog_dir, "snorojning", lambda d: d["promises"][0].update(text="Ny text om plogning.")
    )
    _, changed = app.test_client.get(JSON_URL, headers={"If-None-Match": etag})

    assert changed.status == 200 and changed.headers["etag"] != etag
    snow = next(s for s in changed.json["services"] if s["id"] == "snorojning")
    assert snow["promises"][0]["text"] == "Ny text om plogning."
    _, csv_response = app.test_client.get(CSV_URL)
    assert "Ny text om plogning." in csv_response.body.decode("utf-8-sig")


def test_the_licence_is_configurable(tmp_path, catalog_dir):
    licence = "https://creativecommons.org/licenses/by/4.0/"
    app = make_app(tmp_path, catalog_dir, open_data_license=licence)

    assert app.test_client.get(JSON_URL)[1].json["license"] == licence
    assert licence in app.test_client.get(CSV_URL)[1].body.decode("utf-8-sig")
    dataset = app.test_client.get(DCAT_URL)[1].json["dcat:dataset"][0]
    assert dataset["dcterms:license"] == {"@id": licence}
    assert WebConfig.from_env({"OPEN_DATA_LICENSE": licence}).open_data_license == licence
    assert WebConfig.from_env({}).open_data_license == CC0
    with pytest.raises(ConfigError, match="OPEN_DATA_LICENSE"):
        WebConfig.from_env({"OPEN_DATA_LICENSE": "CC0 fast inte en adress"})


def test_dcat_metadata_describes_the_data_set_and_its_two_distributions(app):
    _, response = app.test_client.get(DCAT_URL)

    assert response.status == 200
    assert response.headers["content-type"] == "application/ld+json; charset=utf-8"
    body = json.loads(response.body)
    assert body["@type"] == "dcat:Catalog"
    assert body["@context"]["dcat"] == "http://www.w3.org/ns/dcat#"
    (dataset,) = body["dcat:dataset"]
    assert dataset["@type"] == "dcat:Dataset"
    assert dataset["dcterms:publisher"]["foaf:name"] == "Skellefteå kommun"
    assert dataset["dcat:contactPoint"]["vcard:hasEmail"] == {
        "@id": "mailto:kundtjanst@skelleftea.se"
    }
    assert dataset["dcterms:title"]["@language"] == "sv"
    latest = max(d.reviewed for d in load_catalog().declarations.values()).isoformat()
    assert dataset["dcterms:modified"]["@value"] == latest
    urls = {
        d["dcterms:format"]["@id"].rsplit("/", 1)[1]: d["dcat:downloadURL"]["@id"]
        for d in dataset["dcat:distribution"]
    }
    assert set(urls) == {"JSON", "CSV"}
    assert urls["JSON"].startswith("http://") and urls["JSON"].endswith(JSON_URL)
    assert urls["CSV"].startswith("http://") and urls["CSV"].endswith(CSV_URL)
    assert body["@id"].endswith(DCAT_URL)
    # The addresses it names answer.
    for url in urls.values():
        assert app.test_client.get("/" + url.split("/", 3)[3])[1].status == 200


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_open_data_is_read_only(app, method):
    _, response = getattr(app.test_client, method)(JSON_URL)
    assert response.status == 405


def test_open_data_is_mounted_by_default(tmp_path):
    app = create_app(WebConfig(tracker_db_url=f"sqlite:///{tmp_path / 'tracker.db'}"))
    paths = {"/" + r.path.lstrip("/") for r in app.router.routes}
    assert {JSON_URL, CSV_URL, DCAT_URL} <= paths

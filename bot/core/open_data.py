"""The published catalog as open data: every declaration as JSON records and CSV rows, and
a DCAT-AP-SE style description of the data set (JSON-LD).

Knows nothing of Sanic: `bot/web/open_data/` serves what this module builds. The texts of
the description are data (data/open_data.yml); the licence is a setting. Every value is
text in the output: JSON escapes `<`, `>` and `&` so that no field can become markup where
a page embeds it, and every CSV cell goes through `FormulaSafeWriter`.
"""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError

from bot.core.catalog import Catalog, CatalogError, Declaration, _Strict
from bot.core.spreadsheet import FormulaSafeWriter
from bot.paths import OPEN_DATA_FILE

# Creative Commons Zero, the municipality's usual licence for open data.
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
URL_PATTERN = r"^https?://\S+$"

JSON_PATH = "/api/oppna-data/serviceforklaringar.json"
CSV_PATH = "/api/oppna-data/serviceforklaringar.csv"
CATALOG_PATH = "/api/oppna-data/katalog.json"

CSV_COLUMNS = (
    "service_id",
    "service_name",
    "kind",
    "text_available",
    "responsible_board",
    "promise_number",
    "promise_id",
    "promise_text",
    "commitment",
    "source_url",
    "reviewed",
    "reviewed_approximate",
    "license",
)


class _Texts(_Strict):
    title: str
    description: str


class _Publisher(_Strict):
    name: str
    homepage: str = Field(..., regex=URL_PATTERN)


class _Dataset(_Texts):
    keywords: list[str] = Field(..., min_items=1)
    theme: str = Field(..., regex=URL_PATTERN)
    landing_page: str = Field(..., regex=URL_PATTERN)


class _Distributions(_Strict):
    json_: _Texts = Field(..., alias="json")
    csv: _Texts


class OpenDataTexts(_Strict):
    """data/open_data.yml: the words of the data set's description."""

    catalog: _Texts
    publisher: _Publisher
    dataset: _Dataset
    distributions: _Distributions


def load_open_data_texts(path: Path = OPEN_DATA_FILE) -> OpenDataTexts:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return OpenDataTexts.parse_obj(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read: {exc}") from exc
    except ValidationError as exc:
        fields = "; ".join(
            f"field '{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in exc.errors()
        )
        raise CatalogError(f"{path}: {fields}") from exc


def last_reviewed(catalog: Catalog) -> date:
    """When the newest fact in the data set was reviewed (its `modified` date)."""
    return max(d.reviewed for d in catalog.declarations.values())


def declaration_record(declaration: Declaration, license_url: str) -> dict[str, Any]:
    contact = declaration.contact
    return {
        "id": declaration.id,
        "name": declaration.name,
        "kind": declaration.kind,
        "text_available": declaration.text_available,
        "responsible_board": declaration.responsible_board,
        "summary": declaration.summary,
        "promises": [
            {"id": p.id, "text": p.text, "commitment": p.commitment} for p in declaration.promises
        ],
        "expectations": list(declaration.expectations),
        "if_not_kept": list(declaration.if_not_kept),
        "contact": {
            "phone": contact.phone,
            "phone_option": contact.phone_option,
            "email": contact.email,
            "other": list(contact.other),
        },
        "source_url": declaration.source_url,
        "other_sources": list(declaration.other_sources),
        "reviewed": declaration.reviewed.isoformat(),
        "reviewed_approximate": declaration.reviewed_approximate,
        "license": license_url,
    }


def records_document(catalog: Catalog, texts: OpenDataTexts, license_url: str) -> dict[str, Any]:
    """The JSON distribution: the data set's name, licence and one record per service."""
    return {
        "title": texts.dataset.title,
        "publisher": texts.publisher.name,
        "license": license_url,
        "modified": last_reviewed(catalog).isoformat(),
        "services": [declaration_record(d, license_url) for d in catalog.sorted_by_name()],
    }


def json_text(document: dict[str, Any]) -> str:
    """JSON in UTF-8 where `<`, `>` and `&` are escaped: the same data, never markup."""
    text = json.dumps(document, ensure_ascii=False, indent=2)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def csv_text(catalog: Catalog, license_url: str) -> str:
    """The CSV distribution: one row per promise, one row for a service without any."""
    out = io.StringIO()
    writer = FormulaSafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for declaration in catalog.sorted_by_name():
        common = [
            declaration.id,
            declaration.name,
            declaration.kind,
            "true" if declaration.text_available else "false",
            declaration.responsible_board or "",
        ]
        tail = [
            declaration.source_url,
            declaration.reviewed.isoformat(),
            "true" if declaration.reviewed_approximate else "false",
            license_url,
        ]
        if not declaration.promises:
            writer.writerow([*common, "", "", "", "", *tail])
        for number, promise in enumerate(declaration.promises, start=1):
            writer.writerow(
                [*common, number, promise.id, promise.text, promise.commitment or "", *tail]
            )
    return out.getvalue()


def telephone_uri(phone: str) -> str:
    """A Swedish number as a tel: URI in international form ("0910-73 50 00" →
    "tel:+46910735000")."""
    digits = "".join(c for c in phone if c.isdigit())
    return "tel:+46" + digits[1:] if digits.startswith("0") else "tel:+" + digits


def _text(value: str) -> dict[str, str]:
    return {"@value": value, "@language": "sv"}


def dcat_catalog(
    catalog: Catalog, texts: OpenDataTexts, license_url: str, base_url: str
) -> dict[str, Any]:
    """The data set described as DCAT-AP-SE asks (JSON-LD): catalog → data set → the JSON
    and CSV distributions, with publisher, contact point, licence and modified date."""
    base = base_url.rstrip("/")
    kundtjanst = catalog.municipality.kundtjanst
    publisher = {
        "@type": "foaf:Agent",
        "foaf:name": texts.publisher.name,
        "foaf:homepage": {"@id": texts.publisher.homepage},
    }
    modified = {"@value": last_reviewed(catalog).isoformat(), "@type": "xsd:date"}
    distributions = [
        {
            "@id": f"{base}{path}#distribution",
            "@type": "dcat:Distribution",
            "dcterms:title": _text(words.title),
            "dcterms:description": _text(words.description),
            "dcat:accessURL": {"@id": f"{base}{path}"},
            "dcat:downloadURL": {"@id": f"{base}{path}"},
            "dcat:mediaType": {"@id": f"http://www.iana.org/assignments/media-types/{media}"},
            "dcterms:format": {
                "@id": f"http://publications.europa.eu/resource/authority/file-type/{kind}"
            },
            "dcterms:license": {"@id": license_url},
            "dcterms:modified": modified,
        }
        for path, words, media, kind in (
            (JSON_PATH, texts.distributions.json_, "application/json", "JSON"),
            (CSV_PATH, texts.distributions.csv, "text/csv", "CSV"),
        )
    ]
    dataset = {
        "@id": f"{base}{JSON_PATH}#dataset",
        "@type": "dcat:Dataset",
        "dcterms:title": _text(texts.dataset.title),
        "dcterms:description": _text(texts.dataset.description),
        "dcat:keyword": [_text(word) for word in texts.dataset.keywords],
        "dcat:theme": {"@id": texts.dataset.theme},
        "dcat:landingPage": {"@id": texts.dataset.landing_page},
        "dcterms:language": {
            "@id": "http://publications.europa.eu/resource/authority/language/SWE"
        },
        "dcterms:publisher": publisher,
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": f"{texts.publisher.name}, Kundtjänst",
            "vcard:hasEmail": {"@id": f"mailto:{kundtjanst.email}"},
            "vcard:hasTelephone": {"@id": telephone_uri(kundtjanst.phone)},
        },
        "dcterms:license": {"@id": license_url},
        "dcterms:accessRights": {
            "@id": "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
        },
        "dcterms:modified": modified,
        "dcat:distribution": distributions,
    }
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dcterms": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "vcard": "http://www.w3.org/2006/vcard/ns#",
            "xsd": "http://www.w3.org/2001/XMLSchema#",
        },
        "@id": f"{base}{CATALOG_PATH}",
        "@type": "dcat:Catalog",
        "dcterms:title": _text(texts.catalog.title),
        "dcterms:description": _text(texts.catalog.description),
        "dcterms:publisher": publisher,
        "dcterms:license": {"@id": license_url},
        "dcterms:modified": modified,
        "dcat:dataset": [dataset],
    }

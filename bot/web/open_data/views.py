"""The published catalog as open data: public, no login, no cookies.

| route                                      | gives                                              |
|--------------------------------------------|----------------------------------------------------|
| GET /api/oppna-data/serviceforklaringar.json | every published declaration (JSON)              |
| GET /api/oppna-data/serviceforklaringar.csv  | one row per promise (CSV, UTF-8, formula-safe)  |
| GET /api/oppna-data/katalog.json             | the data set described DCAT-AP-SE style (JSON-LD) |

The bodies are built from the catalog (bot/core/open_data.py) once per catalog version and
kept: the next request after a content change builds them again, so the change shows at
once. Each answer has an ETag; clients are asked to revalidate (`no-cache`), and a
matching `If-None-Match` gets 304 without a body.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.core import open_data
from bot.core.catalog import Catalog

CACHE_CONTROL = "public, no-cache"
CORS = "*"  # open data: any site may fetch it (no cookies are read or set)


@dataclass(frozen=True)
class Body:
    text: str
    content_type: str
    etag: str


def _body(text: str, content_type: str) -> Body:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
    return Body(text, content_type, f'"{digest}"')


class OpenDataCache:
    """The bodies of the current catalog version (the catalog object changes on reload),
    per base URL for the DCAT description (it names its own addresses)."""

    def __init__(self, texts: open_data.OpenDataTexts, license_url: str) -> None:
        self.texts = texts
        self.license_url = license_url
        self._lock = threading.Lock()
        self._catalog: Catalog | None = None
        self._bodies: dict[tuple[str, str], Body] = {}

    def body(self, catalog: Catalog, kind: str, base_url: str = "") -> Body:
        key = (kind, base_url if kind == "dcat" else "")
        with self._lock:
            if catalog is not self._catalog:
                self._catalog = catalog
                self._bodies = {}
            found = self._bodies.get(key)
            if found is None:
                found = self._build(catalog, kind, base_url)
                if len(self._bodies) < 64:  # base URLs come from the Host header: bounded
                    self._bodies[key] = found
            return found

    def _build(self, catalog: Catalog, kind: str, base_url: str) -> Body:
        if kind == "json":
            document = open_data.records_document(catalog, self.texts, self.license_url)
            return _body(open_data.json_text(document), "application/json; charset=utf-8")
        if kind == "csv":
            # With a byte order mark, so that spreadsheets read the file as UTF-8.
            text = "\ufeff" + open_data.csv_text(catalog, self.license_url)
            return _body(text, "text/csv; charset=utf-8")
        document = open_data.dcat_catalog(catalog, self.texts, self.license_url, base_url)
        return _body(open_data.json_text(document), "application/ld+json; charset=utf-8")


def _respond(request: Request, body: Body, filename: str | None = None) -> HTTPResponse:
    headers = {
        "ETag": body.etag,
        "Cache-Control": CACHE_CONTROL,
        "Access-Control-Allow-Origin": CORS,
    }
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    if body.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return HTTPResponse(status=304, headers=headers)
    return HTTPResponse(body.text, headers=headers, content_type=body.content_type)


def _serve(request: Request, kind: str, filename: str | None = None) -> HTTPResponse:
    ctx = request.app.ctx
    base_url = f"{request.scheme}://{request.host}" if kind == "dcat" else ""
    return _respond(request, ctx.open_data.body(ctx.catalog.get(), kind, base_url), filename)


async def records_json(request: Request) -> HTTPResponse:
    return _serve(request, "json")


async def records_csv(request: Request) -> HTTPResponse:
    return _serve(request, "csv", "serviceforklaringar.csv")


async def dcat_catalog(request: Request) -> HTTPResponse:
    return _serve(request, "dcat")


def open_data_blueprint() -> Blueprint:
    bp = Blueprint("open_data", url_prefix="/api/oppna-data")
    bp.add_route(records_json, "/serviceforklaringar.json", methods=["GET"])
    bp.add_route(records_csv, "/serviceforklaringar.csv", methods=["GET"])
    bp.add_route(dcat_catalog, "/katalog.json", methods=["GET"])
    return bp

"""Serves the widget (/widget/chat.js, /widget/chat.css) and the demo page at /.

The demo page is a municipal service page with the widget embedded exactly as a web
editor would embed it: one script tag. The script brings its own style and markup.
"""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, file

STATIC_DIR = Path(__file__).parent / "static"
PAGE_DIR = Path(__file__).parent / "page"

# The demo page loads only our own files; the widget only talks to our own API.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def widget_blueprint() -> Blueprint:
    bp = Blueprint("widget")
    # One route per file, not the folder: Sanic 21.12's folder route tries to open the
    # folder itself for `/widget/`, `/widget//` or `/widget/%2e/` (a 500); now every other
    # path under /widget/ is the JSON 404 of any unknown path.
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            bp.static(
                f"/widget/{path.name}", str(path), name=f"widget_{path.stem}_{path.suffix[1:]}"
            )
    bp.static("/page.css", str(PAGE_DIR / "page.css"), name="page_css")

    @bp.get("/")
    async def demo_page(request: Request) -> HTTPResponse:
        return await file(
            PAGE_DIR / "index.html",
            mime_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": PAGE_CSP},
        )

    return bp

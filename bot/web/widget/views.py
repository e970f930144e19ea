"""Serves the widget (/widget/chat.js, /widget/chat.css) and the demo page at /.

The demo page is a municipal service page with the widget embedded exactly as a web
editor would embed it: one script tag. The script brings its own style and markup. The
tag carries, in `data-fallback-texts`, the few texts (from data/web_texts.yml) the
widget needs to offer the chat button and the fault message with Kundtjänst's number
when it cannot get its texts from /api/texts; `fallback_texts_attribute` gives the value
for embedding elsewhere.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sanic.response import html as html_response

STATIC_DIR = Path(__file__).parent / "static"
PAGE_DIR = Path(__file__).parent / "page"

# The demo page loads only our own files; the widget only talks to our own API.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


# The widget texts a fault needs when /api/texts cannot be had.
FALLBACK_KEYS = ("launcher", "title", "close", "unavailable")


def fallback_texts_attribute(widget_texts: dict[str, Any]) -> str:
    """The value of the script tag's data-fallback-texts, escaped for an HTML attribute."""
    texts = {key: widget_texts[key] for key in FALLBACK_KEYS}
    return html.escape(json.dumps(texts, ensure_ascii=False), quote=True)


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
    page = (PAGE_DIR / "index.html").read_text(encoding="utf-8")

    @bp.get("/")
    async def demo_page(request: Request) -> HTTPResponse:
        fallback = fallback_texts_attribute(request.app.ctx.texts.widget)
        return html_response(
            page.replace("{fallback_texts}", fallback),
            headers={"Content-Security-Policy": PAGE_CSP},
        )

    return bp

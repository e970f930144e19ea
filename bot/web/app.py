"""The web app factory: the citizen's chat widget and the JSON API it talks to.

    app = create_app(WebConfig.from_env(), features=("widget", "api"))

Each feature is one blueprint; tests mount only what they need. The browser talks only
to this app; the app forwards messages to Rasa's REST channel and reads Rasa's tracker
store for transcripts and deletion. Server start/stop hooks own the HTTP client session
and create our `feedback` table; nothing touches a database at import time.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence

import aiohttp
from sanic import Blueprint, Sanic
from sanic.blueprint_group import BlueprintGroup
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content_length_guard import install as install_content_length_guard
from bot.core.catalog import CatalogStore
from bot.core.open_data import load_open_data_texts
from bot.review import review_blueprint
from bot.store.cases import create_case_tables
from bot.store.content_catalog import follow_database, seed_from_folder
from bot.store.conversations import engine_for
from bot.store.feedback import create_feedback_table
from bot.web.api import api_blueprint
from bot.web.api.rate_limit import RateLimiter
from bot.web.api.tokens import ConversationTokens
from bot.web.config import WebConfig
from bot.web.errors import register_error_handlers
from bot.web.open_data import open_data_blueprint
from bot.web.open_data.views import OpenDataCache
from bot.web.texts import load_web_texts
from bot.web.widget import widget_blueprint

logger = logging.getLogger(__name__)

APP_NAME = "skelleftea_web"
FEATURES: dict[str, Callable[[], Blueprint | BlueprintGroup]] = {
    "widget": widget_blueprint,
    "api": api_blueprint,
    "review": review_blueprint,  # staff review tool under /granska (bot/review/)
    "open_data": open_data_blueprint,  # the published catalog as open data (/api/oppna-data)
}


# Stalled clients (Sanic's defaults: 60 s): a request whose header stops arriving is
# closed after REQUEST_TIMEOUT; from the end of the header (body and answer) the limit is
# RESPONSE_TIMEOUT, Rasa's own limit (RASA_TIMEOUT_SECONDS) plus 10 s; an idle keep-alive
# connection closes after KEEP_ALIVE_TIMEOUT. Sanic 21.12 restarts these clocks on every
# byte received, so a client that drips a byte now and then is for the proxy in front to
# cut off (docs/DEPLOYMENT.md, "Slow clients").
REQUEST_TIMEOUT_SECONDS = 10
RESPONSE_TIMEOUT_SECONDS = 20
KEEP_ALIVE_TIMEOUT_SECONDS = 5
# Sent only when the request came over TLS as Sanic sees it (the connection, or a trusted
# proxy's X-Forwarded-Proto: SANIC_PROXIES_COUNT); browsers ignore it over plain HTTP.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def _max_request_bytes(max_message_chars: int) -> int:
    # JSON may spell every character as a 12-byte surrogate-pair escape; plus the envelope.
    return max(16 * 1024, max_message_chars * 12 + 1024)


def create_app(
    config: WebConfig | None = None,
    features: Sequence[str] = ("widget", "api", "review", "open_data"),
) -> Sanic:
    config = config or WebConfig.from_env()
    unknown = sorted(set(features) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown features {unknown}; known: {sorted(FEATURES)}")

    install_content_length_guard()  # Sanic 21.12 hangs on a negative Content-Length
    app = Sanic(APP_NAME, configure_logging=False)
    app.config.REQUEST_MAX_SIZE = _max_request_bytes(config.max_message_chars)
    app.config.REQUEST_TIMEOUT = REQUEST_TIMEOUT_SECONDS
    app.config.RESPONSE_TIMEOUT = max(
        RESPONSE_TIMEOUT_SECONDS, math.ceil(config.rasa_timeout_seconds) + 10
    )
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_TIMEOUT_SECONDS
    app.config.FALLBACK_ERROR_FORMAT = "json"
    app.config.ACCESS_LOG = False  # URLs carry conversation ids; we log what we need
    app.ctx.config = config
    app.ctx.texts = load_web_texts(
        config.texts_file, config.municipality_file, config.max_message_chars
    )
    window = config.rate_limit_window_seconds
    app.ctx.limiter = RateLimiter(config.rate_limit_messages, window)  # per conversation
    app.ctx.new_conversations = RateLimiter(config.rate_limit_new_conversations, window)
    app.ctx.address_messages = RateLimiter(config.rate_limit_address_messages, window)
    app.ctx.address_reads = RateLimiter(config.rate_limit_address_reads, window)
    app.ctx.tokens = ConversationTokens(config.token_secret)
    # The API lets through only the payloads of the bot's own buttons, with catalog ids;
    # the open data is the catalog; the review tool lists it ("Innehåll").
    # Every feature but the widget reads the catalog: the one published in the tracker
    # database (seeded from the folder at start), with the review dates staff confirm.
    app.ctx.catalog = None
    if set(features) & {"api", "open_data", "review"}:
        app.ctx.catalog = CatalogStore(config.catalog_dir, config.municipality_file)
        follow_database(app.ctx.catalog, config.tracker_db_url)
    app.ctx.open_data = (
        OpenDataCache(load_open_data_texts(config.open_data_file), config.open_data_license)
        if "open_data" in features
        else None
    )
    app.ctx.http = None

    for feature in features:
        app.blueprint(FEATURES[feature]())
    register_error_handlers(app)

    @app.before_server_start
    async def open_connections(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        app.ctx.http = aiohttp.ClientSession()
        if app.ctx.catalog is not None:
            await asyncio.to_thread(
                seed_from_folder,
                engine_for(config.tracker_db_url),
                config.catalog_dir,
                config.municipality_file,
                app.ctx.catalog,
            )
        if "api" in features:
            await asyncio.to_thread(create_feedback_table, config.tracker_db_url)
            await asyncio.to_thread(create_case_tables, config.tracker_db_url)

    @app.after_server_stop
    async def close_connections(app: Sanic, loop: asyncio.AbstractEventLoop) -> None:
        if app.ctx.http is not None:
            await app.ctx.http.close()
            app.ctx.http = None

    @app.on_response
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.scheme == "https":
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if request.path.startswith("/api/") and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"

    return app

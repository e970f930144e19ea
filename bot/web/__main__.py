"""`python -m bot.web`: run the web app in the foreground (settings from the environment).

Started by `bot.ops.stack.Stack.start_web` after Rasa; SIGINT and SIGTERM stop it cleanly.
"""

from __future__ import annotations

import logging
import sys

from bot.core.catalog import CatalogError
from bot.web.app import create_app
from bot.web.config import ConfigError, WebConfig


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = WebConfig.from_env()
        app = create_app(config)
    except (ConfigError, CatalogError) as exc:
        print(f"Web app not started: {exc}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info(
        "Chat widget on http://%s:%d/ (Rasa at %s)", config.host, config.port, config.rasa_url
    )
    app.run(host=config.host, port=config.port, workers=1, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

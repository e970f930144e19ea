"""The `review` feature of the web app: the support staff's review tool under /granska.

    from bot.review import review_blueprint   # mounted by bot.web.create_app

Views (`views/`, one module per feature), security (`security`), data access
(`accounts`, `reviews`, `audit`, `queries/`, `stats`), the NLU export (`nlu_export`), SVG
charts (`charts`) and our tables (`tables`) are apart; templates and the stylesheet live in
`templates/` and `static/`.
Staff accounts are made with `bot users add NAME --role reviewer|admin` (`cli`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sanic.blueprint_group import BlueprintGroup


def review_blueprint() -> BlueprintGroup:
    """The feature blueprints grouped under /granska (imported here, so `bot users ...`
    does not load the web stack)."""
    from bot.review.views import review_blueprint as make

    return make()


__all__ = ["review_blueprint"]

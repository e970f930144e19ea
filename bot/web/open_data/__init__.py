"""The `open_data` feature: the published catalog as open data under /api/oppna-data/."""

from bot.web.open_data.views import open_data_blueprint

__all__ = ["open_data_blueprint"]

import pytest

from bot.endpoints import endpoints


def test_default_is_sqlite_and_in_memory_lock(tmp_path):
    config = endpoints({"TRACKER_DB_URL": f"sqlite:///{tmp_path}/t.db", "ACTION_PORT": "6000"})
    assert config["tracker_store"] == {"type": "bot.tracker_store.MaskingSQLTrackerStore",
                                       "dialect": "sqlite", "db": f"{tmp_path}/t.db"}
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
    assert "lock_store" not in config


def test_postgres_and_redis():
    config = endpoints({"TRACKER_DB_URL": "postgresql://bot:pw@db.local:5433/rasa",
                        "LOCK_STORE_URL": "redis://127.0.0.1:6379/2"})
    assert config["tracker_store"] == {"type": "bot.tracker_store.MaskingSQLTrackerStore",
                                       "dialect": "postgresql", "url": "db.local",
                                       "port": 5433, "db": "rasa", "username": "bot",
                                       "password": "pw"}
    assert config["lock_store"]["type"] == "redis" and config["lock_store"]["db"] == 2


@pytest.mark.parametrize("env", [{"TRACKER_DB_URL": "mysql://x/y"},
                                 {"LOCK_STORE_URL": "memcached://x"}])
def test_unsupported_urls_are_clear_errors(env):
    with pytest.raises(ValueError, match="supported|expected"):
        endpoints(env)

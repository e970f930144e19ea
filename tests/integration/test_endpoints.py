import pytest

from bot.ops.endpoints import (
    LockStoreUnreachable,
    check_lock_store,
    create_database_if_missing,
    endpoints,
    scaling_problem,
    write_endpoints,
)
from bot.store.database import check_tracker_db


def test_default_is_sqlite_and_in_memory_lock(tmp_path):
    config = endpoints({"TRACKER_DB_URL": f"sqlite:///{tmp_path}/t.db", "ACTION_PORT": "6000"})
    assert config["tracker_store"] == {
        "type": "bot.adapters.tracker_store.MaskingSQLTrackerStore",
        "dialect": "sqlite",
        "db": f"{tmp_path}/t.db",
    }
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
    assert "lock_store" not in config


def test_postgres_and_redis():
    config = endpoints(
        {
            "TRACKER_DB_URL": "postgresql://bot:pw@db.local:5433/rasa",
            "LOCK_STORE_URL": "redis://127.0.0.1:6379/2",
        }
    )
    assert config["tracker_store"] == {
        "type": "bot.adapters.tracker_store.MaskingSQLTrackerStore",
        "dialect": "postgresql",
        "url": "db.local",
        "port": 5433,
        "db": "rasa",
        "username": "bot",
        "password": "pw",
    }
    assert config["lock_store"]["type"] == "bot.adapters.lock_store.AtomicRedisLockStore"
    assert config["lock_store"]["db"] == 2 and config["lock_store"]["port"] == 6379


def test_rasas_stock_lock_store_only_when_asked():
    env = {"LOCK_STORE_URL": "redis://127.0.0.1:6379/0", "LOCK_STORE_IMPLEMENTATION": "rasa"}
    assert endpoints(env)["lock_store"]["type"] == "redis"
    with pytest.raises(ValueError, match="LOCK_STORE_IMPLEMENTATION"):
        endpoints({**env, "LOCK_STORE_IMPLEMENTATION": "memcached"})


@pytest.mark.parametrize(
    "env", [{"TRACKER_DB_URL": "mysql://x/y"}, {"LOCK_STORE_URL": "memcached://x"}]
)
def test_unsupported_urls_are_clear_errors(env):
    with pytest.raises(ValueError, match="supported|expected"):
        endpoints(env)


def test_postgres_query_options_reach_rasa():
    config = endpoints(
        {
            "TRACKER_DB_URL": "postgresql://127.0.0.1:5432/test?options=-csearch_path%3Dx&sslmode=require"
        }
    )
    assert config["tracker_store"]["query"] == {"options": "-csearch_path=x", "sslmode": "require"}


def test_written_endpoints_are_readable_by_rasa_and_private(tmp_path):
    from rasa.utils.endpoints import read_endpoint_config

    path = write_endpoints(
        tmp_path / "endpoints.yml",
        {
            "TRACKER_DB_URL": "postgresql://bot:pw@127.0.0.1:5432/rasa",
            "LOCK_STORE_URL": "redis://127.0.0.1:6379/0",
            "ACTION_PORT": "6055",
        },
    )
    assert path.stat().st_mode & 0o077 == 0  # holds the password: owner only
    lock = read_endpoint_config(str(path), "lock_store")
    assert lock.type == "bot.adapters.lock_store.AtomicRedisLockStore"
    assert lock.url == "127.0.0.1" and lock.kwargs["port"] == 6379
    assert read_endpoint_config(str(path), "action_endpoint").url == "http://127.0.0.1:6055/webhook"


@pytest.mark.parametrize(
    "replicas, env, problem",
    [
        (1, {}, None),
        (2, {}, "TRACKER_DB_URL"),
        (
            2,
            {"TRACKER_DB_URL": "sqlite:///var/x.db", "LOCK_STORE_URL": "redis://h:6379/0"},
            "TRACKER_DB_URL",
        ),
        (2, {"TRACKER_DB_URL": "postgresql://h/db"}, "LOCK_STORE_URL"),
        (3, {"TRACKER_DB_URL": "postgresql://h/db", "LOCK_STORE_URL": "redis://h:6379/0"}, None),
    ],
)
def test_several_replicas_need_shared_stores(replicas, env, problem):
    found = scaling_problem(replicas, env)
    assert (found is None) == (problem is None)
    if problem:
        assert problem in found


def test_unreachable_lock_store_is_a_clear_error():
    with pytest.raises(LockStoreUnreachable, match="redis://127.0.0.1:1/0"):
        check_lock_store("redis://127.0.0.1:1/0", timeout=2)
    check_lock_store(None)  # in-memory: nothing to reach


def test_create_database_if_missing(postgres_url):
    import uuid

    import sqlalchemy as sa

    name = f"pytest_db_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://127.0.0.1:5432/{name}"
    try:
        assert create_database_if_missing(url) is True
        assert create_database_if_missing(url) is False  # there now
        check_tracker_db(url)
    finally:
        admin = sa.create_engine(
            "postgresql://127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sa.text(f'drop database if exists "{name}"'))
        admin.dispose()
    assert create_database_if_missing("sqlite:///var/x.db") is False

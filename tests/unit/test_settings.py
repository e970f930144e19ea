"""The shared environment parsers: one error type whose message names the variable."""

from __future__ import annotations

import pytest

from bot import settings
from bot.settings import SettingsError, flag, number, port, seconds, text


def test_a_valid_whole_number_is_read():
    assert number({"N": "42"}, "N", 7, minimum=1) == 42
    assert number({"N": " 42 "}, "N", 7) == 42
    assert isinstance(number({"N": "42"}, "N", 7), int)


def test_a_valid_number_with_a_float_default_is_a_float():
    value = number({"X": "0.25"}, "X", 0.7, 0.01, 1.0)
    assert value == 0.25 and isinstance(value, float)
    assert isinstance(number({"X": "3"}, "X", 1.0), float)


@pytest.mark.parametrize("env", [{}, {"N": ""}, {"N": "   "}])
def test_a_missing_or_empty_variable_gives_the_default(env):
    assert number(env, "N", 7, minimum=1) == 7
    assert seconds(env, "N", 2.5) == 2.5
    assert port(env, "N", 8000) == 8000
    assert flag(env, "N", True) is True
    assert text(env, "N", "127.0.0.1") == "127.0.0.1"


def test_none_means_the_process_environment(monkeypatch):
    monkeypatch.setenv("BOT_SETTINGS_TEST", "12")
    assert number(None, "BOT_SETTINGS_TEST", 1) == 12
    monkeypatch.delenv("BOT_SETTINGS_TEST")
    assert number(None, "BOT_SETTINGS_TEST", 1) == 1


@pytest.mark.parametrize("value", ["abc", "1.5", "12d", "0x10"])
def test_not_a_whole_number_is_an_error_naming_the_variable_and_value(value):
    with pytest.raises(SettingsError, match=f"MY_COUNT={value!r}: expected a whole number"):
        number({"MY_COUNT": value}, "MY_COUNT", 3)


@pytest.mark.parametrize("value", ["abc", "nan", "1,5"])
def test_not_a_number_is_an_error_naming_the_variable_and_value(value):
    with pytest.raises(SettingsError, match=f"MY_RATIO={value!r}: expected a number"):
        number({"MY_RATIO": value}, "MY_RATIO", 0.5)


def test_the_unit_is_named_in_the_message():
    with pytest.raises(SettingsError, match="expected a whole number of days"):
        number({"DAYS": "many"}, "DAYS", 90, minimum=1, unit="days")


def test_below_the_minimum_is_an_error_naming_the_variable():
    with pytest.raises(SettingsError, match=r"MY_COUNT='0': must be at least 1"):
        number({"MY_COUNT": "0"}, "MY_COUNT", 3, minimum=1)
    assert number({"MY_COUNT": "1"}, "MY_COUNT", 3, minimum=1) == 1


def test_outside_a_range_is_an_error_naming_both_ends():
    with pytest.raises(SettingsError, match=r"R='1\.5': must be between 0\.01 and 1"):
        number({"R": "1.5"}, "R", 0.7, 0.01, 1.0)
    with pytest.raises(SettingsError, match=r"R='9': must be at most 5"):
        number({"R": "9"}, "R", 1, maximum=5)


def test_seconds_must_be_positive():
    assert seconds({"T": "0.5"}, "T", 5.0) == 0.5
    with pytest.raises(SettingsError, match="T='0': must be a positive number of seconds"):
        seconds({"T": "0"}, "T", 5.0)
    with pytest.raises(SettingsError, match="T='-2'"):
        seconds({"T": "-2"}, "T", 5.0)
    with pytest.raises(SettingsError, match="T='soon': expected a number of seconds"):
        seconds({"T": "soon"}, "T", 5.0)


@pytest.mark.parametrize("value", ["0", "65536", "http", "-1"])
def test_a_bad_port_is_an_error_naming_the_variable(value):
    with pytest.raises(SettingsError, match=f"RASA_PORT={value!r}"):
        port({"RASA_PORT": value}, "RASA_PORT", 5005)
    assert port({"RASA_PORT": "65535"}, "RASA_PORT", 5005) == 65535


def test_a_flag_is_off_only_for_zero():
    assert flag({"F": "0"}, "F", True) is False
    assert flag({"F": " 0 "}, "F", True) is False
    assert flag({"F": "1"}, "F", False) is True
    assert flag({"F": "yes"}, "F", False) is True


def test_the_error_is_a_value_error_and_the_old_names_are_the_same_type():
    from bot.review.settings import SettingsError as ReviewSettingsError
    from bot.web.config import ConfigError

    assert issubclass(SettingsError, ValueError)
    assert ConfigError is SettingsError is ReviewSettingsError


def test_every_section_raises_the_one_error_type():
    from bot.adapters.channels import Settings
    from bot.review.settings import ReviewSettings
    from bot.store.retention import retention_days, retention_decision
    from bot.web.config import WebConfig

    for parse, env in [
        (retention_decision, {"RETENTION_DECISION": "x" * 256}),
        (WebConfig.from_env, {"RATE_LIMIT_MESSAGES": "many"}),
        (ReviewSettings.from_env, {"REVIEW_CONFIDENCE_THRESHOLD": "2"}),
        (Settings.from_env, {"REPLY_DEADLINE_SECONDS": "-1"}),
        (retention_days, {"RETENTION_DAYS": "0"}),
    ]:
        name = next(iter(env))
        with pytest.raises(SettingsError, match=name):
            parse(env)


def test_the_settings_module_imports_nothing_of_ours_but_paths():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(settings.__file__).read_text(encoding="utf-8"))
    ours = {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot")
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name.startswith("bot")
    }
    assert ours <= {"bot.paths"}


def test_a_bad_port_stops_the_launcher_with_a_one_line_error(monkeypatch, capsys):
    from bot.ops import cli

    monkeypatch.setenv("ACTION_PORT", "http")
    assert cli.main(["shell"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == "Configuration error: ACTION_PORT='http': expected a whole number"


def test_a_secret_from_the_environment_is_used_as_it_is(tmp_path):
    value = "s" * 40
    assert settings.secret({"SECRET": value}, "SECRET", tmp_path / "secret") == value
    assert not (tmp_path / "secret").exists()
    with pytest.raises(SettingsError, match="SECRET: must be at least 32"):
        settings.secret({"SECRET": "short"}, "SECRET", tmp_path / "secret")


def test_a_missing_secret_is_made_once_private_and_kept(tmp_path):
    path = tmp_path / "var" / "secret"
    first = settings.secret({}, "SECRET", path)
    assert len(first) >= 32 and path.stat().st_mode & 0o777 == 0o600
    assert settings.secret({}, "SECRET", path) == first  # the next start reads it back
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no temporary left
    other = settings.secret({}, "SECRET", tmp_path / "elsewhere")
    assert other != first


def test_a_secret_file_too_short_is_an_error_naming_it(tmp_path):
    path = tmp_path / "secret"
    path.write_text("abc\n")
    with pytest.raises(SettingsError, match="secret"):
        settings.secret({}, "SECRET", path)


def test_the_retention_decision_is_optional_and_trimmed():
    from bot.store.retention import retention_decision

    assert retention_decision({}) is None
    assert retention_decision({"RETENTION_DECISION": "   "}) is None
    assert retention_decision({"RETENTION_DECISION": " KS 2026-0123 § 45 "}) == "KS 2026-0123 § 45"

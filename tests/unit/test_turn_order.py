"""bench/turn_order.py on hand-made event lists: what counts as lost, duplicated,
interleaved or mismatched."""

from __future__ import annotations

from bench.turn_order import StoredEvent, check_turns, numbered

SESSION = [
    ("action", {"name": "action_session_start"}),
    ("session_started", {}),
    ("action", {"name": "action_listen"}),
]


def events(*items: tuple[str, dict]) -> list[StoredEvent]:
    return [StoredEvent(i, kind, data) for i, (kind, data) in enumerate([*SESSION, *items])]


def user(text: str) -> tuple[str, dict]:
    return ("user", {"text": text})


def bot(text: str) -> tuple[str, dict]:
    return ("bot", {"text": text})


LISTEN = ("action", {"name": "action_listen"})


def test_whole_turns_pass():
    stored = events(user("a"), bot("A"), LISTEN, user("b"), bot("B"), LISTEN)
    check = check_turns(stored, ["a", "b"], {"a": ["A"], "b": ["B", "x"]})
    assert check.whole and check.stored == 2


def test_lost_duplicated_and_unexpected_are_counted():
    stored = events(user("a"), LISTEN, user("a"), LISTEN, user("z"), LISTEN)
    check = check_turns(stored, ["a", "b"])
    assert (check.lost, check.duplicated, check.unexpected) == (1, 1, 1)
    assert not check.whole


def test_a_turn_started_before_the_previous_ended_is_interleaved():
    stored = events(user("a"), user("b"), bot("A"), LISTEN, bot("B"), LISTEN)
    check = check_turns(stored, ["a", "b"])
    assert check.interleaved == 1 and not check.whole


def test_an_answer_stored_under_the_wrong_message_is_a_mismatch():
    stored = events(user("a"), bot("B"), LISTEN, user("b"), bot("A"), LISTEN)
    check = check_turns(stored, ["a", "b"], {"a": ["A"], "b": ["B"]})
    assert check.mismatched == 2
    # A late (fault) reply is left out of `replies`: only loss and order are checked.
    assert check_turns(stored, ["a", "b"], {}).whole


def test_a_message_reapplied_after_rewind_is_one_turn():
    stored = events(
        user("hm"),
        bot("Menade du?"),
        LISTEN,
        user("bygglov"),
        ("rewind", {}),
        LISTEN,
        user("bygglov"),
        bot("Bygglov"),
        LISTEN,
    )
    check = check_turns(stored, ["hm", "bygglov"], {"hm": ["Menade du?"], "bygglov": ["Bygglov"]})
    assert check.whole, check.summary()


def test_a_text_the_rest_channel_split_still_matches():
    stored = events(user("a"), bot("Första.\n\nAndra."), LISTEN)
    assert check_turns(stored, ["a"], {"a": ["Första.", "Andra."]}).whole
    assert not check_turns(stored, ["a"], {"a": ["Första."]}).whole


def test_numbered_makes_texts_distinct():
    assert numbered(["a", "a"]) == ["a (1)", "a (2)"]

"""Staff user names and conversation tags are matched whole: a trailing newline (which a
`$`-anchored pattern let through) makes them invalid."""

from __future__ import annotations

import pytest

from bot.review.accounts import AccountError, check_username
from bot.review.reviews import AnnotationError, clean_tag


def test_a_user_name_with_a_newline_is_refused() -> None:
    assert check_username("anna.berg") == "anna.berg"
    for bad in ("anna\n", "anna\nadmin", "\nanna"):
        with pytest.raises(AccountError):
            check_username(bad)


def test_a_tag_is_one_line() -> None:
    assert clean_tag("  Bygglov  fråga ") == "bygglov fråga"
    assert clean_tag("uppföljning\n") == "uppföljning"  # spaces, newlines folded first
    with pytest.raises(AnnotationError):
        clean_tag("<script>")

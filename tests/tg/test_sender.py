"""Splitting long HTML texts, and the keyboards built from the engine's buttons."""

from __future__ import annotations

from bot.shared.messages import Button
from bot.tg.sender import keyboard, marker_keyboard, split_html
from tests.tg_emulator import parse_html


def _valid(part: str) -> str:
    plain, _ = parse_html(part)
    return str(plain)


def test_a_short_text_is_one_part() -> None:
    assert split_html("Hello <b>there</b>") == ["Hello <b>there</b>"]


def test_cuts_prefer_paragraphs_then_lines_then_spaces() -> None:
    limit = 128 + 130  # 128 characters are kept for closing tags at each cut
    text = "a" * 60 + "\n\n" + "b" * 30 + "\n" + "c" * 200
    assert split_html(text, limit) == ["a" * 60, "b" * 30 + "\n" + "c" * 200]
    text = "a" * 60 + " " + "b" * 30 + "\n" + "c" * 200
    assert split_html(text, limit) == ["a" * 60 + " " + "b" * 30, "c" * 200]
    text = "a" * 60 + " " + "b" * 300
    assert split_html(text, limit) == ["a" * 60, "b" * 130, "b" * 170]


def test_a_tag_open_at_the_cut_is_closed_and_reopened() -> None:
    text = '<i>intro <a href="https://example.org/x">' + "word " * 300 + "</a> end</i>"
    parts = split_html(text, limit=600)
    assert len(parts) > 2
    for part in parts:
        assert len(part) <= 600
        _valid(part)  # raises if a tag is left open or broken
    assert parts[1].startswith('<i><a href="https://example.org/x">')
    joined = " ".join(_valid(p) for p in parts)
    assert joined.split() == _valid(text).split()


def test_never_cuts_inside_an_entity_or_a_tag() -> None:
    text = "&amp;" * 400 + "<b>bold</b>" * 100
    for part in split_html(text, limit=500):
        _valid(part)
        assert len(part) <= 500


def test_keyboards() -> None:
    rows = (
        (Button("Yes", token="3:yes"), Button("No", token="3:no")),
        (Button("Book", url="https://example.org/book"),),
    )
    markup = keyboard(rows)
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [
        ["3:yes", "3:no"],
        [None],
    ]
    assert markup.inline_keyboard[1][0].url == "https://example.org/book"
    assert keyboard(()) is None
    marker = marker_keyboard("Anxious")
    assert marker is not None and marker.inline_keyboard[0][0].text == "✓ Anxious"
    assert marker.inline_keyboard[0][0].callback_data == "noop"
    assert marker_keyboard(None) is None

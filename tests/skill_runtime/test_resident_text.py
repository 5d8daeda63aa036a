"""resident_text: tidying what residents said, and echoing it back in a read-back."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.skill_runtime.resident_text import one_line, speakable, tidy


@pytest.mark.parametrize(("value", "line"), [
    (None, ""), ("", ""), ("  two   words ", "two words"), ("line\none", "line one"), ("tab\there", "tab here"),
    ("zero\u200bwidth", "zerowidth"), ("\u202eright to left", "right to left"), ("a\u2028b", "a b"),
    ("\x00\x07", ""), (1234, "1234"), ("王芳 🙂", "王芳 🙂"),
])
def test_one_line(value: Any, line: str) -> None:
    assert one_line(value) == line


def test_tidy() -> None:
    assert tidy(None) == ""
    assert tidy("  the   library ") == "the library"
    assert tidy("x" * 500, limit=200) == "x" * 200
    assert tidy("first\nsecond") == "first second"
    assert tidy("first\nsecond", multiline=True) == "first\nsecond"
    assert tidy("\u202eleft") == "left"
    assert tidy(42) == "42"


def test_speakable() -> None:
    assert speakable("the tap 🚰 drips!", 100) == "the tap drips!"
    assert speakable("  many   spaces  ", 100) == "many spaces"
    assert speakable("one two three four", 10) == "one two ..."
    assert speakable("one, two three", 6) == "one ..."
    assert speakable("", 10) == ""


def test_speakable_keeps_words_apart_across_line_breaks() -> None:
    assert speakable("the stairs\nneed cleaning\tnow", 100) == "the stairs need cleaning now"

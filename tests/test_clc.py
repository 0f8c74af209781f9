"""中图法 class numbers: the 22 classes as data, and shapes accepted or refused."""

from __future__ import annotations

import pytest

from countylib.clc import CLASSES, TOP_CLASSES, class_name, is_class_number, main_class, parse_class_number
from countylib.errors import ValidationError


def test_the_22_top_classes_with_both_names():
    assert [c.code for c in TOP_CLASSES] == list("ABCDEFGHIJKNOPQRSTUVXZ")
    assert all(c.name_zh and c.name_en for c in TOP_CLASSES)
    assert class_name("I", "zh_CN") == "文学"
    assert class_name("TP", "en") == "Automation and computer technology"


@pytest.mark.parametrize(
    ("text", "kept", "main"),
    [
        ("I247.5", "I247.5", "I"),
        ("TP311.1", "TP311.1", "TP"),
        ("G250.76", "G250.76", "G"),
        ("D922.291.91", "D922.291.91", "D"),
        ("TP311.1-43", "TP311.1-43", "TP"),
        ("K250.6=49", "K250.6=49", "K"),
        ("I712(07)", "I712(07)", "I"),
        ("Z228", "Z228", "Z"),
        ("O4", "O4", "O"),
        ("T", "T", "T"),
        ("TU", "TU", "TU"),
        (" i247.5 ", "I247.5", "I"),  # case and spaces tidied
        ("I2475", "I247.5", "I"),  # the positional point put in
        ("G25076", "G250.76", "G"),
    ],
)
def test_valid_shapes(text, kept, main):
    number = parse_class_number(text)
    assert number.text == kept
    assert number.main == main
    assert main_class(text) == main
    assert number.top_class is CLASSES[main[0]]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is needed"),
        ("247.5", "is not a CLC class number"),
        ("I247.5.", "is not a CLC class number"),
        ("I24.75", "after every third digit"),
        ("I247.5/12", "is not a CLC class number"),
        ("L12", "no CLC class L"),
        ("W1", "no CLC class W"),
        ("TA12", "no CLC subclass TA"),
        ("T12", "start with a second letter"),
        ("IA3", "no CLC subclass IA"),
        ("红楼梦", "is not a CLC class number"),
    ],
)
def test_invalid_shapes_say_why(text, says):
    with pytest.raises(ValidationError) as info:
        parse_class_number(text)
    assert says in info.value.message
    assert not is_class_number(text)

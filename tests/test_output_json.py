"""JSON of the dossiers: the text json.dumps gives with two-space indents and sorted keys."""

import json

import pytest

from hazid.output.jsontext import dumps_indented

OPTIONS = {"indent": 2, "sort_keys": True, "ensure_ascii": False, "allow_nan": False}

SAME = [
    {},
    [],
    1,
    'x\n"é\x01',
    None,
    True,
    {"a": [1, [], {}], "b": {"c": {"d": [1, 2]}}},
    [[1, 2], [3, [4, {}]]],
    {"k": (1, 2)},
    {"z": True, "a": False, "m": None, "f": 2.5, "n": -0.0, "i": 10**30},
    [{"a": 1}, {"b": [1]}],
    {1: "x", 2.5: "y"},
    {"a": {2: 3, 5: [1]}},
    {"a": ["x", [1], "y"], "b": "s", "c": [{"d": {"e": ["f"]}}]},
]


@pytest.mark.parametrize("obj", SAME)
def test_text_is_the_one_json_dumps_gives(obj):
    assert dumps_indented(obj) == json.dumps(obj, **OPTIONS)


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ({"a": [float("nan"), [1]]}, ValueError),
        ([float("inf")], ValueError),
        ([[1], {"x": float("nan")}], ValueError),
        ({"a": object()}, TypeError),
        ([{"a": object()}, [1]], TypeError),
        ({"a": {2: 3, "b": [1]}}, TypeError),
    ],
)
def test_what_json_dumps_refuses_is_refused(obj, error):
    with pytest.raises(error, match=r"JSON|not supported"):
        json.dumps(obj, **OPTIONS)
    with pytest.raises(error, match=r"JSON|not supported"):
        dumps_indented(obj)

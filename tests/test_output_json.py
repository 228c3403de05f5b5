"""JSON of the dossiers: the text json.dumps gives with two-space indents and sorted keys."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    {"a": None, "b": [None, {"c": None}]},
    {"a": [[[[[[[[[[[[[[[[[[[{"x": 1}, [2]]]]]]]]]]]]]]]]]]]]},  # deeper than the indents kept
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


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(alphabet=st.sampled_from(list('ab"\\\n\x01é{}[],: ')), max_size=6),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "é", 'k"', "z\n", ""]), inner, max_size=5),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=4))
def test_objects_with_the_same_keys_again_give_json_dumps_text(objs):
    # the same keys at the same depth, in another order, reuse the laid-out keys
    for obj in (objs, {"x": objs, "y": [objs]}, [dict(reversed(o.items())) for o in objs if
                                                   isinstance(o, dict)]):  # fmt: skip
        assert dumps_indented(obj) == json.dumps(obj, **OPTIONS)

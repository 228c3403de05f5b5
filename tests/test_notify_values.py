"""Column helpers of the dossiers: the same values as the plain pandas expressions."""

import math

import pandas as pd
import pytest

from hazid.columns import isin as _isin
from hazid.notify.values import _records, _text, _upper_text

TEXTS = ["kaz", " uzb ", None, "", "straße", "Kgz"]


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_upper_text_is_text_upper_cased(dtype):
    df = pd.DataFrame({"c": pd.Series(TEXTS, dtype=dtype)})
    assert _upper_text(df, "c").tolist() == _text(df, "c").str.upper().tolist()
    ascii_only = df.loc[[0, 1, 2, 5]]
    assert _upper_text(ascii_only, "c").tolist() == ["KAZ", "UZB", "", "KGZ"]
    assert _upper_text(df, "c").tolist()[4] == "STRASSE"
    assert _upper_text(df, "missing").tolist() == [""] * len(df)


@pytest.mark.parametrize("dtype", [object, "str", "string"])
def test_isin_is_pandas_isin(dtype):
    s = pd.Series(TEXTS, dtype=dtype)
    for values in ({"kaz", "Kgz"}, {"kaz": 1}, ["", "x"], [1, "kaz"], set()):
        assert _isin(s, values).tolist() == s.isin(list(values)).tolist()


def test_records_are_to_dict_records():
    df = pd.DataFrame(
        {"a": pd.Series(["x", None], dtype="str"), "b": [1.5, float("nan")], "c": [1, 2]}
    )
    got, want = _records(df), df.to_dict("records")
    assert got[0] == want[0]
    assert [type(v) for v in got[1].values()] == [type(v) for v in want[1].values()]
    assert math.isnan(got[1]["a"]) and math.isnan(want[1]["a"])


def test_records_of_every_kind_of_column_are_those_of_to_dict():
    import numpy as np
    import shapely

    df = pd.DataFrame(
        {
            "str": pd.Series(["x", None, "y"], dtype="str"),
            "string": pd.Series(["x", None, "z"], dtype="string"),
            "obj": [np.int64(3), "t", np.float32(0.5)],  # NumPy numbers boxed as Python ones
            "f": [1.5, float("nan"), -0.0],
            "f32": np.array([0.1, 2, 3], dtype="float32"),
            "i": np.array([1, 2, 3], dtype="int32"),
            "b": [True, False, True],
            "Int64": pd.array([1, None, 3], dtype="Int64"),
            "boolean": pd.array([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(["2020-01-01", None, "2021-06-30"]),
            "cat": pd.Categorical(["u", "v", "u"]),
            "geom": [shapely.Point(0, 1), None, shapely.Point(2, 3)],
        }
    )
    text = {c: object for c, t in df.dtypes.items() if isinstance(t, pd.StringDtype)}
    got, want = _records(df), df.astype(text).to_dict("records")
    assert [list(r) for r in got] == [list(r) for r in want]
    for g, w in zip(got, want, strict=True):
        assert [type(v) for v in g.values()] == [type(v) for v in w.values()]
        assert [repr(v) for v in g.values()] == [repr(v) for v in w.values()]


BATCH = [
    "a.", "org", "x:", "//y", "<b>", "line\nbreak", None, 3.5, "",
    "e\ue000f", "www.x.org", "a&b'\"",
]  # fmt: skip


def test_markdown_escaped_at_once_is_each_value_escaped():
    from hazid.notify.markup import _md_escape_all, md_escape

    assert _md_escape_all(BATCH) == [md_escape(v) for v in BATCH]
    plain = ["a", "b c", "1,5"]
    assert _md_escape_all(plain) == plain
    assert _md_escape_all([v for v in BATCH if v != "e\ue000f"]) == [
        md_escape(v) for v in BATCH if v != "e\ue000f"
    ]


def test_html_escaped_at_once_is_each_value_escaped():
    import html

    from hazid.notify.markup import _html_escape_all

    texts = [str(v) for v in BATCH]
    assert _html_escape_all(texts) == [html.escape(t) for t in texts]
    assert _html_escape_all(texts[:-3]) == [html.escape(t) for t in texts[:-3]]
    with pytest.raises(AttributeError, match="replace"):
        _html_escape_all(["a", 1])

"""Column helpers in hazid.columns give exactly what pandas gives."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.columns import map_values
from hazid.inventory import read_inventory
from hazid.inventory.rows import _FORMULA_RE, _starts_like_formula, normalise_site_id

_TEXT = st.text(alphabet=st.sampled_from(["a", "B", " ", "\u00a0", "\u200b", "\uff2b", "ß", "-"]),
                max_size=4)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(_TEXT, max_size=30), st.sampled_from(["str", "object", "string[pyarrow]"]))
def test_map_values_is_series_map(values, dtype):
    s = pd.Series(values, dtype=dtype, name="x", index=range(100, 100 + len(values)))
    table = {"a": 1.5, "B": 2.0, "": 0.0}
    for mapper in (table, str.upper, len, lambda v: v.strip() or None, normalise_site_id):
        pd.testing.assert_series_equal(map_values(s, mapper), s.map(mapper), check_exact=True)


def test_map_values_leaves_missing_values_to_pandas():
    s = pd.Series(["a", None, "a"], dtype="object")
    pd.testing.assert_series_equal(map_values(s, {"a": 1}), s.map({"a": 1}))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["KG 7", "KG\u00a07", " KG  7 ", "kg 7", "A1", "\uff21\uff11",
                                 "x\u200by", "ß-1", "SS-1"]), min_size=1, max_size=12))  # fmt: skip
def test_site_ids_are_normalised_as_one_by_one(ids):
    table = pd.DataFrame({"site_id": ids, "lon": "70", "lat": "41", "substance": "chlorine",
                          "quantity": "1"})  # fmt: skip
    expected = [normalise_site_id(v) for v in ids]
    folded: dict[str, set[str]] = {}
    for v in expected:
        folded.setdefault(v.casefold(), set()).add(v)
    if any(len(v) > 1 for v in folded.values()):
        return  # ids that differ only in case are refused (tested in test_inventory_inputs)
    holdings = read_inventory(table, allow_duplicates=True)
    assert sorted(holdings["site_id"].unique()) == sorted(set(expected))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", " ", "\u3000",
                                                  "\x0b", "1", ".", "a", "Я", "\n"]),
                        max_size=4), max_size=20))  # fmt: skip
def test_formula_check_is_the_regex(values):
    text = pd.Series(values, dtype="str")
    expected = text.str.match(_FORMULA_RE.pattern).to_numpy(dtype=bool)
    assert _starts_like_formula(text).to_numpy().tolist() == expected.tolist()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("abcd"), max_size=12), st.lists(st.sampled_from("abcde"), max_size=8)
)
def test_last_rows_is_a_dict_of_the_rows(ids, wanted):
    from hazid.columns import last_rows

    row_of = {v: i for i, v in enumerate(ids)}  # a later row replaces an earlier one
    assert last_rows(np.array(ids, dtype=object), np.array(wanted, dtype=object)).tolist() == [
        row_of.get(v, -1) for v in wanted
    ]


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["a", "b", "Ü<", ""]), st.none()), max_size=10),
    st.lists(st.sampled_from(["a", "b", "Ü<", "", "c"]), max_size=8),
    st.sampled_from(["str", "object", "string[pyarrow]"]),
    st.sampled_from([set, list, tuple, frozenset]),
)
def test_isin_is_series_isin(rows, values, dtype, kind):
    from hazid.columns import isin

    s = pd.Series(rows, dtype=dtype, index=range(7, 7 + len(rows)))
    got = isin(s, kind(values))
    assert got.dtype == bool
    assert got.tolist() == s.isin(values).to_numpy(dtype=bool).tolist()


def test_isin_of_other_values_is_left_to_pandas():
    from hazid.columns import isin

    s = pd.Series(["a", None, np.nan, 1], dtype=object)
    expected = [True, True, False, False]  # None matches None (not NaN) in pandas
    assert isin(s, {None, "a"}).tolist() == s.isin([None, "a"]).tolist() == expected
    assert isin(pd.Series([1.0, np.nan]), [np.nan]).tolist() == [False, True]

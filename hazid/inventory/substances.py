"""Identifying each holding against Annex I: Part I categories, named substances and grades.

A holding is identified by its CAS number or its name (with synonyms) as a Part II named
substance, or else by its Part I categories; graded substances (ammonium nitrate ...) need a
grade to pick their Part II entry. A name and a CAS number that disagree are reported.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from hazid import tables
from hazid.columns import map_values
from hazid.inventory.problems import _Problems
from hazid.inventory.values import _norm_text

#: Category of a holding declared outside Annex I: listed, counted in no threshold or sum.
OUTSIDE = "none"
#: Cell texts that declare a holding outside Annex I (English, Russian, Kazakh; a dash).
OUTSIDE_TOKENS = frozenset({"none", "-", "\u2013", "\u2014", "нет", "жоқ"})
_CAS_RE = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")


def cas_is_valid(cas: str) -> bool:
    """Return whether a CAS registry number has the right form and check digit.

    Parameters
    ----------
    cas : str
        CAS number such as ``"7782-50-5"``.

    Returns
    -------
    bool

    Examples
    --------
    >>> cas_is_valid("7782-50-5")
    True
    >>> cas_is_valid("7782-50-4")
    False
    """
    m = _CAS_RE.match(str(cas).strip())
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(m.group(3))


def _split_category(text: str, canon: dict[str, str]) -> tuple[str, list[str]]:
    """Part I codes of a cell joined by ``;`` (or ``none``) and the parts not understood."""
    parts = [p for p in re.split(r"[;,\s/+]+", text.strip()) if p]
    outside = [p for p in parts if p.lower() in OUTSIDE_TOKENS]
    if outside:
        if len(outside) == len(parts):
            return OUTSIDE, []
        return "", [f"{outside[0]} (outside Annex I) together with other codes"]
    good = [canon[p.lower()] for p in parts if p.lower() in canon]
    bad = [p for p in parts if p.lower() not in canon]
    return ";".join(dict.fromkeys(good)), bad


def _categories(df: pd.DataFrame, problems: _Problems, codes: set[str]) -> pd.Series:
    """Part I codes of each holding; ``none`` for a holding declared outside Annex I."""
    if "category" not in df.columns:
        return pd.Series("", index=df.index)
    canon = {c.lower(): c for c in codes}
    uniq = pd.unique(df["category"].astype(str))
    mapping = {u: _split_category(u, canon) for u in uniq}
    out = map_values(df["category"].astype(str), lambda u: mapping[u][0])
    bad_mask = map_values(df["category"].astype(str), lambda u: bool(mapping[u][1]))
    for idx in np.flatnonzero(bad_mask.to_numpy()):
        u = str(df["category"].iloc[idx])
        problems.add(
            int(df["row"].iloc[idx]),
            "category",
            u,
            f"unknown Part I category {', '.join(mapping[u][1])}: "
            f"use codes such as H1, H2, P2, P5a, E1, O1, or none for a substance outside Annex I",
        )
    return out


def _identify(
    df: pd.DataFrame, categories: pd.Series, problems: _Problems
) -> tuple[pd.Series, pd.Series]:
    """Return the substance key and Part II item of every holding."""
    subs = tables.substances()
    syn = tables.synonyms()
    grade_tab = tables.grades()
    alias_to_key = dict(zip(syn["alias"], syn["key"], strict=True))
    cas_to_key: dict[str, str] = {}
    for key, cas in zip(subs["key"], subs["cas"], strict=True):
        for c in str(cas).split(";"):
            if c.strip():
                cas_to_key.setdefault(c.strip(), key)
    item_of_key = dict(zip(subs["key"], subs["part2_item"], strict=True))
    graded = set(grade_tab["key"])
    grade_item = {
        (k, " ".join(g.lower().split())): it
        for k, g, it in zip(
            grade_tab["key"], grade_tab["grade"], grade_tab["part2_item"], strict=True
        )
    }

    name = (
        _norm_text(df["substance"].astype(str))
        if "substance" in df.columns
        else pd.Series("", index=df.index)
    )
    cas = (
        df["cas"].astype(str).str.strip() if "cas" in df.columns else pd.Series("", index=df.index)
    )
    key_by_name = map_values(name, alias_to_key).fillna("")
    key_by_cas = map_values(cas, cas_to_key).fillna("")

    bad_cas = (cas != "") & ~map_values(cas, cas_is_valid)
    problems.add_many(
        bad_cas, df, "cas", "invalid CAS number (form NNNNNNN-NN-N with a check digit)"
    )
    clash = (key_by_name != "") & (key_by_cas != "") & (key_by_name != key_by_cas)
    for idx in np.flatnonzero(clash.to_numpy()):
        problems.add(
            int(df["row"].iloc[idx]),
            "cas",
            cas.iloc[idx],
            f"CAS {cas.iloc[idx]} is {key_by_cas.iloc[idx]} but substance says "
            f"{df['substance'].iloc[idx]!r}",
        )
    key = key_by_cas.where(key_by_cas != "", key_by_name)
    raw_cat = df["category"].astype(str).str.strip() if "category" in df.columns else categories
    unknown = (key == "") & (raw_cat == "") & ~bad_cas
    for idx in np.flatnonzero(unknown.to_numpy()):
        label = (df["substance"].iloc[idx] if "substance" in df.columns else "") or cas.iloc[idx]
        problems.add(
            int(df["row"].iloc[idx]),
            "substance",
            label,
            "unknown substance and no Part I category: give a category (e.g. H2;E1) "
            "or the name/CAS of a named substance",
        )

    item = map_values(key, item_of_key).fillna("")
    grade = (
        _norm_text(df["grade"].astype(str))
        if "grade" in df.columns
        else pd.Series("", index=df.index)
    )
    is_graded = key.isin(graded)
    if is_graded.any():
        g_item = map_values(  # NUL joins the key (a table key, never NUL) to the grade
            key.astype(str) + "\x00" + grade.astype(str),
            lambda kg: grade_item.get(tuple(kg.split("\x00", 1)), ""),
        )
        item = item.where(~is_graded, g_item)
        for idx in np.flatnonzero((is_graded & (g_item == "")).to_numpy()):
            k = key.iloc[idx]
            allowed = sorted(grade_tab.loc[grade_tab.key == k, "grade"].unique())
            problems.add(
                int(df["row"].iloc[idx]),
                "grade",
                grade.iloc[idx],
                f"{k.replace('_', ' ')} needs a grade to pick its Part II entry: one of "
                f"{', '.join(allowed)}",
            )
    item_num = pd.to_numeric(item.where(item != ""), errors="coerce").astype("Int64")
    return key, item_num

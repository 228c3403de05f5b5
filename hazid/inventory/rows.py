"""Row-level checks that guard against silent wrong results.

- Cells longer than :attr:`InputLimits.max_cell_chars` are refused before anything is parsed.
- Site ids are normalised (Unicode NFKC, zero-width characters removed, runs of white space,
  no-break spaces included, made one space) so that one plant is not split in two by invisible
  characters; ids that still differ only in letter case are reported, as they usually mean one
  site written two ways.
- Free text that a spreadsheet would run as a formula (``=``, ``+``, ``@``, ``-`` followed by a
  letter) is kept exactly as read, leading white space included, so that the output escaping
  sees it, and a warning names the rows.
- Exact duplicate rows (a paste) are an error listing them, since adding them up would double a
  quantity; ``allow_duplicates`` adds them up instead, with a warning.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from hazid.columns import map_values
from hazid.inventory.columns import ZERO_WIDTH
from hazid.inventory.limits import InputLimits
from hazid.inventory.problems import _Problems, _row_list

#: Free-text columns kept as read when they look like a formula.
TEXT_COLUMNS = ("site_name", "operator", "address", "activity_type", "substance")
#: Text a spreadsheet would run as a formula (after any leading white space).
_FORMULA_RE = re.compile(r"\s*(?:[=+@\t\r]|-[^\d\s.,])")


def normalise_site_id(value: str) -> str:
    r"""Return a site id in Unicode NFKC, without zero-width characters, with single spaces.

    Parameters
    ----------
    value : str
        A site id as written.

    Returns
    -------
    str

    Examples
    --------
    >>> normalise_site_id("KG\u00a07")
    'KG 7'
    >>> normalise_site_id(" KG\u200b-7 ")
    'KG-7'
    >>> normalise_site_id("\uff2b\uff27-7")  # full-width letters
    'KG-7'
    """
    text = unicodedata.normalize("NFKC", str(value)).translate(ZERO_WIDTH)
    return " ".join(text.split())


def _long_cells(raw: pd.DataFrame, problems: _Problems, limits: InputLimits) -> bool:
    """Report every cell longer than the limit; return whether there was none."""
    ok = True
    for i, col in enumerate(raw.columns):
        cells = raw.iloc[:, i].astype(str)
        lengths = cells.str.len()
        for pos in (lengths > limits.max_cell_chars).to_numpy().nonzero()[0]:
            ok = False
            problems.add(
                int(pos) + 1,
                str(col),
                cells.iloc[pos],
                f"the cell has {int(lengths.iloc[pos]):,} characters (at most "
                f"{limits.max_cell_chars:,} are read)",
            )
    return ok


def _starts_like_formula(text: pd.Series) -> pd.Series:
    """Whether each text matches :data:`_FORMULA_RE` at its start.

    Only texts starting with something other than an ASCII letter or digit can; Arrow picks
    them out, and Python's ``re`` (whose white space Arrow's does not match) checks those.
    """
    maybe = text.str.match(r"[^0-9A-Za-z]").to_numpy(dtype=bool)
    found = np.zeros(len(text), dtype=bool)
    if maybe.any():
        found[maybe] = text[maybe].str.match(_FORMULA_RE.pattern).to_numpy(dtype=bool)
    return pd.Series(found, index=text.index)


def _trim_text(df: pd.DataFrame, problems: _Problems) -> None:
    """Trim white space around text cells, except where the cell looks like a formula."""
    flagged: dict[str, list[int]] = {}
    for col in ("site_id", "site_name", "operator", "country", "substance", "cas", "grade"):
        if col not in df.columns:
            continue
        text = df[col].astype(str)
        stripped = text.str.strip()
        if col in TEXT_COLUMNS:
            formula = _starts_like_formula(text)
            if formula.any():
                flagged[col] = df.loc[formula, "row"].tolist()
            stripped = stripped.where(~formula, text)
        df[col] = stripped
    for col, rows in flagged.items():
        problems.warn(
            f"{col} in row(s) {_row_list(rows)} starts like a spreadsheet formula: kept as "
            "text, exactly as read"
        )


#: A site id of printable ASCII with single inner spaces, which normalising leaves unchanged.
_PLAIN_ID = r"[!-~]+(?: [!-~]+)*"


def _normalise_site_ids(df: pd.DataFrame, problems: _Problems) -> None:
    """Normalise site ids in place and report ids that differ only in letter case."""
    before = df["site_id"].astype(str)
    after = before.copy()
    odd = ~before.str.fullmatch(_PLAIN_ID).to_numpy(dtype=bool)  # others are unchanged
    if odd.any():
        after[odd] = map_values(before[odd], normalise_site_id)
    changed = before.str.strip() != after
    if changed.any():
        problems.warn(
            f"site_id normalised (Unicode NFKC, no-break and zero-width spaces) in row(s) "
            f"{_row_list(df.loc[changed, 'row'].tolist())}"
        )
    df["site_id"] = after
    ids = pd.Series(pd.unique(after[after != ""]))
    folded = map_values(ids, str.casefold)
    clash = folded.duplicated(keep=False).to_numpy()
    spellings: dict[str, list[str]] = {}
    for v, f in zip(ids[clash].tolist(), folded[clash].tolist(), strict=True):
        spellings.setdefault(f, []).append(v)
    for variants in (v for v in spellings.values() if len(v) > 1):
        firsts = {v: df.loc[after == v, "row"].tolist() for v in variants}
        listed = "; ".join(f"{v!r} in row(s) {_row_list(r)}" for v, r in firsts.items())
        for v in variants[1:]:
            problems.add(
                firsts[v][0],
                "site_id",
                v,
                f"site ids that differ only in letter case: {listed}; write one site the same "
                "way in every row",
            )


def _duplicates(df: pd.DataFrame, problems: _Problems, *, allow: bool) -> None:
    """Report rows that repeat an earlier row exactly (or add them up when allowed)."""
    cells = df.drop(columns="row").astype(str)
    repeat = cells.duplicated(keep="first")
    if not repeat.any():
        return
    key = pd.util.hash_pandas_object(cells, index=False)
    first_of = df["row"].groupby(key.to_numpy()).transform("first")
    rows = df.loc[repeat, "row"].tolist()
    if allow:
        problems.warn(
            f"row(s) {_row_list(rows)} repeat earlier rows exactly: their quantities are added "
            "up (duplicates allowed)"
        )
        return
    for idx in repeat[repeat].index:
        first = int(first_of[idx])
        problems.add(
            int(df.at[idx, "row"]),
            "",
            f"same as row {first}",
            f"row {int(df.at[idx, 'row'])} repeats row {first} exactly (a pasted row?): delete "
            "it, or allow duplicates (allow_duplicates=True, --allow-duplicates) to add them up",
        )

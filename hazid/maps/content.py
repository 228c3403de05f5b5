"""Text of the HTML map: site status, popups of sites (inventory, reasons, affected Parties).

Every value from the inputs is HTML-escaped before it is put into a popup or a tooltip.
"""

from __future__ import annotations

import html
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid.maps.rows import site_groups
from hazid.maps.styles import SITE_STATUS_STYLE
from hazid.notify.markup import _escape_joined


def _esc(value: Any) -> str:
    """HTML-escape a value; missing values give an empty string."""
    if value is None:
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return html.escape(str(value), quote=True)


#: columns from this length are escaped at once (joined, escaped, split); shorter ones value
#: by value
_AT_ONCE_FROM = 1000


def _esc_series(values: pd.Series, *, at_once_from: int = _AT_ONCE_FROM) -> pd.Series:
    """:func:`_esc` of every value of a column, at once (object strings, same index).

    Examples
    --------
    >>> _esc_series(pd.Series(["a<b", None, 1.5, "O'Neil & Co"])).tolist()
    ['a&lt;b', '', '1.5', 'O&#x27;Neil &amp; Co']
    """
    out_list = _esc_values(values, at_once_from=at_once_from)
    return pd.Series(out_list, index=values.index, dtype=object)


def _esc_values(values: pd.Series, *, at_once_from: int = _AT_ONCE_FROM) -> list[str]:
    """:func:`_esc_series` as a list (without making a Series).

    Examples
    --------
    >>> _esc_values(pd.Series(["a<b", None, float("nan"), 2]))
    ['a&lt;b', '', '', '2']
    """
    if isinstance(values.dtype, pd.StringDtype) and len(values) >= at_once_from:
        # texts repeat (substances, operators, categories): each distinct one escaped once
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        once = _esc_values(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
        return np.asarray([*once, ""], dtype=object)[codes].tolist()  # code -1: missing
    text = values.to_numpy(dtype=object)
    missing = pd.isna(text).tolist()
    esc = html.escape
    if len(text) < at_once_from:
        return [
            "" if m else esc(str(v), quote=True)
            for v, m in zip(text.tolist(), missing, strict=True)
        ]
    strs = ["" if m else str(v) for v, m in zip(text.tolist(), missing, strict=True)]
    return _escape_joined(strs, lambda t: esc(t, quote=True))  # joined, escaped, split


def _esc_list(values: list[Any]) -> list[str]:
    """:func:`_esc_series` of a list of values, as a list.

    Examples
    --------
    >>> _esc_list(["a<b", None])
    ['a&lt;b', '']
    """
    return _esc_values(pd.Series(values, dtype=object))


def _fmt(value: Any) -> str:
    """Format a number for display (3 significant digits, thousands separated)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "–"
    if not np.isfinite(x):
        return "–"
    if abs(x) >= 999.5:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _col(df: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """Column ``name`` of ``df``, or a column of ``default`` when absent."""
    if name in df.columns:
        return df[name]
    return pd.Series([default] * len(df), index=df.index, dtype=object)


def _text_col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column as HTML-escaped strings (missing values empty)."""
    return _esc_series(_col(df, name))


def _num_col(df: pd.DataFrame, name: str) -> pd.Series:
    """Column as formatted numbers (as :func:`_fmt`, a column at a time)."""
    col = pd.to_numeric(_col(df, name), errors="coerce")
    out = _fmt_array(col.to_numpy(dtype=float, na_value=np.nan))
    return pd.Series(out, index=col.index, dtype=object)


def _fmt_array(x: np.ndarray) -> np.ndarray:
    """:func:`_fmt` of each number of a float array (object array of texts).

    Examples
    --------
    >>> _fmt_array(np.array([1234.5, 0.01234, np.nan, -0.0])).tolist()
    ['1,234', '0.0123', '–', '-0']
    """
    out = np.full(len(x), "–", dtype=object)
    finite = np.isfinite(x)
    big = finite & (np.abs(x) >= 999.5)
    small = finite & ~big
    out[big] = [f"{v:,.0f}" for v in x[big].tolist()]
    out[small] = [f"{v:.3g}" for v in x[small].tolist()]
    return out


def _lookup(keys: pd.Series, mapping: Any) -> pd.Series:
    """Map ``keys`` through ``mapping`` (dict or Series) to strings, missing -> ``""``."""
    out = keys.map(mapping).astype(object)
    return out.where(out.notna(), "").astype(object)


def _truthy(s: pd.Series) -> pd.Series:
    """Booleans from a column that may hold bools, 0/1, strings or missing values."""
    if s.dtype == np.bool_:  # True and False, as their texts "true" and "false" would give
        return pd.Series(s.to_numpy(), index=s.index, dtype=bool)
    yes = _TRUE_TEXTS
    flags = [str(v).strip().lower() in yes for v in s.astype(object).tolist()]
    return pd.Series(flags, index=s.index, dtype=bool)


_TRUE_TEXTS = frozenset(["true", "1", "1.0", "yes", "y"])


def _site_status(sites: gpd.GeoDataFrame, affected: pd.DataFrame | None) -> pd.Series:
    """``notify`` / ``domestic`` / ``other`` for each site."""
    hazardous = _truthy(_col(sites, "hazardous", False))
    notifying = (
        sites["site_id"].isin(affected["site_id"])
        if affected is not None
        else pd.Series(False, index=sites.index)
    )
    status = np.where(hazardous & notifying, "notify", np.where(hazardous, "domestic", "other"))
    return pd.Series(status, index=sites.index, dtype=object)


def _site_country(sites: pd.DataFrame) -> pd.Series:
    """ISO3 of each site: ``site_country`` when known, else the inventory ``country``."""
    sc = _stripped(_col(sites, "site_country", ""))
    c = _stripped(_col(sites, "country", ""))
    out = [a or b for a, b in zip(sc, c, strict=True)]
    return pd.Series(out, index=sites.index, dtype=object)


def _stripped(values: pd.Series) -> list[str]:
    """``str(v).strip()`` of each value of a column, ``""`` for the missing ones.

    A text column is stripped one distinct value at a time.

    Examples
    --------
    >>> _stripped(pd.Series([" UZB", None, "KAZ ", " UZB"], dtype="str"))
    ['UZB', '', 'KAZ', 'UZB']
    """
    if isinstance(values.dtype, pd.StringDtype):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        once = [str(u).strip() for u in np.asarray(uniques, dtype=object).tolist()]
        return np.asarray([*once, ""], dtype=object)[codes].tolist()  # code -1: missing
    return [str(v).strip() for v in _filled(values, "")]


def _filled(values: pd.Series, fill: Any) -> list[Any]:
    """Values of a column as a list, ``fill`` for the missing ones.

    As ``values.astype(object).where(values.notna(), fill).tolist()``, without the Series.

    Examples
    --------
    >>> _filled(pd.Series(["a", None, float("nan"), 1.5]), "")
    ['a', '', '', 1.5]
    """
    text = values.to_numpy(dtype=object)
    return [fill if m else v for v, m in zip(text.tolist(), pd.isna(text).tolist(), strict=True)]


def _texts(df: pd.DataFrame, name: str) -> list[str]:
    """Column as a list of HTML-escaped strings (missing values empty)."""
    return _esc_values(_col(df, name))


def _nums(df: pd.DataFrame, name: str) -> list[str]:
    """Column as a list of formatted numbers (as :func:`_num_col`)."""
    col = pd.to_numeric(_col(df, name), errors="coerce")
    return _fmt_array(col.to_numpy(dtype=float, na_value=np.nan)).tolist()


def _inventory_rows(holdings: pd.DataFrame | None) -> dict[str, str]:
    """HTML table rows of the holdings, joined per ``site_id``."""
    if holdings is None:
        return {}
    rows = [
        f'<tr><td>{s or k or c}</td><td class="n">{q}</td><td>{a}</td><td class="n">{r}</td></tr>'
        for s, k, c, q, a, r in zip(
            _texts(holdings, "substance"),
            _texts(holdings, "substance_key"),
            _texts(holdings, "categories"),
            _nums(holdings, "quantity_t"),
            _texts(holdings, "annex_entry"),
            _nums(holdings, "ratio"),
            strict=True,
        )
    ]
    return _joined(rows, holdings["site_id"])


def _joined_by_site(rows: pd.Series, site_ids: pd.Series) -> pd.Series:
    """Texts of the rows of each site joined in row order, indexed by site in order of appearance.

    As ``rows.groupby(site_ids, sort=False).agg("".join)``, in one pass.

    Examples
    --------
    >>> _joined_by_site(pd.Series(["a", "b", "c"]), pd.Series(["S2", "S1", "S2"])).to_dict()
    {'S2': 'ac', 'S1': 'b'}
    >>> _joined_by_site(pd.Series([], dtype=object), pd.Series([], dtype=object)).empty
    True
    """
    joined = _joined(rows.tolist(), site_ids)
    return pd.Series(list(joined.values()), index=pd.Index(list(joined)), dtype=object)


def _joined(rows: list[str], site_ids: pd.Series) -> dict[str, str]:
    """:func:`_joined_by_site` of a list of texts, as a dict (site id: joined texts)."""
    uniques, order, ends_at = site_groups(site_ids)
    texts = [rows[i] for i in order.tolist()]
    ends = ends_at.tolist()
    starts = [0, *ends[:-1]] if ends else []
    joined = ["".join(texts[a:b]) for a, b in zip(starts, ends, strict=True)]
    return dict(zip(uniques.tolist(), joined, strict=True))


def _is_water(affected: pd.DataFrame) -> pd.Series:
    """Flag the rows of the water pathway."""
    pathway = [  # a missing pathway (kept missing by the text type) as an empty one
        p.lower() if isinstance(p, str) else ""
        for p in _col(affected, "pathway", "").astype(str).tolist()
    ]
    timed = pd.to_numeric(_col(affected, "arrival_h"), errors="coerce").notna().tolist()
    water = [
        "water" in p or "river" in p or ("air" not in p and t)
        for p, t in zip(pathway, timed, strict=True)
    ]
    return pd.Series(water, index=affected.index, dtype=bool)


def _affected_rows(affected: pd.DataFrame | None) -> dict[str, str]:
    """HTML table rows of the affected Parties, joined per ``site_id``."""
    if affected is None:
        return {}
    water = _is_water(affected).tolist()
    uncertain = _truthy(_col(affected, "uncertain", False)).tolist()
    air = zip(
        _texts(affected, "hazard"),
        _nums(affected, "zone_km"),
        _nums(affected, "border_km"),
        _nums(affected, "margin_km"),
        uncertain,
        strict=True,
    )
    river = zip(
        _texts(affected, "river"),
        _nums(affected, "river_km"),
        _nums(affected, "arrival_h"),
        _nums(affected, "peak_mg_l"),
        strict=True,
    )
    rows = []
    for w, a, r, party, pathway in zip(
        water, air, river, _texts(affected, "affected"), _texts(affected, "pathway"), strict=True
    ):
        if w:
            fig = f"{r[0]}: {r[1]} km downstream; arrival {r[2]} h; peak {r[3]} mg/L"
        else:
            fig = f"{a[0]} zone {a[1]} km; border at {a[2]} km; margin {a[3]} km" + (
                " (uncertain)" if a[4] else ""
            )
        rows.append(f"<tr><td>{party}</td><td>{pathway}</td><td>{fig}</td></tr>")
    return _joined(rows, affected["site_id"])


_INVENTORY_HEAD = "<table><tr><th>Substance</th><th>t</th><th>Annex I</th><th>q/Q</th></tr>"
_AFFECTED_HEAD = "<table><tr><th>Affected Party</th><th>Pathway</th><th>Figures</th></tr>"


def _site_popups(
    sites: gpd.GeoDataFrame,
    status: pd.Series,
    holdings: pd.DataFrame | None,
    affected: pd.DataFrame | None,
) -> list[str]:
    """Popup HTML of each site."""
    ids = sites["site_id"]
    inv, aff = _inventory_rows(holdings), _affected_rows(affected)
    n_aff = _parties_by_site(affected)
    labels = {k: v["label"] for k, v in SITE_STATUS_STYLE.items()}
    out = []
    for i, e, name, operator, country, reasons, st in zip(
        ids.tolist(),
        _esc_values(ids),
        _texts(sites, "site_name"),
        _texts(sites, "operator"),
        _esc_values(_site_country(sites)),
        _texts(sites, "reasons"),
        status.tolist(),
        strict=True,
    ):
        status_txt = labels[st] + (f" ({n_aff.get(i, 0)} Parties)" if st == "notify" else "")
        rows = inv.get(i, "")
        inv_html = _INVENTORY_HEAD + rows + "</table>" if rows else "<div>No holdings listed.</div>"
        reasons_html = f"<div><b>Reasons:</b> {reasons}</div>" if reasons else ""
        rows = aff.get(i, "")
        aff_html = _AFFECTED_HEAD + rows + "</table>" if rows else ""
        out.append(
            f'<div class="hz-pop"><div class="hz-h">{name or e}</div><div class="hz-s">'
            f'{e} · {operator} · {country}</div><div class="hz-st hz-{st}">{status_txt}</div>'
            f"{inv_html}{reasons_html}{aff_html}</div>"
        )
    return out


def _parties_by_site(affected: pd.DataFrame | None) -> dict[Any, int]:
    """Count the distinct affected Parties of each site (missing ones not counted).

    As ``affected.groupby("site_id")["affected"].nunique().to_dict()`` for the sites with a
    Party, in one pass.

    Examples
    --------
    >>> _parties_by_site(pd.DataFrame({"site_id": ["a", "b", "a", "a"],
    ...                                "affected": ["X", None, "Y", "X"]}))
    {'a': 2}
    """
    if affected is None:
        return {}
    parties: dict[Any, set[Any]] = {}
    for site, party in zip(
        _filled(affected["site_id"], None), _filled(affected["affected"], None), strict=True
    ):
        if site is not None and party is not None:
            parties.setdefault(site, set()).add(party)
    return {k: len(v) for k, v in parties.items()}


def _swatch(kind: str, colour: str, fill: str | None = None, opacity: float = 1.0) -> str:
    """Return a small legend / layer-control swatch."""
    if kind == "line":
        return f'<span class="hz-sw hz-line" style="border-color:{colour}"></span>'
    if kind == "dash":
        return f'<span class="hz-sw hz-dash" style="border-color:{colour}"></span>'
    bg = fill or "transparent"
    cls = "hz-sw hz-dot" if kind == "dot" else "hz-sw"
    return (
        f'<span class="{cls}" style="border-color:{colour};background:{bg};'
        f'opacity:{opacity:.2f}"></span>'
    )

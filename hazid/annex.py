"""Classify sites under Annex I of the Industrial Accidents Convention.

The rules (Annex I notes, carried over from Seveso III):

1. A substance named in Part II uses its Part II threshold, even if it also falls in a Part I
   category; every other substance is classified by its Part I categories.
2. Where several Part I categories apply, the lowest threshold applies to the substance's own
   qualifying check.
3. Summation: a site is also hazardous when, within the health (H1-H3), physical (P1-P8) or
   environmental (E1-E2) group, the sum of ``q / Q`` reaches 1. A named substance counts in every
   group its classification puts it in, with its Part II threshold; an unnamed substance counts
   with the lowest threshold of its categories in that group. O1-O3 are never summed.
4. A holding flagged ``isolated_small`` at no more than 2 % of its threshold is left out of the
   sums (never applied without the flag).
5. Optionally, sites within ``cluster_km`` of each other are also classified together.

Comparisons use a relative tolerance of 1e-9 so that, e.g., 0.8 + 0.2 counts as 1.
"""

from __future__ import annotations

import itertools
import logging
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from hazid import tables
from hazid.errors import check_choice

logger = logging.getLogger(__name__)

__all__ = ["GROUPS", "AnnexResult", "classify", "cluster_sites"]

#: Summation groups in output order.
GROUPS: tuple[str, ...] = ("health", "physical", "environmental")
#: Share of its threshold under which an ``isolated_small`` holding leaves the sums.
SMALL_SHARE = 0.02
#: Category of a holding declared outside Annex I in the inventory, and its ``annex_entry``.
OUTSIDE = "none"
OUTSIDE_ENTRY = "outside Annex I"
_TOL = 1e-9


class AnnexResult(NamedTuple):
    """Result of :func:`classify`: one table of sites and one of holdings."""

    sites: gpd.GeoDataFrame
    holdings: pd.DataFrame


def _fmt_t(q: float) -> str:
    return f"{q:,.6g} t".replace(",", " ") if q >= 1000 else f"{q:.6g} t"


def _combo_codes(df: pd.DataFrame, cols: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Integer id of each row's combination of ``cols`` and the first row of each id."""
    combined = np.zeros(len(df), dtype=np.int64)
    for col in cols:
        codes, uniques = pd.factorize(df[col], use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
    codes, _ = pd.factorize(combined)
    _, first = np.unique(codes, return_index=True)
    return codes, first


def _entry_table(combos: pd.DataFrame, regime_col: str, version: str) -> pd.DataFrame:
    """Thresholds per (item, category, key, groups override) combination, in input order."""
    p1 = tables.annex_part1(version).set_index("code")
    p2 = tables.annex_part2(version).set_index("item")
    subs = tables.substances().set_index("key")
    order = {c: i for i, c in enumerate(p1.index)}
    rows = []
    for item, cats, key, override in combos.itertuples(index=False):
        if cats == OUTSIDE:  # declared outside Annex I: listed, in no threshold or sum
            rows.append(
                {"_item": item, "category": cats, "substance_key": key,
                 "groups_override": override, "annex_entry": OUTSIDE_ENTRY,
                 "threshold_t": np.nan, "categories": OUTSIDE, "groups": "",
                 **{f"th_{g}": np.nan for g in GROUPS}}
            )  # fmt: skip
            continue
        codes = [c for c in cats.split(";") if c]
        if not codes and key and key in subs.index:
            codes = [c for c in subs.at[key, "categories"].split(";") if c]
        group_th = {g: np.nan for g in GROUPS}
        for c in codes:
            g = p1.at[c, "group"]
            if g in group_th:
                th = p1.at[c, regime_col]
                group_th[g] = th if np.isnan(group_th[g]) else min(group_th[g], th)
        if item:
            threshold = float(p2.at[int(item), regime_col])
            entry = f"II-{int(item)}"
            if override:
                groups = override.split(";")
            elif codes:
                groups = [g for g in GROUPS if not np.isnan(group_th[g])]
            elif key in subs.index:
                groups = [g for g in subs.at[key, "groups"].split(";") if g]
            else:
                groups = []
            group_th = {g: (threshold if g in groups else np.nan) for g in GROUPS}
        else:
            ths = {c: float(p1.at[c, regime_col]) for c in codes}
            code = min(ths, key=lambda c: (ths[c], order[c]))
            threshold = ths[code]
            entry = f"I-{code}"
            if override:
                groups = override.split(";")
                group_th = {g: (group_th[g] if g in groups else np.nan) for g in GROUPS}
            groups = [g for g in GROUPS if not np.isnan(group_th[g])]
        rows.append(
            {
                "_item": item,
                "category": cats,
                "substance_key": key,
                "groups_override": override,
                "annex_entry": entry,
                "threshold_t": threshold,
                "categories": ";".join(codes),
                "groups": ";".join(groups),
                **{f"th_{g}": group_th[g] for g in GROUPS},
            }
        )
    return pd.DataFrame(rows)


def _graded_categories(h: pd.DataFrame) -> pd.Series:
    """Categories picked by a concentration grade (:func:`hazid.tables.category_grades`).

    Only for holdings without a category of their own; an unknown or missing grade keeps the
    substance's default (the stricter grade).
    """
    cg = tables.category_grades()
    graded = h["substance_key"].isin(set(cg["key"])) & (h["category"] == "")
    if "grade" not in h.columns or not graded.any():
        return h["category"]
    lookup = dict(zip(zip(cg["key"], cg["grade"], strict=True), cg["categories"], strict=True))
    sub = h.loc[graded]
    grade = sub["grade"].fillna("").astype(str).map(lambda v: " ".join(v.lower().split()))
    picked = [lookup.get(kg, "") for kg in zip(sub["substance_key"], grade, strict=True)]
    out = h["category"].copy()
    out.loc[graded] = picked
    return out


def _entry_label(entry: str) -> str:
    part, code = entry.split("-", 1)
    return f"Part II item {code}" if part == "II" else f"Part I {code}"


def _display_names(h: pd.DataFrame) -> pd.Series:
    subs = tables.substances().set_index("key")["name"]
    by_key = h["substance_key"].map(subs)
    name = h["substance"].where(h["substance"] != "", by_key)
    name = name.where(name.notna() & (name != ""), h["cas"])
    return name.where(name != "", "category " + h["categories"]).astype(str)


def _join_runs(keys: pd.Series, texts: pd.Series, sep: str) -> pd.Series:
    """Join texts of consecutive equal keys (one pass; keys must be grouped together)."""
    out_keys, out_text = [], []
    for k, grp in itertools.groupby(zip(keys.tolist(), texts.tolist(), strict=True), key=_first):
        out_keys.append(k)
        out_text.append(sep.join(t for _, t in grp))
    return pd.Series(out_text, index=pd.Index(out_keys, name="_unit"), dtype=object)


def _first(pair: tuple) -> object:
    return pair[0]


def _assess(h: pd.DataFrame, unit: np.ndarray) -> pd.DataFrame:
    """Ratios and reasons per assessment unit (a site, or a cluster of sites), by unit code."""
    h = h.assign(_unit=unit)
    # one substance present in several rows of a unit is added up before its own check
    single = (
        h.groupby(["_unit", "_ident", "_entry"], sort=False)
        .agg(
            q=("quantity_t", "sum"),
            th=("threshold_t", "first"),
            name=("display", "first"),
            annex_entry=("annex_entry", "first"),
        )
        .reset_index()
    )
    single["ratio"] = single["q"] / single["th"]
    out = pd.DataFrame(index=pd.Index(np.unique(unit), name="_unit"))
    out["max_single_ratio"] = single.groupby("_unit")["ratio"].max()
    sums = h.groupby("_unit")[[f"r_{g}" for g in GROUPS]].sum()
    for g in GROUPS:
        out[f"{g}_ratio"] = sums[f"r_{g}"]
    out = out.fillna(0.0)
    flags = out["max_single_ratio"] >= 1 - _TOL
    for g in GROUPS:
        flags |= out[f"{g}_ratio"] >= 1 - _TOL
    out["hazardous"] = flags

    # reasons, built per row and joined per unit (no loop over units)
    pieces = []  # (unit, order, text)
    over = single[single["ratio"] >= 1 - _TOL].sort_values(
        ["_unit", "ratio"], ascending=[True, False], kind="stable"
    )
    if len(over):
        text = [
            f"{n} {_fmt_t(q)} >= {_fmt_t(t)} ({_entry_label(e)})"
            for n, q, t, e in zip(
                over["name"].tolist(),
                over["q"].tolist(),
                over["th"].tolist(),
                over["annex_entry"].tolist(),
                strict=True,
            )
        ]
        pieces.append(pd.DataFrame({"_unit": over["_unit"].to_numpy(), "o": 0, "t": text}))
    for k, g in enumerate(GROUPS, start=1):
        col = f"r_{g}"
        hit = out.index[out[f"{g}_ratio"] >= 1 - _TOL]
        if len(hit) == 0:
            continue
        parts = h.loc[h["_unit"].isin(hit) & (h[col] > 0)]
        parts = parts.groupby(["_unit", "display"], sort=False)[col].sum().reset_index()
        n_parts = parts.groupby("_unit", sort=False)[col].transform("size")
        parts = parts[n_parts >= 2].sort_values(
            ["_unit", col, "display"], ascending=[True, False, True], kind="stable"
        )  # one substance: own check
        if parts.empty:
            continue
        parts["term"] = [f"{n} {r:.2f}" for n, r in zip(parts["display"], parts[col], strict=True)]
        terms = _join_runs(parts["_unit"], parts["term"], " + ")
        total = out.loc[terms.index, f"{g}_ratio"]
        text = [f"{g} sum {v:.2f} >= 1 ({t})" for v, t in zip(total, terms, strict=True)]
        pieces.append(pd.DataFrame({"_unit": terms.index.to_numpy(), "o": k, "t": text}))
    if pieces:
        allp = pd.concat(pieces, ignore_index=True).sort_values(["_unit", "o"], kind="stable")
        joined = _join_runs(allp["_unit"], allp["t"], "; ")
    else:
        joined = pd.Series(dtype=object)
    quiet = out.index.difference(joined.index)
    if len(quiet):
        joined = pd.concat([joined, _below_texts(out, single, quiet)])
    out["reasons"] = joined.reindex(out.index)
    return out


def _below_texts(out: pd.DataFrame, single: pd.DataFrame, quiet: pd.Index) -> pd.Series:
    """Reasons of the units ``quiet`` below every threshold: their largest ratio and sum."""
    best = single.sort_values(
        ["_unit", "ratio", "name"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("_unit")  # ties named by name, not by row order
    best = best.set_index("_unit").reindex(quiet)
    gsums = out.loc[quiet, [f"{g}_ratio" for g in GROUPS]]
    g_best = gsums.idxmax(axis=1).str.removesuffix("_ratio")
    text = [
        f"below every threshold: largest ratio {r:.2f} ({n}); largest group sum {m:.2f} ({gb})"
        if r == r
        else "below every threshold: no holding under Annex I"
        for r, n, m, gb in zip(  # lists: iterating Arrow text columns is slow
            best["ratio"].tolist(),
            best["name"].tolist(),
            gsums.max(axis=1).tolist(),
            g_best.tolist(),
            strict=True,
        )
    ]
    return pd.Series(text, index=quiet)


def _note_left_out(sites: pd.DataFrame, h: pd.DataFrame) -> None:
    """Name in ``reasons`` the holdings left out of the sums, and why."""
    outside = h["annex_entry"] == OUTSIDE_ENTRY
    for mask, why in (
        (~h["in_sum"] & ~outside, "left out of the sums as isolated small quantities"),
        (outside, "declared outside Annex I (in no sum)"),
    ):
        for sid, grp in h.loc[mask, ["site_id", "display"]].groupby("site_id"):
            i = sites.index[sites["site_id"] == sid][0]
            names = ", ".join(sorted(set(grp["display"])))
            sites.at[i, "reasons"] += f"; {why}: {names}"


def cluster_sites(sites: pd.DataFrame, cluster_km: float) -> pd.Series:
    """Group sites that lie within ``cluster_km`` of each other (single linkage).

    Distances are geodesic on the WGS84 ellipsoid (``pyproj.Geod``); candidate pairs come from
    an STRtree search with a conservative window in degrees.

    Parameters
    ----------
    sites : pandas.DataFrame
        Columns ``site_id``, ``lon``, ``lat`` (WGS84 degrees), one row per site.
    cluster_km : float
        Largest distance between two neighbouring sites of a cluster, in km.

    Returns
    -------
    pandas.Series
        ``cluster_id`` per row (``"C001"``...) for sites in a cluster of two or more, empty string
        otherwise. Clusters are numbered in order of their smallest ``site_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"site_id": ["a", "b", "c"], "lon": [69.0, 69.005, 70.0],
    ...                   "lat": [41.0, 41.0, 41.0]})
    >>> cluster_sites(s, 1.0).tolist()
    ['C001', 'C001', '']
    """
    import networkx as nx
    import shapely
    from pyproj import Geod

    if cluster_km <= 0:
        raise ValueError(f"cluster_km must be positive; got {cluster_km}")
    lon = sites["lon"].to_numpy(float)
    lat = sites["lat"].to_numpy(float)
    pts = shapely.points(lon, lat)
    tree = shapely.STRtree(pts)
    max_lat = min(float(np.nanmax(np.abs(lat))) + 1.0, 89.0) if len(lat) else 0.0
    window = cluster_km / (111.0 * np.cos(np.radians(max_lat)))
    left, right = tree.query(pts, predicate="dwithin", distance=window)
    keep = left < right
    left, right = left[keep], right[keep]
    _, _, dist = Geod(ellps="WGS84").inv(lon[left], lat[left], lon[right], lat[right])
    close = dist <= cluster_km * 1000.0
    graph = nx.Graph()
    graph.add_edges_from(zip(left[close].tolist(), right[close].tolist(), strict=True))
    ids = sites["site_id"].to_numpy()
    comps = sorted((sorted(c, key=lambda i: ids[i]) for c in nx.connected_components(graph)),
                   key=lambda c: ids[c[0]])  # fmt: skip
    out = np.full(len(sites), "", dtype=object)
    for n, comp in enumerate(comps, start=1):
        out[comp] = f"C{n:03d}"
    return pd.Series(out, index=sites.index, name="cluster_id")


def classify(
    holdings: pd.DataFrame,
    *,
    regime: str = "convention",
    annex_version: str = tables.DEFAULT_ANNEX_VERSION,
    cluster_km: float | None = None,
) -> AnnexResult:
    """Decide for every site whether it is a hazardous activity under Annex I.

    Parameters
    ----------
    holdings : pandas.DataFrame
        A validated inventory from :func:`hazid.read_inventory`.
    regime : {"convention", "seveso-lower", "seveso-upper"}, default "convention"
        Which threshold column to apply. The Convention uses the Seveso III upper-tier values.
    annex_version : str, default "convention-2015"
        Annex I table version.
    cluster_km : float, optional
        Also classify together sites within this distance of each other (geodesic), as the
        Convention asks Parties to consider for co-located activities. Every site of a cluster
        found hazardous as a whole is hazardous, with the cluster named in ``reasons``.

    Returns
    -------
    AnnexResult
        ``sites``: GeoDataFrame (EPSG:4326 points) sorted by ``site_id`` with ``hazardous``,
        ``health_ratio``, ``physical_ratio``, ``environmental_ratio``, ``max_single_ratio``,
        ``reasons``, ``regime``, ``annex_version``, ``cluster_id``. ``holdings``: one row per
        holding with ``annex_entry``, ``threshold_t``, ``quantity_t``, ``ratio``, ``groups``,
        ``categories`` and ``in_sum`` (false when the 2 % rule removed it from the sums).

    Examples
    --------
    >>> import pandas as pd
    >>> from hazid.inventory import read_inventory
    >>> inv = read_inventory(pd.DataFrame({
    ...     "site_id": ["A", "A"], "lon": ["69.2", "69.2"], "lat": ["41.3", "41.3"],
    ...     "substance": ["chlorine", "ammonia"], "quantity": ["20", "150"]}))
    >>> sites, holdings = classify(inv)
    >>> bool(sites.loc[0, "hazardous"]), round(float(sites.loc[0, "health_ratio"]), 2)
    (True, 1.55)
    >>> sites.loc[0, "reasons"].split("; ")[0]
    'health sum 1.55 >= 1 (chlorine 0.80 + ammonia 0.75)'
    """
    regime_col = tables.REGIMES[check_choice("regime", regime, tables.REGIMES)]
    tables._check_version(annex_version)
    h = holdings.reset_index(drop=True)  # copy on write: what is set on h stays h's
    h["_item"] = h["part2_item"].astype("string").fillna("")
    h["category"] = _graded_categories(h)
    keys = ["_item", "category", "substance_key", "groups_override"]
    ecode, efirst = _combo_codes(h, keys)
    entries = _entry_table(h.iloc[efirst][keys], regime_col, annex_version)
    for col in entries.columns.difference(keys):
        h[col] = entries[col].to_numpy()[ecode]
    h["_entry"] = pd.factorize(entries["annex_entry"])[0][ecode]
    h["ratio"] = h["quantity_t"] / h["threshold_t"]
    h["in_sum"] = ~(h["isolated_small"] & (h["ratio"] <= SMALL_SHARE + _TOL))
    h["in_sum"] &= h["annex_entry"] != OUTSIDE_ENTRY
    for g in GROUPS:
        r = (h["quantity_t"] / h[f"th_{g}"]).fillna(0.0)
        h[f"r_{g}"] = r.where(h["in_sum"], 0.0)
    dcols = ["substance", "substance_key", "cas", "categories"]
    dcode, dfirst = _combo_codes(h, dcols)
    display = _display_names(h.iloc[dfirst]).to_numpy(dtype=object)
    ident = np.where(h["substance_key"].iloc[dfirst] != "", h["substance_key"].iloc[dfirst],
                     np.char.add("~", np.char.lower(display.astype(str))))  # fmt: skip
    h["display"] = display[dcode]
    h["_ident"] = pd.factorize(ident)[0][dcode]

    site_code, site_ids = pd.factorize(h["site_id"], sort=True)
    per_site = _assess(h, site_code)
    _, first_row = np.unique(site_code, return_index=True)
    attr_cols = ["site_id", "site_name", "operator", "country", "lon", "lat"]
    attr_cols += [c for c in ("address", "activity_type") if c in h.columns]
    sites = h.iloc[first_row][attr_cols].reset_index(drop=True)
    per_site = per_site.reindex(np.arange(len(site_ids)))
    for col in per_site.columns:
        sites[col] = per_site[col].to_numpy()
    _note_left_out(sites, h)

    sites["cluster_id"] = ""
    if cluster_km:
        sites["cluster_id"] = cluster_sites(sites, cluster_km)
        member = h["site_id"].map(dict(zip(sites["site_id"], sites["cluster_id"], strict=True)))
        in_cluster = member != ""
        if in_cluster.any():
            per_cluster = _assess(h[in_cluster], member[in_cluster].to_numpy())
            for i, rec in sites[sites["cluster_id"] != ""].iterrows():
                c = per_cluster.loc[rec["cluster_id"]]
                members = sites.loc[sites["cluster_id"] == rec["cluster_id"], "site_id"]
                label = f"cluster {rec['cluster_id']} ({', '.join(members)})"
                if c["hazardous"]:
                    sites.at[i, "hazardous"] = True
                    sites.at[i, "reasons"] += f"; {label} is hazardous as a whole: {c['reasons']}"
                else:
                    sites.at[i, "reasons"] += f"; {label} is below every threshold as a whole"
    sites["regime"] = regime
    sites["annex_version"] = annex_version
    sites["hazardous"] = sites["hazardous"].astype(bool)
    cols = ["site_id", "site_name", "operator", "country", "lon", "lat", "hazardous"]
    cols += [f"{g}_ratio" for g in GROUPS] + ["max_single_ratio", "reasons", "regime"]
    cols += ["annex_version", "cluster_id"] + [
        c for c in ("address", "activity_type") if c in sites
    ]
    sites = gpd.GeoDataFrame(
        sites[cols], geometry=gpd.points_from_xy(sites["lon"], sites["lat"]), crs="EPSG:4326"
    )
    h = h.rename(columns={"display": "substance_name"})
    hold_cols = ["site_id", "substance", "cas", "annex_entry", "threshold_t", "quantity_t", "ratio"]
    hold_cols += ["groups", "substance_key", "categories", "in_sum", "isolated_small", "indoor"]
    hold_cols += ["substance_name", "row"]
    hold_cols += [c for c in ("largest_vessel_t", "storage", "bund_m2") if c in h.columns]
    holdings_out = (
        h[hold_cols].sort_values(["site_id", "row"], kind="stable").reset_index(drop=True)
    )
    holdings_out.attrs.update(holdings.attrs)
    n_haz = int(sites["hazardous"].sum())
    logger.info(
        "classified %d sites: %d hazardous (%s, %s)", len(sites), n_haz, regime, annex_version
    )
    return AnnexResult(sites, holdings_out)

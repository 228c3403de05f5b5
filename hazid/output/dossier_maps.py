"""The static PNG maps of the dossiers, planned and drawn in one batch.

A pair with fewer than :data:`PAIR_MAP_FROM` activities gets one map per activity; from
that number on, nearby activities share one map (squares of :data:`GROUP_SPAN_KM` in a local
azimuthal equidistant projection of the pair, at most :data:`GROUP_MAX` a map, cut along a
Hilbert curve where denser), each activity labelled with its number in the dossier.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hazid import maps
from hazid.i18n import translator
from hazid.maps.labels import text
from hazid.maps.projection import to_local
from hazid.notify.dossier import DossierSet
from hazid.notify.values import file_slug

logger = logging.getLogger(__name__)

#: Activities of a pair from which nearby ones share one map.
PAIR_MAP_FROM = 6
#: Side (km) of the squares that group the activities of a pair onto one map.
GROUP_SPAN_KM = 250.0
#: Most activities on one map.
GROUP_MAX = 50


def _draw_maps(
    out: Path,
    ds: DossierSet,
    pairs: Sequence[Any],
    langs: Sequence[str],
    *,
    size_px: Sequence[int],
    dpi: int,
    workers: int | None = None,
) -> dict[tuple[str, str, str], dict[str, str]]:
    """Draw the static maps of every dossier in one batch; return each dossier's map files.

    The result maps (origin, affected, language) to {site id: PNG file name}. ``workers``
    processes draw them (default: every CPU, see :func:`hazid.maps.static_maps`).
    """
    jobs: list[dict[str, Any]] = []
    files: dict[tuple[str, str, str], dict[str, str]] = {}
    notes = {lg: _map_note(ds, lg) for lg in langs}
    coords = _site_coords(ds.sites)  # once for every pair, not a pass over the sites for each
    for pair in pairs:
        o, a = pair.origin, pair.affected
        acts = ds.activities(o, a)
        sids = acts["site_id"].astype(str).tolist()
        groups = _map_groups(coords, sids)
        for lg in langs:
            suffix = f".{lg}" if len(langs) > 1 else ""
            mine = files.setdefault((o, a, lg), {})
            common = {"origin": o, "affected": a, "note": notes[lg], "lang": lg}
            for k, group in enumerate(groups, start=1):
                if len(group) == 1:
                    dec = acts.iloc[group[0]]
                    name = f"{o}-{a}_{file_slug(dec.site_id)}{suffix}.png"
                    title = f"{dec.site_name or dec.site_id} ({dec.site_id}): {o} \u2192 {a}"
                    jobs.append({"site_id": dec.site_id, "title": title, **common})
                else:
                    name = f"{o}-{a}_activities-{k}{suffix}.png"
                    labels = [str(i + 1) for i in group]
                    jobs.append(
                        {
                            "site_ids": [sids[i] for i in group],
                            "labels": labels,
                            "title": f"{o} \u2192 {a}: {_numbers(labels, lg)}",
                            **common,
                        }
                    )
                jobs[-1]["path"] = out / name
                mine.update({sids[i]: name for i in group})
    maps.static_maps(
        ds.sites,
        jobs,
        zones=ds.zones,
        river_paths=ds.river_paths,
        borders=ds.borders,
        size_px=size_px,
        dpi=dpi,
        workers=workers,
    )
    logger.info("%d static maps drawn for %d pairs", len(jobs), len(pairs))
    return files


def _site_coords(sites: pd.DataFrame) -> pd.DataFrame:
    """Longitude and latitude of each site (numbers, NaN where missing), by site id as text.

    The first row of a site id counts.
    """
    at = sites.assign(_k=sites["site_id"].astype(str)).drop_duplicates("_k").set_index("_k")
    return pd.DataFrame(
        {
            "lon": pd.to_numeric(at["lon"], errors="coerce"),
            "lat": pd.to_numeric(at["lat"], errors="coerce"),
        }
    )


def _map_groups(coords: pd.DataFrame, site_ids: list[str]) -> list[list[int]]:
    """Group the activities of a pair (positions in ``site_ids``) that share one map.

    Below :data:`PAIR_MAP_FROM` activities, or for a site without coordinates, each activity
    has its own map. Otherwise the sites are projected to an azimuthal equidistant
    projection centred on their extent (metres, WGS 84) and grouped by squares of
    :data:`GROUP_SPAN_KM` from the south-west corner of that extent; the activities of a
    square with more than :data:`GROUP_MAX` are cut into runs along a Hilbert curve
    (:func:`_split`), so that every label stays legible. Groups are in the order of their
    first activity. ``coords``: :func:`_site_coords` of the sites.
    """
    if len(site_ids) < PAIR_MAP_FROM:
        return [[i] for i in range(len(site_ids))]
    at = coords.reindex(site_ids)
    lon = at["lon"].to_numpy(dtype=float)
    lat = at["lat"].to_numpy(dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.sum() < 2:
        return [[i] for i in range(len(site_ids))]
    lo = lon[ok][0] + (lon[ok] - lon[ok][0] + 180.0) % 360.0 - 180.0
    mid = ((lo.min() + lo.max()) / 2 + 180.0) % 360.0 - 180.0
    crs = maps.local_crs(float(mid), float((lat[ok].min() + lat[ok].max()) / 2))
    x, y = to_local(crs).transform(lon[ok], lat[ok])
    x, y, idx = np.asarray(x), np.asarray(y), np.flatnonzero(ok)
    span = GROUP_SPAN_KM * 1000.0
    x0, y0 = x.min(), y.min()
    cx, cy = np.floor((x - x0) / span), np.floor((y - y0) / span)
    groups = [[int(i)] for i in np.flatnonzero(~ok)]
    for key in sorted(set(zip(cx.tolist(), cy.tolist(), strict=True))):
        sel = (cx == key[0]) & (cy == key[1])
        left, bottom = x0 + key[0] * span, y0 + key[1] * span
        _split(idx[sel], x[sel], y[sel], left, bottom, span, groups)
    return sorted(groups, key=lambda g: g[0])


def _split(
    idx: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    x0: float,
    y0: float,
    size: float,
    groups: list[list[int]],
) -> None:
    """Append the groups of the activities ``idx`` (at ``x``, ``y``) of one square.

    More than :data:`GROUP_MAX` activities are ordered along a Hilbert curve across the
    square (neighbours on the curve are neighbours on the ground) and cut into runs of
    nearly equal length, at most :data:`GROUP_MAX` each.
    """
    k = -(-len(idx) // GROUP_MAX)
    if k == 1:
        groups.append([int(i) for i in idx])
        return
    n = 1 << 10
    ix = np.clip(((x - x0) / size * n).astype(np.int64), 0, n - 1)
    iy = np.clip(((y - y0) / size * n).astype(np.int64), 0, n - 1)
    order = np.argsort(_hilbert(ix, iy, n), kind="stable")
    groups += [sorted(int(i) for i in idx[run]) for run in np.array_split(order, k)]


def _hilbert(ix: np.ndarray, iy: np.ndarray, n: int) -> np.ndarray:
    """Position of the cells (``ix``, ``iy``) along the Hilbert curve of an ``n`` x ``n`` grid."""
    x, y, d = ix.copy(), iy.copy(), np.zeros_like(ix)
    s = n // 2
    while s > 0:
        rx, ry = (x & s) > 0, (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        x, y = np.where(flip, n - 1 - x, x), np.where(flip, n - 1 - y, y)
        x, y = np.where(~ry, y, x), np.where(~ry, x, y)
        s //= 2
    return d


def _numbers(labels: list[str], lang: str, limit: int = 60) -> str:
    """``activities 1-4, 7`` (runs of numbers joined; cut with an ellipsis past ``limit``)."""
    nums = [int(v) for v in labels]
    runs: list[str] = []
    start = prev = nums[0]
    for n in [*nums[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}\u2013{prev}")
        if n is not None:
            start = prev = n
    items = ", ".join(runs)
    if len(items) > limit:
        items = items[: items.rfind(", ", 0, limit)] + ", \u2026"
    return text("activities {items}", lang).format(items=items)


#: A trailing remark in parentheses after a source's name and hash (its limits).
_NOTE_TAIL = re.compile(r" \((?!SHA-256)[^()]*\)$")


def _map_note(ds: DossierSet, lang: str = "en") -> str:
    """Return the sources line printed on each map (SHA-256 digests shortened to 12 digits)."""
    tr = translator(lang)
    # file names and short hashes only: the limits of the data are stated in the dossier
    sources = {k: _NOTE_TAIL.sub("", v) for k, v in ds.meta["data_sources"].items()}
    note = tr.gettext("Borders: {borders}. Rivers: {rivers}. hazid {version}.").format(
        borders=tr.gettext(sources["borders"]),
        rivers=tr.gettext(sources["rivers"]),
        version=ds.version,
    )
    return re.sub(r"(SHA-256 [0-9a-f]{12})[0-9a-f]+", r"\1", note)

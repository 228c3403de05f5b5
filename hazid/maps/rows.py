"""The rows of each site in a layer, found once for all the maps of a run.

A run draws many maps (one per dossier pair, per activity or group of activities), each from
the rows of a few sites; the rows of every site are grouped once, in one pass, rather than
searched in the whole layer for each map.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["rows_by_site", "rows_of", "site_groups"]


def site_groups(site_ids: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group row positions by site id in one pass (missing ids left out).

    Returns the ids in order of first appearance, the row positions sorted by id (in row order
    within an id) and the end of each id's run of positions; as ``groupby(sort=False)``.

    Examples
    --------
    >>> ids, order, ends = site_groups(pd.Series(["S2", "S1", None, "S2"]))
    >>> list(ids), order.tolist(), ends.tolist()
    (['S2', 'S1'], [0, 3, 1], [2, 3])
    """
    codes, uniques = pd.factorize(site_ids.to_numpy(), use_na_sentinel=True)
    order = np.argsort(codes, kind="stable")
    order = order[int((codes < 0).sum()) :]  # rows without a site id sort first
    ends = np.cumsum(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    return np.asarray(uniques, dtype=object), order, ends


def rows_by_site(layer: pd.DataFrame | None) -> Mapping[str, np.ndarray]:
    """Positions of the rows of each site in ``layer`` (ids as text), in the layer's order.

    Examples
    --------
    >>> {k: v.tolist() for k, v in rows_by_site(pd.DataFrame({"site_id": [2, 1, 2]})).items()}
    {'2': [0, 2], '1': [1]}
    """
    if layer is None or not len(layer):
        return {}
    keys = layer["site_id"].astype(str).to_numpy(dtype=object)
    return _SiteRows(*site_groups(pd.Series(keys, dtype=object)))


class _SiteRows(Mapping[str, np.ndarray]):
    """Row positions of each site id: slices of one sorted array, cut when asked for."""

    def __init__(self, uniques: np.ndarray, order: np.ndarray, ends: np.ndarray) -> None:
        self._at = dict(zip(uniques.tolist(), range(len(uniques)), strict=True))
        self._order = order
        self._ends = ends.tolist()

    def __getitem__(self, key: str) -> np.ndarray:
        k = self._at[key]
        return self._order[(self._ends[k - 1] if k else 0) : self._ends[k]]

    def __contains__(self, key: object) -> bool:
        return key in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def rows_of(layer: pd.DataFrame | None, at: Mapping[str, np.ndarray], ids: Iterable[str]) -> Any:
    """Rows of ``layer`` of the sites ``ids``, in the layer's order (None without the layer).

    ``at`` is :func:`rows_by_site` of the layer.

    Examples
    --------
    >>> layer = pd.DataFrame({"site_id": ["a", "b", "a"], "v": [1, 2, 3]})
    >>> rows_of(layer, rows_by_site(layer), ["a", "z"])["v"].tolist()
    [1, 3]
    """
    if layer is None:
        return None
    pos = [at[i] for i in ids if i in at]
    return layer.iloc[np.sort(np.concatenate(pos)) if pos else np.zeros(0, dtype=np.int64)]

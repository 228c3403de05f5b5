"""What changed between two screenings: per activity and per pair of Parties.

:func:`diff` compares two results folders (an earlier screening, usually the one a notification
was based on, and a new one) and lists, one row per change, with the old and the new value:

==========================  ============================================================
``change``                  meaning
==========================  ============================================================
``pathway_not_assessed``    a pathway assessed in the old screening was not assessed in
                            the new one (its effects are then not reported as removed,
                            and statuses missing from the new screening are
                            ``not assessed``, not ``none``)
``pathway_assessed``        a pathway is assessed now that was not before
``site_added``              a site is in the new inventory only
``site_removed``            a site is in the old inventory only
``became_hazardous``        the site is now a hazardous activity under Annex I
``stopped_hazardous``       the site is no longer a hazardous activity
``site_moved``              its coordinates changed (``item`` ``lon, lat``; the distance
                            to the nearest foreign territory in ``detail``)
``quantity_changed``        the maximum quantity of a substance (``item``) moved, t
``ratio_changed``           its ratio q/Q moved with the same quantity (other threshold)
``zone_crosses_border``     an air zone now reaches into the affected Party
``zone_no_longer_crosses``  an air zone no longer reaches it
``zone_grew``               the margin of an air zone beyond the border grew, km
``zone_shrank``             it shrank, km
``river_arrival_new``       a river trace now reaches the affected Party
``river_arrival_removed``   it no longer does
``river_arrival_changed``   the leading-edge arrival time moved, h
``effect_added``            another pathway now reaches the Party
``effect_removed``          another pathway no longer reaches it
``activity_status_changed`` status of the activity for the pair (none/consult/notify)
``pair_status_changed``     status of the pair of Parties
==========================  ============================================================

Pathway rows carry neither origin nor affected Party; site-level rows (``site_added`` to
``ratio_changed``) carry the Party of origin and an empty ``affected``; the other rows name
the pair. Pairs whose status rose (none -> consult -> notify) are the
re-notification list: the Party of origin notifies them again under Article 4 and Annex III
of the Convention.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hazid.errors import ProcessError
from hazid.i18n import parse_langs
from hazid.output.results import write_csv
from hazid.process.letters import letter_html, letter_markdown, safe_stem
from hazid.process.read import Screening, number, read_screening, status_rank

logger = logging.getLogger(__name__)

__all__ = ["CHANGE_COLUMNS", "CHANGE_KINDS", "Changes", "diff", "write_changes"]

#: Columns of ``changes.csv``, in order.
CHANGE_COLUMNS: tuple[str, ...] = (
    "origin",
    "affected",
    "site_id",
    "site_name",
    "change",
    "pathway",
    "item",
    "old",
    "new",
    "detail",
)

#: The kinds of change, in the order rows are sorted within a site.
CHANGE_KINDS: tuple[str, ...] = (
    "pathway_not_assessed",
    "pathway_assessed",
    "site_added",
    "site_removed",
    "became_hazardous",
    "stopped_hazardous",
    "site_moved",
    "quantity_changed",
    "ratio_changed",
    "zone_crosses_border",
    "zone_no_longer_crosses",
    "zone_grew",
    "zone_shrank",
    "river_arrival_new",
    "river_arrival_removed",
    "river_arrival_changed",
    "effect_added",
    "effect_removed",
    "activity_status_changed",
    "pair_status_changed",
)

_PATHWAYS = ("air", "water")
_ADDED = {"air": "zone_crosses_border", "water": "river_arrival_new"}
_REMOVED = {"air": "zone_no_longer_crosses", "water": "river_arrival_removed"}


def _moved(a: Any, b: Any) -> bool:
    x, y = number(a), number(b)
    if x is None or y is None:
        return (x is None) != (y is None)
    return not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6)


def _fmt(value: Any, digits: int = 3) -> str:
    x = number(value)
    if x is None:
        return "" if value is None or value != value else str(value)
    return f"{round(x, digits):g}"


@dataclass
class Changes:
    """Result of :func:`diff`.

    Attributes
    ----------
    old, new : Screening
        The two screenings compared.
    since : str
        Date of the notification the changes are counted from (default: the old run's date).
    table : pandas.DataFrame
        One row per change, columns :data:`CHANGE_COLUMNS`.
    pairs : pandas.DataFrame
        One row per pair of Parties in either screening or in a change: ``origin``,
        ``affected``, ``old_status``, ``new_status``, ``renotify`` (the status rose),
        ``n_changes`` (rows of ``table`` that concern the pair, site-level rows included).
    """

    old: Screening
    new: Screening
    since: str
    table: pd.DataFrame
    pairs: pd.DataFrame
    pair_sites: dict[tuple[str, str], set[str]] = field(default_factory=dict, repr=False)

    @property
    def renotify(self) -> pd.DataFrame:
        """Pairs whose status rose: they need a new notification."""
        return self.pairs[self.pairs["renotify"]].reset_index(drop=True)

    def for_pair(self, origin: str, affected: str) -> pd.DataFrame:
        """Return the changes of one pair: its own rows and those of its activities' sites."""
        tab = self.table
        sites = self.pair_sites.get((origin, affected), set())
        own = (tab["origin"] == origin) & (tab["affected"] == affected)
        site_rows = (tab["affected"] == "") & (tab["origin"] == origin) & tab["site_id"].isin(sites)
        return tab[own | site_rows].reset_index(drop=True)


def _pair_sites(*screens: Screening) -> dict[tuple[str, str], set[str]]:
    """Sites of each pair of Parties: in its activities or with an effect on the Party."""
    index: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in screens:
        act = s.activities
        for o, a, sid in zip(act["origin"], act["affected"], act["site_id"], strict=True):
            index[(o, a)].add(sid)
        origin_of = s.origin_of()
        for sid, a in zip(s.affected["site_id"], s.affected["affected"], strict=True):
            index[(origin_of.get(sid, ""), a)].add(sid)
    return dict(index)


def _count_changes(table: pd.DataFrame, pairs: pd.DataFrame, index: dict) -> list[int]:
    site_level = table[table["affected"] == ""]
    per_site = Counter(zip(site_level["origin"], site_level["site_id"], strict=True))
    named = table[table["affected"] != ""]
    per_pair = Counter(zip(named["origin"], named["affected"], strict=True))
    return [
        per_pair[(o, a)] + sum(per_site[(o, sid)] for sid in index.get((o, a), ()))
        for o, a in zip(pairs["origin"], pairs["affected"], strict=True)
    ]


class _Rows:
    """Collects change rows with the origin and name of each site."""

    def __init__(self, old: Screening, new: Screening) -> None:
        self.origin = {**old.origin_of(), **new.origin_of()}
        self.name = {
            **dict(zip(old.sites["site_id"], old.sites["site_name"], strict=True)),
            **dict(zip(new.sites["site_id"], new.sites["site_name"], strict=True)),
        }
        self.rows: list[dict[str, Any]] = []

    def add(self, site_id: str, change: str, old: Any = "", new: Any = "", **kw: Any) -> None:
        self.rows.append(
            {
                "origin": kw.get("origin", self.origin.get(site_id, "")),
                "affected": kw.get("affected", ""),
                "site_id": site_id,
                "site_name": self.name.get(site_id, ""),
                "change": change,
                "pathway": kw.get("pathway", ""),
                "item": kw.get("item", ""),
                "old": old,
                "new": new,
                "detail": kw.get("detail", ""),
            }
        )


def _records(df: pd.DataFrame, key: list[str]) -> dict[Any, dict[str, Any]]:
    """Rows as dicts keyed by ``key`` (first row of duplicates), for fast lookups."""
    df = df.drop_duplicates(key)
    keys = df["site_id"] if key == ["site_id"] else zip(*(df[k] for k in key), strict=True)
    return dict(zip(keys, df.to_dict(orient="records"), strict=True))


def _site_changes(rows: _Rows, old: Screening, new: Screening) -> None:
    o, n = _records(old.sites, ["site_id"]), _records(new.sites, ["site_id"])
    for sid in sorted(set(n) - set(o)):
        rows.add(sid, "site_added", new=n[sid]["site_name"])
    for sid in sorted(set(o) - set(n)):
        rows.add(sid, "site_removed", old=o[sid]["site_name"])
    for sid in sorted(set(o) & set(n)):
        a, b = o[sid], n[sid]
        if (a["hazardous"] == "true") != (b["hazardous"] == "true"):
            kind = "became_hazardous" if b["hazardous"] == "true" else "stopped_hazardous"
            rows.add(sid, kind, old=a["hazardous"], new=b["hazardous"])
        if _moved(a["lon"], b["lon"]) or _moved(a["lat"], b["lat"]):
            detail = ""
            if "border_km" in a and "border_km" in b:
                detail = f"border_km {_fmt(a['border_km'])} -> {_fmt(b['border_km'])}"
            old_xy, new_xy = f"{a['lon']}, {a['lat']}", f"{b['lon']}, {b['lat']}"
            rows.add(sid, "site_moved", old_xy, new_xy, item="lon, lat", detail=detail)


def _holding_sums(s: Screening) -> dict[Any, dict[str, Any]]:
    h = s.holdings[["site_id", "substance"]].copy()
    h["quantity_t"] = pd.to_numeric(s.holdings["quantity_t"], errors="coerce")
    h["ratio"] = pd.to_numeric(s.holdings["ratio"], errors="coerce")
    sums = h.groupby(["site_id", "substance"], sort=True).sum(min_count=1)
    return sums.to_dict(orient="index")


def _holding_changes(rows: _Rows, old: Screening, new: Screening) -> None:
    o, n = _holding_sums(old), _holding_sums(new)
    common_sites = set(old.sites["site_id"]) & set(new.sites["site_id"])
    for key in sorted(set(o) | set(n)):
        if key[0] not in common_sites:
            continue  # added and removed sites are reported once, as such
        a, b = o.get(key, {}), n.get(key, {})
        oq, nq = a.get("quantity_t"), b.get("quantity_t")
        orat, nrat = a.get("ratio"), b.get("ratio")
        if _moved(oq, nq):
            detail = f"q/Q {_fmt(orat)} -> {_fmt(nrat)}"
            old_q, new_q = _fmt(oq, 6), _fmt(nq, 6)
            rows.add(key[0], "quantity_changed", old_q, new_q, item=key[1], detail=detail)
        elif _moved(orat, nrat):
            rows.add(key[0], "ratio_changed", _fmt(orat, 6), _fmt(nrat, 6), item=key[1])


def _assessed(s: Screening, pathway: str) -> bool:
    return str((s.run.get("stages") or {}).get(pathway, "")).startswith("done")


def _pathway_changes(rows: _Rows, old: Screening, new: Screening) -> list[str]:
    """Rows for pathways assessed in one screening only; the pathways the new one lost."""
    lost = []
    for p in _PATHWAYS:
        was, now = _assessed(old, p), _assessed(new, p)
        if was != now:
            stages = (old.run.get("stages") or {}, new.run.get("stages") or {})
            states = [str(st.get(p, "not assessed")) for st in stages]
            kind = "pathway_assessed" if now else "pathway_not_assessed"
            rows.add("", kind, *states, origin="", pathway=p)
        if was and not now:
            lost.append(p)
    return lost


def _effect_changes(rows: _Rows, old: Screening, new: Screening, lost: list[str]) -> None:
    key = ["site_id", "affected", "pathway"]
    o, n = _records(old.affected, key), _records(new.affected, key)
    for k in sorted(set(o) | set(n)):
        sid, aff, pathway = k
        kw = {"affected": aff, "pathway": pathway}
        a, b = o.get(k), n.get(k)
        if b is None and pathway in lost:
            continue  # not assessed now: no evidence that the effect is gone
        if a is None or b is None:
            kind = (_REMOVED if b is None else _ADDED).get(pathway)
            kind = kind or ("effect_removed" if b is None else "effect_added")
            value = _effect_value(a or b, pathway)
            rows.add(sid, kind, "" if a is None else value, "" if b is None else value, **kw)
        elif pathway == "air" and _moved(a.get("margin_km"), b.get("margin_km")):
            grew = (number(b.get("margin_km")) or 0) > (number(a.get("margin_km")) or 0)
            detail = f"zone_km {_fmt(a.get('zone_km'))} -> {_fmt(b.get('zone_km'))}"
            old_m, new_m = _fmt(a.get("margin_km")), _fmt(b.get("margin_km"))
            kind = "zone_grew" if grew else "zone_shrank"
            rows.add(sid, kind, old_m, new_m, item="margin_km", detail=detail, **kw)
        elif pathway == "water" and _moved(a.get("arrival_h"), b.get("arrival_h")):
            old_h, new_h = _fmt(a.get("arrival_h")), _fmt(b.get("arrival_h"))
            rows.add(sid, "river_arrival_changed", old_h, new_h, item="arrival_h", **kw)


def _effect_value(rec: dict[str, Any], pathway: str) -> str:
    if pathway == "air":
        zone, margin = _fmt(rec.get("zone_km")), _fmt(rec.get("margin_km"))
        return f"{rec.get('hazard', '')} zone {zone} km, margin {margin} km"
    if pathway == "water":
        where, when = _fmt(rec.get("river_km")), _fmt(rec.get("arrival_h"))
        return f"{rec.get('river', '')} {where} km, arrival {when} h"
    return pathway


def _status_changes(rows: _Rows, old: Screening, new: Screening, absent: str) -> None:
    key = ["site_id", "origin", "affected"]
    o = old.activities.drop_duplicates(key).set_index(key)["status"].to_dict()
    n = new.activities.drop_duplicates(key).set_index(key)["status"].to_dict()
    hazardous = dict(zip(new.sites["site_id"], new.sites["hazardous"] == "true", strict=True))
    for k in sorted(set(o) | set(n)):
        was = o.get(k) or "none"
        now = n.get(k) or (absent if hazardous.get(k[0], True) else "none")
        if was != now:
            rows.add(k[0], "activity_status_changed", was, now, origin=k[1], affected=k[2])
    key = ["origin", "affected"]
    o = old.summary.drop_duplicates(key).set_index(key)["status"].to_dict()
    n = new.summary.drop_duplicates(key).set_index(key)["status"].to_dict()
    for k in sorted(set(o) | set(n)):
        was, now = o.get(k) or "none", n.get(k) or absent
        if was != now:
            detail = "rose" if status_rank(now) > status_rank(was) else "fell"
            rows.add("", "pair_status_changed", was, now, origin=k[0], affected=k[1], detail=detail)


def _pairs(old: Screening, new: Screening, changes: pd.DataFrame, absent: str) -> pd.DataFrame:
    key = ["origin", "affected"]
    o = old.summary.drop_duplicates(key).set_index(key)["status"].to_dict()
    n = new.summary.drop_duplicates(key).set_index(key)["status"].to_dict()
    named = changes.loc[changes["affected"] != "", key].itertuples(index=False, name=None)
    keys = sorted(set(o) | set(n) | set(named))
    return pd.DataFrame(
        {
            "origin": [k[0] for k in keys],
            "affected": [k[1] for k in keys],
            "old_status": [o.get(k) or "none" for k in keys],
            "new_status": [n.get(k) or absent for k in keys],
        },
        columns=["origin", "affected", "old_status", "new_status"],
    )


def diff(
    old: str | Path | Screening, new: str | Path | Screening, *, since: str | None = None
) -> Changes:
    """Compare two screenings per activity and per pair of Parties.

    Parameters
    ----------
    old, new : str, Path or Screening
        Results folders of ``hazid screen`` (see :func:`hazid.process.read_screening`): the
        screening a notification was based on and a new one.
    since : str, optional
        Date of that notification, for the letters (default: the old screening's date).

    Returns
    -------
    Changes
        ``table`` (one row per change, old and new values), ``pairs`` (status before and
        after, ``renotify`` when it rose) and ``renotify``.

    Examples
    --------
    >>> import hazid.process as hp
    >>> hp.diff("no-such-folder", "no-such-folder")
    Traceback (most recent call last):
    ...
    hazid.errors.ProcessError: no-such-folder is not a hazid results folder (no run.json)
    """
    old_s, new_s = read_screening(old), read_screening(new)
    rows = _Rows(old_s, new_s)
    lost = _pathway_changes(rows, old_s, new_s)
    absent = "not assessed" if lost else "none"
    _site_changes(rows, old_s, new_s)
    _holding_changes(rows, old_s, new_s)
    _effect_changes(rows, old_s, new_s, lost)
    _status_changes(rows, old_s, new_s, absent)
    table = pd.DataFrame(rows.rows, columns=list(CHANGE_COLUMNS)).astype(object)
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    table["_k"] = table["change"].map(order)
    table = table.sort_values(["origin", "affected", "site_id", "_k", "pathway", "item"])
    table = table.drop(columns="_k").reset_index(drop=True)
    pairs = _pairs(old_s, new_s, table, absent)
    index = _pair_sites(old_s, new_s)
    pairs["renotify"] = [
        status_rank(b) > status_rank(a)
        for a, b in zip(pairs["old_status"], pairs["new_status"], strict=True)
    ]
    pairs["n_changes"] = _count_changes(table, pairs, index)
    logger.info("%d changes, %d pairs to notify again", len(table), int(pairs["renotify"].sum()))
    return Changes(old_s, new_s, since or old_s.date, table, pairs, index)


def write_changes(
    changes: Changes, out_dir: str | Path, *, lang: str | Sequence[str] = "en"
) -> Path:
    """Write ``changes.csv``, ``pairs.csv`` and a letter per pair of Parties with changes.

    The letters (``letters/ORIGIN-AFFECTED.md`` and ``.html``) say what changed since the
    notification of ``changes.since``; every value from the inputs is escaped.

    Parameters
    ----------
    changes : Changes
        From :func:`diff`.
    out_dir : str or Path
        A new or empty folder, or one holding an earlier ``changes.csv``.
    lang : str or sequence of str, default "en"
        Language(s) of the letters: ``"en"``, ``"ru"`` or ``"en,ru"`` (both, file names then
        ending in ``.en`` / ``.ru``).

    Returns
    -------
    Path
        ``out_dir``.

    Examples
    --------
    >>> import json, pathlib, tempfile
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a", "b"):
    ...     (base / name).mkdir()
    ...     _ = (base / name / "run.json").write_text(json.dumps({"date": "2025-03-01"}))
    ...     _ = (base / name / "sites.csv").write_text("site_id,site_name,lon,lat,hazardous")
    >>> out = write_changes(diff(base / "a", base / "b"), base / "changes")
    >>> sorted(p.name for p in out.iterdir())
    ['changes.csv', 'letters', 'pairs.csv']
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ProcessError(f"{out.name} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "changes.csv").is_file():
        raise ProcessError(f"{out.name} is not empty and holds no earlier changes.csv")
    letters = out / "letters"
    letters.mkdir(parents=True, exist_ok=True)
    for old in letters.glob("*-*.*"):
        old.unlink()
    write_csv(changes.table, out / "changes.csv", CHANGE_COLUMNS)
    write_csv(changes.pairs, out / "pairs.csv")
    langs = parse_langs(lang)
    for rec in changes.pairs[changes.pairs["n_changes"] > 0].itertuples(index=False):
        for one in langs:
            stem = safe_stem(f"{rec.origin}-{rec.affected}")
            stem = letters / (stem if len(langs) == 1 else f"{stem}.{one}")
            md = letter_markdown(changes, rec.origin, rec.affected, one)
            (stem.parent / f"{stem.name}.md").write_text(md, encoding="utf-8")
            html = letter_html(changes, rec.origin, rec.affected, one)
            (stem.parent / f"{stem.name}.html").write_text(html, encoding="utf-8")
    return out

"""Notification dossiers on disk: tables, Markdown, HTML and JSON dossiers, static maps.

:func:`write_notifications` decides every pair of Parties (:mod:`hazid.notify`), draws the
static maps of the dossiers (:mod:`hazid.maps.static`: one per activity, or one per group of
nearby activities of a pair with many) and writes, per pair of Parties, a dossier in
Markdown, self-contained HTML and JSON (validated by ``hazid/schemas/notification.schema.json``,
JSON Schema draft 2020-12), plus summary tables. :func:`regenerate` rewrites them from a
results folder. Outputs are byte-identical when re-run with the same inputs and the same date.
"""

from __future__ import annotations

import gc
import json
import logging
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import pandas as pd

from hazid.errors import DataSourceError, OutputError
from hazid.forked import can_fork, forked_map
from hazid.i18n import parse_langs
from hazid.notify.decide import _matrix
from hazid.notify.dossier import DossierSet, prepare_dossiers
from hazid.notify.markup import _render_html, _render_md
from hazid.notify.method import _run_value
from hazid.notify.render import _blocks
from hazid.notify.values import _problems
from hazid.output.dossier_maps import _draw_maps
from hazid.output.jsontext import dumps_indented
from hazid.output.results import unescape_cell, write_csv

logger = logging.getLogger(__name__)

__all__ = ["regenerate", "write_notifications"]

_GENERATED = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}((\.[a-z]{2})?\.(md|html|json)|_.+\.png)$")
_TABLE_FILES = ("summary.csv", "matrix.csv", "activities.csv", "not_notified.csv")


def _fmt_csv(df: pd.DataFrame, floats: Sequence[str]) -> pd.DataFrame:
    """Prepare a table for CSV: the float columns as floats, without ``-0``.

    :func:`hazid.output.results.write_csv` then writes floats with 15 significant digits,
    booleans as ``true``/``false`` and text that a spreadsheet would run as a formula with a
    leading ``'``.
    """
    out = df.copy()
    for col in floats:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float) + 0.0
    for col in out.columns:
        if out[col].dtype == bool:
            out[col] = out[col].map({True: "true", False: "false"}).astype(object)
    return out


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err}") from err


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write a table like the other CSV files of a results folder (:func:`write_csv`)."""
    try:
        write_csv(df, path)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err}") from err


def _clear(out: Path) -> None:
    for p in sorted(out.iterdir()):
        if p.is_file() and (p.name in _TABLE_FILES or _GENERATED.match(p.name)):
            p.unlink()


def write_notifications(
    out_dir: str | Path,
    sites: pd.DataFrame,
    holdings: pd.DataFrame,
    affected: pd.DataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    river_paths: gpd.GeoDataFrame | None = None,
    borders: gpd.GeoDataFrame | None = None,
    contacts: str | Path | pd.DataFrame | None = None,
    run: Mapping[str, Any] | None = None,
    maps: bool = True,
    map_size_px: Sequence[int] = (1200, 900),
    map_dpi: int = 150,
    map_links: bool | None = None,
    lang: str | Sequence[str] = "en",
    response_days: int | None = None,
) -> pd.DataFrame:
    """Write notification dossiers and summary tables to ``out_dir/notifications/``.

    Files written (earlier files of these names in that folder are replaced, other files
    are left alone):

    - ``summary.csv``: one row per (origin, affected) pair screened: ``status``,
      ``n_activities`` (activities to notify or consult about), ``n_notify``, ``n_consult``,
      ``n_screened``, ``pathways``, ``margin_km`` (smallest), ``arrival_h`` (earliest),
      ``dossier`` (file stem, empty for status none), ``voluntary`` (true unless both
      countries are Parties to the Convention: the exchange is then voluntary).
    - ``matrix.csv``: Party of origin (rows) x affected Party (columns), number of activities.
    - ``activities.csv``: :func:`determine` output; ``not_notified.csv``:
      :func:`not_notified` output.
    - per pair with status notify or consult: ``<ORIGIN>-<AFFECTED>.md``, ``.html``
      (self-contained: inline CSS, maps embedded as data URIs, A4 print stylesheet) and
      ``.json`` (schema :func:`hazid.notify.notification_schema`), and per activity
      ``<ORIGIN>-<AFFECTED>_<slug>-<hash>.png`` (:func:`hazid.notify.values.file_slug` of the
      site id: bounded and collision-free). A pair with :data:`PAIR_MAP_FROM` activities or
      more gets one map ``<ORIGIN>-<AFFECTED>_activities-<k>.png`` for each group of its
      activities that lie within a square of :data:`GROUP_SPAN_KM` km (in a local azimuthal
      equidistant projection of the pair; at most :data:`GROUP_MAX` activities, neighbours
      along a Hilbert curve where they are denser): it shows all the activities of the group, each
      labelled with its number in the dossier, and each of them links to it; an activity
      alone in its square keeps its own map. All the maps of a run are drawn in one batch
      on every core (:func:`hazid.maps.static_maps`). With several languages each of these
      names gets
      the language before its extension (``KAZ-UZB.ru.md``, ``KAZ-UZB_A-559aead0.ru.png``).
      The Markdown and HTML dossiers link to the interactive map of the pair,
      ``<ORIGIN>-<AFFECTED>_map.html`` in the same folder (see ``map_links``), which
      :func:`hazid.write_results` writes.

    The area of the affected Party inside a zone and the river length inside it are computed
    on the WGS 84 ellipsoid (pyproj.Geod) from the intersection of the layers.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Results folder; ``notifications/`` is created inside it.
    sites, holdings, affected : pandas.DataFrame
        Shared data model tables (see the README).
    zones, river_paths, borders : geopandas.GeoDataFrame, optional
        Layers used for maps and for what lies in the affected Party.
    contacts : path or pandas.DataFrame, optional
        Competent authorities and points of contact (:func:`read_contacts`).
    run : mapping, optional
        Run description (the content of run.json). Read: ``date`` (ISO date of the dossiers;
        today when absent); ``uncertainty_km`` (default 5), ``horizon_h`` (or
        ``horizon_days``), ``threshold_mg_l`` (or ``water_threshold_mg_l``), ``weather``,
        ``regime`` and ``annex_version``, at the top level or under ``parameters`` (the
        names of :func:`hazid.screen`); the data sources ``inventory``, ``borders``,
        ``rivers``, ``lakes``, ``population`` (top level, as ``<key>_source``, or under
        ``inputs`` as text or ``{"name", "sha256"}``); ``dense_gas_note``; ``warnings`` and
        ``limitations`` (lists, added to the limitations). Other entries except
        ``versions``, ``stages``, ``counts`` and ``finished_utc`` are listed as run
        parameters.
    maps : bool
        Draw the static PNG maps.
    map_size_px : (int, int)
        Width and height of the maps in pixels.
    map_dpi : int
        Resolution used to lay out the maps.
    map_links : bool, optional
        Link each dossier to ``<ORIGIN>-<AFFECTED>_map.html`` (relative link): always (True),
        never (False) or, by default, when that file is already in the folder.
    lang : str or sequence of str
        Language(s) of the dossiers and maps: ``"en"``, ``"ru"``, ``"en,ru"`` or a list
        (:data:`hazid.i18n.LANGUAGES`).
    response_days : int, optional
        Days the affected Party is given to reply (Annex III, paragraph 3(b)); overrides
        ``run["response_days"]``; default :data:`hazid.notify.dossier.DEFAULT_RESPONSE_DAYS`.

    Returns
    -------
    pandas.DataFrame
        The summary table (numbers unformatted).

    Raises
    ------
    OutputError
        If the folder cannot be created or a file cannot be written.
    CRSError, GeodataError
        If a layer has no CRS or lacks its key column.
    InventoryError
        If a table lacks a required column or the contacts are invalid.
    ChoiceError
        If a language is not supported or ``response_days`` is not a whole number >= 1.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> sites = pd.DataFrame({"site_id": ["A"], "site_name": ["Plant A"], "lon": [68.0],
    ...                       "lat": [42.5], "site_country": ["KAZ"], "hazardous": [True]})
    >>> aff = pd.DataFrame({"site_id": ["A"], "affected": ["UZB"], "pathway": ["air"],
    ...                     "hazard": ["toxic"], "zone_km": [23.0], "border_km": [8.1],
    ...                     "margin_km": [14.9], "uncertain": [False]})
    >>> s = write_notifications(tempfile.mkdtemp(), sites, pd.DataFrame(columns=["site_id"]),
    ...                         aff, run={"date": "2025-01-31"}, maps=False)
    >>> s[["origin", "affected", "status", "dossier"]].values.tolist()
    [['KAZ', 'UZB', 'notify', 'KAZ-UZB']]
    """
    langs = parse_langs(lang)
    run = dict(run or {})
    if response_days is not None:
        run["response_days"] = response_days
    ds = prepare_dossiers(
        sites,
        holdings,
        affected,
        zones=zones,
        river_paths=river_paths,
        borders=borders,
        contacts=contacts,
        run=run,
    )
    out = Path(out_dir) / "notifications"
    try:
        out.mkdir(parents=True, exist_ok=True)
        _clear(out)
    except OSError as err:
        raise OutputError(f"cannot prepare {out}: {err}") from err
    _write_tables(out, ds)
    pairs = list(ds.pairs().itertuples(index=False))
    drawn = _draw_maps(out, ds, pairs, langs, size_px=map_size_px, dpi=map_dpi) if maps else {}
    _write_pairs(out, ds, langs, drawn, map_links)
    return ds.summary


class _Pair(NamedTuple):
    origin: str
    affected: str
    status: str


#: Activities (over all dossiers and languages) from which the dossiers are written by several
#: processes (without PNG maps): fewer are written sooner by one.
PARALLEL_FROM = 2_000
#: Processes that write the dossiers of a run (see :data:`PARALLEL_FROM`).
WORKERS = 2


def _write_pairs(
    out: Path,
    ds: DossierSet,
    langs: Sequence[str],
    drawn: dict[tuple[str, str, str], dict[str, str]],
    map_links: bool | None,
) -> None:
    """Write the dossier of every pair in every language (its PNG maps already ``drawn``).

    From :data:`PARALLEL_FROM` activities on, :data:`WORKERS` processes (forked: the dossier
    set is shared, not copied) write them, largest first; each dossier is written on its own,
    so the files are the same whatever the number of processes.
    """
    jobs = [
        (
            _Pair(str(p.origin), str(p.affected), str(p.status)),
            lg,
            f".{lg}" if len(langs) > 1 else "",
            drawn.get((str(p.origin), str(p.affected), lg), {}),
        )
        for p in ds.pairs().itertuples(index=False)
        for lg in langs
    ]
    size = [len(ds.activities(job[0].origin, job[0].affected)) for job in jobs]
    # the tables and layers already in memory are left out of the garbage collector's passes
    # while the dossiers' many small objects come and go (in the forked workers too); objects
    # the caller froze before (the console script freezes the loaded modules) stay frozen, as
    # unfreezing gives back every frozen object
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        if WORKERS < 2 or len(jobs) < 2 or sum(size) < PARALLEL_FROM or not can_fork():
            for job in jobs:
                _write_job((out, ds, map_links), job)
            return
        jobs = [job for _, job in sorted(zip(size, jobs, strict=True), key=lambda x: -x[0])]
        forked_map(_write_job, jobs, (out, ds, map_links), workers=WORKERS)
    finally:
        if not frozen_before:
            gc.unfreeze()


def _write_job(context: tuple, job: tuple[_Pair, str, str, dict[str, str]]) -> None:
    out, ds, map_links = context
    pair, lang, suffix, files = job
    _write_pair(out, ds, pair, lang=lang, suffix=suffix, map_files=files, map_links=map_links)


def _write_pair(
    out: Path,
    ds: DossierSet,
    pair: Any,
    *,
    lang: str,
    suffix: str,
    map_files: dict[str, str],
    map_links: bool | None,
) -> None:
    """Write the JSON, Markdown and HTML dossiers of one pair in one language."""
    o, a = pair.origin, pair.affected
    stem = f"{o}-{a}"
    images = {f: (out / f).read_bytes() for f in sorted(set(map_files.values()))}
    doc = ds.document(o, a, pair.status, map_files, lang=lang)
    _write_text(
        out / f"{stem}{suffix}.json",
        dumps_indented(doc) + "\n",
    )
    link = f"{stem}_map.html"
    if not (map_links or (map_links is None and (out / link).is_file())):
        link = None
    blocks = _blocks(doc, link)  # laid out once for both formats
    _write_text(out / f"{stem}{suffix}.md", _render_md(doc, interactive=link, blocks=blocks))
    _write_text(
        out / f"{stem}{suffix}.html", _render_html(doc, images, interactive=link, blocks=blocks)
    )
    logger.info("%s%s: %s, %d activities", stem, suffix, pair.status, len(doc["activities"]))


def _write_tables(out: Path, ds: DossierSet) -> None:
    """Write the summary tables of the pairs and activities."""
    _write_csv(out / "summary.csv", _fmt_csv(ds.summary, ("margin_km", "arrival_h")))
    _write_csv(out / "matrix.csv", _matrix(ds.summary))
    _write_csv(out / "activities.csv", _fmt_csv(ds.decisions, ("margin_km", "arrival_h")))
    _write_csv(out / "not_notified.csv", _fmt_csv(ds.not_notified, ("border_km",)))


# --------------------------------------------------------------------------------------------
# regenerate from a results folder


_STR_COLUMNS = (
    "site_id", "site_name", "operator", "country", "site_country", "nearest_foreign", "reasons",
    "regime", "annex_version", "cluster_id", "address", "activity_type", "type", "affected",
    "pathway", "hazard", "river", "substance", "substance_key", "cas", "categories", "groups",
    "annex_entry", "uncertain", "hazardous",
)  # fmt: skip


def _read_table(path: Path) -> pd.DataFrame:
    """Read a table of a results folder, undoing the spreadsheet escaping of text cells."""
    try:
        head = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        dtypes = {c: str for c in head.columns if c in _STR_COLUMNS}
        df = pd.read_csv(path, dtype=dtypes, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise _problems(str(path), [(None, "", None, f"cannot read as CSV: {err}")]) from err
    for col in [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]:
        df[col] = df[col].map(lambda v: unescape_cell(v) if isinstance(v, str) else v)
    return df


def regenerate(
    results_dir: str | Path,
    *,
    contacts: str | Path | pd.DataFrame | None = None,
    maps: bool = True,
    lang: str | Sequence[str] | None = None,
    response_days: int | None = None,
) -> pd.DataFrame:
    """Rewrite ``notifications/`` of a results folder without recomputing anything.

    Reads ``sites.csv``, ``holdings.csv`` and ``affected.csv`` (required), ``run.json`` and
    the layers ``zones``, ``river_paths`` and ``borders`` of ``results.gpkg`` (each used when
    present; ``sites`` is read from the GeoPackage when ``sites.csv`` is absent), then calls
    :func:`write_notifications`.

    Parameters
    ----------
    results_dir : str or pathlib.Path
        A folder written by a hazid run.
    contacts : path or pandas.DataFrame, optional
        Competent authorities and points of contact (:func:`read_contacts`).
    maps : bool
        Draw the static PNG maps.
    lang : str or sequence of str
        Language(s) of the dossiers (see :func:`write_notifications`); by default those
        of the run (``lang`` in ``run.json``, top level or under ``parameters``), else
        English.
    response_days : int, optional
        Days the affected Party is given to reply (see :func:`write_notifications`).

    Returns
    -------
    pandas.DataFrame
        The summary table.

    Raises
    ------
    DataSourceError
        If the folder or one of its required tables is missing.
    InventoryError
        If a table cannot be read or ``run.json`` is not a JSON object.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"site_id": ["A"], "lon": [68.0], "lat": [42.5], "country": ["KAZ"],
    ...               "hazardous": [True]}).to_csv(d / "sites.csv", index=False)
    >>> pd.DataFrame({"site_id": ["A"]}).to_csv(d / "holdings.csv", index=False)
    >>> pd.DataFrame({"site_id": ["A"], "affected": ["UZB"], "pathway": ["water"],
    ...               "river": ["Syr Darya"], "arrival_h": [31.0]}).to_csv(
    ...     d / "affected.csv", index=False)
    >>> regenerate(d, maps=False)["status"].tolist()
    ['notify']
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise DataSourceError(f"results folder not found: {root}")
    gpkg = root / "results.gpkg"
    layers: set[str] = set()
    if gpkg.is_file():
        layers = set(gpd.list_layers(gpkg)["name"])

    def _layer(name: str) -> gpd.GeoDataFrame | None:
        return gpd.read_file(gpkg, layer=name) if name in layers else None

    if (root / "sites.csv").is_file():
        sites = _read_table(root / "sites.csv")
    elif "sites" in layers:
        sites = _layer("sites")
    else:
        raise DataSourceError(f"{root} has neither sites.csv nor a sites layer in results.gpkg")
    tables = {}
    for name in ("holdings", "affected"):
        p = root / f"{name}.csv"
        if not p.is_file():
            raise DataSourceError(f"{name}.csv not found in {root}")
        tables[name] = _read_table(p)
    run: dict[str, Any] = {}
    if (root / "run.json").is_file():
        try:
            run = json.loads((root / "run.json").read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise _problems(
                str(root / "run.json"), [(None, "", None, f"invalid JSON: {err}")]
            ) from err
        if not isinstance(run, dict):
            raise _problems(str(root / "run.json"), [(None, "", None, "must hold a JSON object")])
    return write_notifications(
        root,
        sites,
        tables["holdings"],
        tables["affected"],
        zones=_layer("zones"),
        river_paths=_layer("river_paths"),
        borders=_layer("borders"),
        contacts=contacts,
        run=run,
        maps=maps,
        lang=lang if lang is not None else (_run_value(run, "lang") or "en"),
        response_days=response_days,
    )

"""Writing a screening: tables, GeoPackage, dossiers, maps, ``results.xlsx`` and ``run.json``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hazid import maps
from hazid.collector import collect_less
from hazid.errors import OutputError, WorkerError
from hazid.forked import Pending, aside
from hazid.i18n import parse_langs
from hazid.output.dossiers import write_notifications
from hazid.output.folder import atomic_results_dir
from hazid.output.headings import heading_function
from hazid.output.mapfiles import borders_used, dossier_maps
from hazid.output.results import (
    HOLDINGS_COLUMNS,
    SITES_COLUMNS,
    read_table,
    write_csv,
    write_json,
    write_layers,
)
from hazid.output.workbook import write_workbook
from hazid.pipeline.results import AFFECTED_COLUMNS, ScreeningResults
from hazid.rivers import data_ends

logger = logging.getLogger(__name__)


@collect_less()
@maps.keeping()  # what the maps work out for a zone or trace, shared by all the run's maps
def write_results(
    results: ScreeningResults,
    out_dir: str | Path,
    *,
    contacts: str | Path | pd.DataFrame | None = None,
    map_html: bool = True,
    tiles: str | None = None,
    static_maps: bool = True,
    overwrite: bool = False,
    now: dt.datetime | None = None,
    progress: Callable[[str], None] | None = None,
    lang: str | Sequence[str] = "en",
    response_days: int | None = None,
) -> Path:
    """Write a screening into ``out_dir``, swapped in whole once everything is written.

    ``out_dir`` may be new or empty; an earlier hazid results folder is replaced only with
    ``overwrite=True``; anything else is refused before a file is written (see
    :mod:`hazid.output.folder`).

    Writes ``sites.csv``, ``holdings.csv``, ``run.json`` and, when the pathway stages ran,
    ``affected.csv``, ``results.gpkg`` (layers ``sites``, ``zones``, ``river_paths``,
    ``river_data_ends`` (where traces leave the river data, if any), ``borders``), the
    notification dossiers in ``notifications/`` and ``map.html``.

    Parameters
    ----------
    results : ScreeningResults
        From :func:`screen`.
    out_dir : str or Path
        Results folder: new, empty, or (with ``overwrite``) an earlier hazid results folder.
    contacts : path or DataFrame, optional
        Competent authorities and points of contact per country (see
        :func:`hazid.notify.read_contacts`).
    map_html : bool, default True
        Write the interactive map ``map.html``.
    tiles : str, optional
        Tile URL for an online base map (the map works offline without it).
    static_maps : bool, default True
        Draw a PNG map per activity in the dossiers.
    overwrite : bool, default False
        Replace an earlier hazid results folder at ``out_dir``.
    now : datetime, optional
        Time recorded in ``run.json`` and date of the dossiers (default: now, UTC).
    progress : callable, optional
        Called with the label of each step.
    lang : str or sequence of str, default "en"
        Language(s) of the dossiers: ``"en"``, ``"ru"`` or ``"en,ru"`` (see
        :func:`hazid.write_notifications`).
    response_days : int, optional
        Days the affected Party is given to reply (Annex III, paragraph 3(b)).

    Returns
    -------
    Path
        ``out_dir``.

    Raises
    ------
    OutputError
        When ``out_dir`` may not be written (see :func:`hazid.output.folder.check_results_dir`).

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from hazid import screen
    >>> res = screen(pd.DataFrame({"site_id": ["A"], "lon": ["69.2"], "lat": ["41.3"],
    ...                            "substance": ["chlorine"], "quantity": ["30"]}),
    ...              borders=False, rivers=False)
    >>> out = write_results(res, pathlib.Path(tempfile.mkdtemp()) / "results")
    >>> sorted(p.name for p in out.iterdir())
    ['.hazid-results', 'holdings.csv', 'map.html', 'results.xlsx', 'run.json', 'sites.csv']
    """
    step = progress or (lambda label: None)
    out_dir = Path(out_dir)
    now = now or dt.datetime.now(dt.UTC)
    langs = parse_langs(lang)
    has_borders = results.borders is not None
    run = dict(results.run)
    run["parameters"] = {**run.get("parameters", {}), "lang": list(langs)}
    run["finished_utc"] = now.replace(microsecond=0).isoformat()
    run.setdefault("date", now.date().isoformat())
    # the countries of the HTML maps of the run, projected and simplified once for all maps
    # (at the world level, often beside the screening already: results.map_world)
    base = (
        maps.BaseMap(results.borders, lang=langs[0], world=results.map_world)
        if map_html and has_borders
        else None
    )
    with atomic_results_dir(out_dir, overwrite=overwrite, inputs=results.sources) as tmp:
        used = borders_used(results) if results.affected is not None else None
        gpkg_written = _geopackage(results, tmp, used)  # aside, from the start
        try:
            map_written = (
                _overview(results, tmp, step, base=base, tiles=tiles, lang=langs[0])
                if map_html
                else _nothing
            )
            try:
                summary = _tables_and_dossiers(
                    results,
                    tmp,
                    step,
                    borders=used,
                    contacts=contacts,
                    run={k: v for k, v in run.items() if k != "finished_utc"},  # date only
                    static_maps=static_maps,
                    map_html=map_html,
                    lang=lang,
                    response_days=response_days,
                )
                # the workbook reads the dossiers' tables: written aside while the maps are drawn
                xlsx = tmp / "results.xlsx"
                xlsx_written = _aside(
                    xlsx, lambda: _workbook(results, tmp, langs[0]), len(results.sites)
                )
                try:
                    if map_html and summary is not None:
                        step("drawing a map per dossier")
                        dossier_maps(
                            results,
                            tmp / "notifications",
                            summary,
                            tiles=tiles,
                            lang=langs[0],
                            base=base,
                            # what the overview's process worked out, if it is done by now
                            kept=map_written.early() if isinstance(map_written, Pending) else None,
                        )
                finally:
                    xlsx_written()
            finally:
                map_written()
        finally:
            gpkg_written()
        write_json(run, tmp / "run.json")
    return out_dir


def _overview(
    results: ScreeningResults,
    tmp: Path,
    step: Callable[[str], None],
    *,
    base: maps.BaseMap | None,
    tiles: str | None,
    lang: str,
) -> Pending:
    """Start drawing ``map.html``, aside from the start; return what waits until it is written.

    The countries (``base``) are prepared first, here, and shared by the map's process and
    the pair maps drawn later; the map's process passes back the zone circles and border
    crossings it worked out (:func:`hazid.maps.kept_layers`), for the pair maps.
    """
    step("drawing the interactive map")
    if base is not None:
        base.prepare()
    html = tmp / "map.html"
    draw = maps.write_map  # folium loaded here, once for this map and the pair maps
    return _aside(
        html,
        lambda: (draw(results, html, tiles=tiles, lang=lang, base=base), maps.kept_layers())[1],
        len(results.sites),
    )


def _tables_and_dossiers(
    results: ScreeningResults,
    tmp: Path,
    step: Callable[[str], None],
    *,
    borders: gpd.GeoDataFrame | None,
    contacts: str | Path | pd.DataFrame | None,
    run: dict[str, Any],
    static_maps: bool,
    map_html: bool,
    lang: str | Sequence[str],
    response_days: int | None,
) -> pd.DataFrame | None:
    """Write the CSV tables and the dossiers; return their summary.

    ``borders``: the countries the dossiers show (:func:`hazid.output.mapfiles.borders_used`).
    """
    step("writing tables")
    write_csv(results.sites, tmp / "sites.csv", SITES_COLUMNS)
    write_csv(results.holdings, tmp / "holdings.csv", HOLDINGS_COLUMNS)
    if results.affected is None:
        return None
    write_csv(results.affected, tmp / "affected.csv", AFFECTED_COLUMNS)
    step("writing notification dossiers")
    return write_notifications(
        tmp,
        results.sites,
        results.holdings,
        results.affected,
        zones=results.zones,
        river_paths=results.river_paths,
        borders=borders,
        contacts=contacts,
        run=run,
        maps=static_maps,
        map_links=map_html,
        lang=lang,
        response_days=response_days,
    )


def _geopackage(
    results: ScreeningResults, tmp: Path, borders: gpd.GeoDataFrame | None
) -> Callable[[], None]:
    """Start writing ``results.gpkg`` (when the pathway stages ran); return what waits for it.

    ``borders``: the countries of the run's results (its ``borders`` layer).
    """
    if results.affected is None:
        return _nothing
    layers: dict[str, Any] = {
        "sites": results.sites,
        "zones": results.zones,
        "river_paths": results.river_paths,
        "river_data_ends": data_ends(results.river_paths),
        "borders": borders,
    }
    n_rows = sum(len(df) for df in layers.values() if df is not None)
    gpkg = tmp / "results.gpkg"
    return _aside(gpkg, lambda: write_layers(gpkg, layers), n_rows)


def _nothing() -> None:
    """Wait for nothing (a file written in this process)."""


#: Rows from which ``results.gpkg`` and ``results.xlsx`` are written by processes of their own.
PARALLEL_ROWS_FROM = 20_000


def _aside(path: Path, write: Callable[[], Any], rows: int) -> Pending:
    """Start writing one file; return the function that waits until it is written.

    From :data:`PARALLEL_ROWS_FROM` rows on, a forked process (the tables are shared, not
    copied) calls ``write`` while this one goes on; the file is the same as when written here.
    Waiting raises the error that stopped the writing, if any.
    """
    if rows < PARALLEL_ROWS_FROM:
        result = write()
        return Pending(lambda: result, lambda: True)
    written = aside(write)

    def wait() -> Any:
        try:
            return written()
        except WorkerError as err:  # the writer stopped, or its error could not be passed on
            raise OutputError(f"cannot write {path.name}: {err}") from err

    return Pending(wait, written.ready)


def _workbook(results: ScreeningResults, folder: Path, lang: str) -> None:
    """Write ``results.xlsx``: the result tables as sheets, headings in the run's language."""
    notes = folder / "notifications"
    tables: dict[str, pd.DataFrame | None] = {
        "sites": results.sites,
        "holdings": results.holdings,
        "affected": results.affected,
    }
    for name in ("summary", "activities"):
        csv = notes / f"{name}.csv"
        tables[name] = read_table(csv) if csv.is_file() else None
    write_workbook(folder / "results.xlsx", tables, headings=heading_function(lang))

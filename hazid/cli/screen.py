"""``hazid screen`` and ``hazid notify``: the screening and its dossiers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from hazid._version import __version__
from hazid.cli.app import (
    MaxFileMb,
    MaxRows,
    Opt,
    _limits,
    _once,
    _problem_table,
    app,
    console,
    err_console,
    leave_for_exit,
)
from hazid.errors import CRSError, GeodataError, HazidError, InventoryError, OutputError
from hazid.i18n import N_, format_integer, gettext, parse_langs
from hazid.inventory.limits import InputLimits
from hazid.notify.method import EMBEDDED_NOTES
from hazid.output.dossiers import regenerate
from hazid.output.folder import check_results_dir
from hazid.output.results import read_table
from hazid.pipeline import screen as run_screen
from hazid.pipeline import write_results

#: Stages that report progress in a full screening (reading to the interactive map).
_STAGES = 13


_LANG_HELP = "Language(s) of the dossiers: en, ru or en,ru (both, file names suffixed)."
_DAYS_HELP = "Days the affected Party is given to reply (Annex III, 3(b)); default 60."


@app.command()
def screen(
    inventory: Annotated[Path, typer.Argument(help="Inventory file (CSV, XLSX, GPKG, GeoJSON).")],
    out: Annotated[
        Path, Opt("--out", "-o", help="Results folder: new or empty (see --overwrite).")
    ],
    regime: Annotated[
        str, Opt(help="Thresholds: convention, seveso-lower or seveso-upper.")
    ] = "convention",
    cluster_km: Annotated[
        float | None, Opt("--cluster-km", help="Also classify sites within D km together.")
    ] = None,
    borders: Annotated[
        Path | None,
        Opt(help="Country polygons (default: HAZID_BORDERS, else Debian's gmt-dcw)."),
    ] = None,
    rivers: Annotated[
        list[Path] | None,
        Opt(
            help="River network: HydroRIVERS or plain lines (default: HAZID_RIVERS); "
            "repeat for several files (HydroRIVERS continents join by NEXT_DOWN)."
        ),
    ] = None,
    lakes: Annotated[
        Path | None, Opt(help="Lake polygons ending plain-line rivers (default: HAZID_LAKES).")
    ] = None,
    no_air: Annotated[
        bool, Opt("--no-air", help="Skip borders, zones and the air pathway.")
    ] = False,
    no_water: Annotated[bool, Opt("--no-water", help="Skip the water pathway.")] = False,
    weather: Annotated[str, Opt(help="Former name of --basis.")] = "worst",
    basis: Annotated[
        str | None,
        Opt(
            help="Weather case deciding the air pathway (both are computed): "
            "worst (F, 1.5 m/s) or alternative (D, 3 m/s)."
        ),
    ] = None,
    terrain: Annotated[str, Opt(help="rural or urban dispersion coefficients.")] = "rural",
    wind_from: Annotated[
        float | None, Opt("--wind-from", help="Wind direction (deg): sectors, not circles.")
    ] = None,
    sector_deg: Annotated[float, Opt("--sector-deg", help="Width of a wind sector.")] = 45.0,
    population: Annotated[
        Path | None, Opt(help="Population raster: people inside each zone.")
    ] = None,
    uncertainty_km: Annotated[
        float, Opt("--uncertainty-km", help="Border accuracy: smaller margins are uncertain.")
    ] = 5.0,
    water: Annotated[
        str, Opt(help="aquatic (E1/E2 holders) or all hazardous activities (fire-water).")
    ] = "aquatic",
    release_fraction: Annotated[
        float, Opt("--release-fraction", help="Share of the aquatic inventory spilled.")
    ] = 1.0,
    snap_km: Annotated[float, Opt("--snap-km", help="Largest site-to-river distance.")] = 10.0,
    horizon_days: Annotated[
        float, Opt("--horizon-days", help="Stop tracing after this travel time.")
    ] = 30.0,
    water_threshold_mg_l: Annotated[
        float | None, Opt("--water-threshold-mg-l", help="Stop where the peak falls below.")
    ] = None,
    decay_per_h: Annotated[float, Opt("--decay-per-h", help="First-order decay rate.")] = 0.0,
    velocity: Annotated[
        str, Opt(help="River velocity: jobson (discharge or drainage area) or flat.")
    ] = "jobson",
    runoff_mm: Annotated[
        float | None, Opt("--runoff-mm", help="Runoff depth (mm/yr) for drainage-area flow.")
    ] = None,
    gap_km: Annotated[
        float, Opt("--gap-km", help="Countries this near a data gap are asked to consult.")
    ] = 100.0,
    tailings: Annotated[
        Path | None, Opt(help="Tailings facility table (CSV): the tailings pathway.")
    ] = None,
    tailings_unverified: Annotated[
        bool, Opt("--tailings-unverified", help="Accept the unverified run-out relation.")
    ] = False,
    contacts: Annotated[
        Path | None, Opt(help="CSV of competent authorities and points of contact.")
    ] = None,
    tiles: Annotated[str | None, Opt(help="Tile URL for an online base map in map.html.")] = None,
    no_map: Annotated[bool, Opt("--no-map", help="Do not write the HTML maps.")] = False,
    no_static_maps: Annotated[
        bool, Opt("--no-static-maps", help="No PNG map per activity (national-scale runs).")
    ] = False,
    overwrite: Annotated[
        bool, Opt("--overwrite", help="Replace an earlier hazid results folder at --out.")
    ] = False,
    lang: Annotated[str, Opt("--lang", help=_LANG_HELP)] = "en",
    response_days: Annotated[int | None, Opt("--response-days", help=_DAYS_HELP)] = None,
    sheet: Annotated[
        str | None, Opt(help="Sheet of an XLSX workbook (default: the active one).")
    ] = None,
    allow_duplicates: Annotated[
        bool, Opt("--allow-duplicates", help="Add up inventory rows repeated exactly.")
    ] = False,
    max_rows: MaxRows = InputLimits.max_rows,
    max_file_mb: MaxFileMb = InputLimits.max_file_mb,
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No progress or summary.")] = False,
) -> None:
    """Screen an inventory and write the results, dossiers and map into --out."""
    langs = _langs(lang)
    limits = _limits(max_rows, max_file_mb)
    if not inventory.is_file():
        err_console.print(f"[red]error:[/red] inventory file not found: {inventory}")
        raise typer.Exit(1)
    try:  # before any computation: never destroy a file hazid did not write
        check_results_dir(out, overwrite=overwrite, inputs=[inventory, *filter(None, [tailings])])
    except OutputError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    progress_bar, progress = _progress(quiet)
    try:
        if progress_bar is not None:
            progress_bar.start()
        try:
            results = run_screen(
                inventory,
                regime=regime,
                cluster_km=cluster_km,
                borders=False if no_air else borders,
                rivers=False if no_water else _river_files(rivers),
                lakes=lakes,
                weather=weather,
                basis=basis,
                terrain=terrain,
                wind_from=wind_from,
                sector_deg=sector_deg,
                population=population,
                uncertainty_km=uncertainty_km,
                water=water,
                release_fraction=release_fraction,
                snap_km=snap_km,
                horizon_days=horizon_days,
                water_threshold_mg_l=water_threshold_mg_l,
                decay_per_h=decay_per_h,
                velocity=velocity,
                runoff_mm=runoff_mm,
                gap_km=gap_km,
                sheet=sheet,
                allow_duplicates=allow_duplicates,
                progress=progress,
                tailings=tailings,
                tailings_unverified=tailings_unverified,
                limits=limits,
            )
            write_results(
                results,
                out,
                contacts=contacts,
                map_html=not no_map,
                tiles=tiles,
                static_maps=not no_static_maps,
                overwrite=overwrite,
                progress=progress,
                lang=langs,
                response_days=response_days,
            )
        finally:
            if progress_bar is not None:
                progress_bar.stop()
    except InventoryError as err:
        bad = Path(err.source).name if err.source else inventory.name  # or the tailings table
        err_console.print(_problem_table(err.problems, f"{bad}: invalid input"))
        err_console.print("nothing was written")
        raise typer.Exit(2) from err
    except OutputError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    except (CRSError, GeodataError) as err:  # unusable input layer
        err_console.print(f"[red]invalid input:[/red] {err}")
        err_console.print("nothing was written")
        raise typer.Exit(2) from err
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        err_console.print("nothing was written")
        raise typer.Exit(1) from err
    if not quiet:
        _summary(results, inventory.name, out, langs[0])
    leave_for_exit(results)  # not freed when this returns: the process ends soon


def _river_files(rivers: list[Path] | None) -> Path | list[Path] | None:
    """One ``--rivers`` file as a path, several as a list (merged into one network)."""
    if not rivers:
        return None
    return rivers[0] if len(rivers) == 1 else list(rivers)


def _langs(value: str) -> tuple[str, ...]:
    """Languages of --lang, checked before any work (exit 2 with the allowed values)."""
    try:
        return parse_langs(value)
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err


def _progress(quiet: bool) -> tuple[Progress | None, Callable[[str], None]]:
    """Make a transient progress bar over the screening stages (none with --quiet)."""
    if quiet:
        return None, lambda label: None
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("screening", total=_STAGES)
    return bar, lambda label: bar.update(task, description=label, advance=1)


#: Labels of the console summary (translated with the dossiers' catalogue).
_SUMMARY = {
    "value": N_("value"),
    "sites": N_("sites"),
    "holdings": N_("holdings"),
    "hazardous": N_("hazardous activities"),
    "parties": N_("affected Parties"),
    "notify": N_("Party pairs to notify"),
    "consult": N_("Party pairs to consult"),
    "regime": N_("regime"),
    "note": N_("note"),
    "results": N_("results in {folder}"),
}


def _summary(results, name: str, out: Path, lang: str = "en") -> None:
    """Print the counts, the data used and the notes of a run, in the first language of --lang."""

    def label(key: str) -> str:
        return gettext(_SUMMARY[key], lang)

    counts = results.run["counts"]
    summary = Table(title=f"hazid {__version__}: {name}")
    summary.add_column("")
    summary.add_column(label("value"), justify="right")
    for key, n in (("sites", "sites"), ("holdings", "holdings"), ("hazardous", "hazardous")):
        summary.add_row(label(key), format_integer(counts[n], lang))
    summary_csv = out / "notifications" / "summary.csv"
    if summary_csv.is_file():
        pairs = read_table(summary_csv)
        active = pairs[pairs["status"].isin(["notify", "consult"])]
        summary.add_row(label("parties"), format_integer(active["affected"].nunique(), lang))
        for status in ("notify", "consult"):
            summary.add_row(
                label(status), format_integer(int((active["status"] == status).sum()), lang)
            )
    summary.add_row(label("regime"), escape(str(results.run["parameters"]["regime"])))
    console.print(summary)
    for what, rec in results.run.get("inputs", {}).items():
        for one in rec if isinstance(rec, list) else [rec]:
            text = str(one.get("name", "?"))
            if one.get("origin") == "embedded" and what in EMBEDDED_NOTES:
                text += f" ({gettext(EMBEDDED_NOTES[what], lang)})"
            console.print(f"{what}: {text}", markup=False, highlight=False)
    for warning in dict.fromkeys(results.run["warnings"]):
        if not any(warning in seen for seen in _once.seen):
            console.print(f"[yellow]{label('note')}:[/yellow] {escape(warning)}")
    console.print(label("results").format(folder=out), markup=False, highlight=False)


@app.command()
def notify(
    results_dir: Annotated[Path, typer.Argument(help="A results directory of hazid screen.")],
    contacts: Annotated[
        Path | None, Opt(help="CSV of competent authorities and points of contact.")
    ] = None,
    no_maps: Annotated[bool, Opt("--no-maps", help="Do not draw the PNG maps.")] = False,
    lang: Annotated[str | None, Opt("--lang", help=_LANG_HELP + " Default: as screened.")] = None,
    response_days: Annotated[int | None, Opt("--response-days", help=_DAYS_HELP)] = None,
) -> None:
    """Rewrite the notification dossiers of earlier results (no recomputation)."""
    langs = None if lang is None else _langs(lang)
    try:
        summary = regenerate(
            results_dir,
            contacts=contacts,
            maps=not no_maps,
            lang=langs,
            response_days=response_days,
        )
    except InventoryError as err:
        err_console.print(_problem_table(err.problems, "invalid input"))
        raise typer.Exit(2) from err
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err
    console.print(f"{len(summary)} Party pair(s); dossiers in {results_dir / 'notifications'}")

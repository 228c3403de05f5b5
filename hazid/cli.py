"""Command line interface: ``hazid validate``, ``hazid screen``.

The CLI only wires the library together; every option maps to a keyword of a public function.
Exit codes: 0 success, 2 invalid input (the problems are printed; an inventory that fails
validation, a layer without CRS or unusable geometry), 1 any other hazid error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperOption

from hazid import datasets, embedded
from hazid._version import __version__
from hazid.errors import CRSError, GeodataError, HazidError, InventoryError, OutputError
from hazid.i18n import parse_langs
from hazid.inventory import validate_inventory
from hazid.inventory.template import write_template
from hazid.output.dossiers import regenerate
from hazid.output.folder import check_results_dir
from hazid.pipeline import screen as run_screen
from hazid.pipeline import write_results

_display_type = TyperOption.display_type_rich


def _flag_without_type(self: TyperOption, ctx: typer.Context) -> str | None:
    """Show on/off flags in ``--help`` without a ``<bool>`` type."""
    return None if self.is_flag else _display_type(self, ctx)


TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]

app = typer.Typer(
    name="hazid",
    help="Identify hazardous activities (UNECE Industrial Accidents Convention, Annex I) "
    "and the Parties to notify.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True)


def _problem_table(problems: pd.DataFrame, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    for col in ("row", "column", "value", "problem"):
        table.add_column(col, overflow="fold")
    for rec in problems.itertuples(index=False):
        row = "" if pd.isna(rec.row) else str(int(rec.row))
        table.add_row(row, str(rec.column), str(rec.value), str(rec.problem))
    return table


class _Once(logging.Filter):
    """Let each warning through once; the summary then leaves out what was already shown."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        text = record.getMessage()
        if text in self.seen:
            return False
        self.seen.add(text)
        return True


_once = _Once()


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"hazid {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
    verbose: Annotated[bool, Opt("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _once.seen.clear()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(_once)
    ctx.call_on_close(lambda: [h.removeFilter(_once) for h in handlers])


@app.command()
def validate(
    inventory: Annotated[Path, typer.Argument(help="Inventory file (CSV, XLSX, GPKG, GeoJSON).")],
    sheet: Annotated[
        str | None, typer.Option(help="Sheet of an XLSX workbook (default: the active one).")
    ] = None,
    allow_duplicates: Annotated[
        bool, typer.Option("--allow-duplicates", help="Add up rows repeated exactly.")
    ] = False,
) -> None:
    """Check an inventory and print every problem (exit 2 when there are any)."""
    if not inventory.is_file():
        err_console.print(f"[red]error:[/red] inventory file not found: {inventory}")
        raise typer.Exit(1)
    try:
        holdings, problems = validate_inventory(
            inventory, sheet=sheet, allow_duplicates=allow_duplicates
        )
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(2) from err
    for key, label in (("sheet", "sheet read"), ("encoding", "encoding")):
        if holdings.attrs.get(key):
            console.print(f"{label}: {holdings.attrs[key]}")
    for old, new in holdings.attrs.get("renamed_columns", {}).items():
        console.print(f"column {old!r} read as {new!r}")
    for warning in holdings.attrs.get("warnings", []):
        console.print(f"[yellow]warning:[/yellow] {warning}")
    if len(problems):
        console.print(_problem_table(problems, f"{inventory.name}: {len(problems)} problem(s)"))
        raise typer.Exit(2)
    console.print(
        f"{inventory.name}: OK, {len(holdings)} holdings at {holdings['site_id'].nunique()} sites"
    )


Opt = typer.Option
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
    quiet: Annotated[bool, Opt("--quiet", "-q", help="No progress or summary.")] = False,
) -> None:
    """Screen an inventory and write the results, dossiers and map into --out."""
    langs = _langs(lang)
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
        _summary(results, inventory.name, out)


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


def _summary(results, name: str, out: Path) -> None:
    counts = results.run["counts"]
    summary = Table(title=f"hazid {__version__}: {name}")
    summary.add_column("")
    summary.add_column("value", justify="right")
    summary.add_row("sites", str(counts["sites"]))
    summary.add_row("holdings", str(counts["holdings"]))
    summary.add_row("hazardous activities", str(counts["hazardous"]))
    summary_csv = out / "notifications" / "summary.csv"
    if summary_csv.is_file():
        pairs = pd.read_csv(summary_csv, dtype=str, keep_default_na=False)
        active = pairs[pairs["status"].isin(["notify", "consult"])]
        summary.add_row("affected Parties", str(active["affected"].nunique()))
        summary.add_row("Party pairs to notify", str(int((active["status"] == "notify").sum())))
        summary.add_row("Party pairs to consult", str(int((active["status"] == "consult").sum())))
    summary.add_row("regime", results.run["parameters"]["regime"])
    console.print(summary)
    for what, rec in results.run.get("inputs", {}).items():
        for one in rec if isinstance(rec, list) else [rec]:
            console.print(f"{what}: {embedded.describe(one)}", markup=False, highlight=False)
    for warning in dict.fromkeys(results.run["warnings"]):
        if not any(warning in seen for seen in _once.seen):
            console.print(f"[yellow]note:[/yellow] {warning}")
    console.print(f"results in {out}")


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx); never replaced.")],
    lang: Annotated[str, typer.Option(help="Language of the headers: en or ru.")] = "en",
) -> None:
    """Write an empty inventory workbook to fill in (columns, meanings, allowed values)."""
    try:
        console.print(f"template written to {write_template(out, lang=lang)}")
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err


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


data_app = typer.Typer(
    help="Public datasets hazid knows: list, fetch, locate.", no_args_is_help=True
)
app.add_typer(data_app, name="data")


@data_app.command("list")
def data_list() -> None:
    """List the known datasets, their licence and whether they are available locally."""
    table = Table(title=f"datasets (data directory: {datasets.data_dir()})")
    for col in ("name", "local", "licence", "title"):
        table.add_column(col, overflow="fold")
    for rec in datasets.list_datasets().itertuples(index=False):
        table.add_row(rec.name, "yes" if rec.local else "no", rec.licence, rec.title)
    console.print(table)


@data_app.command("fetch")
def data_fetch(
    name: Annotated[str, typer.Argument(help="Dataset name (see hazid data list).")],
    base_url: Annotated[str | None, Opt("--base-url", help="Mirror to download from.")] = None,
    force: Annotated[bool, Opt("--force", help="Download again.")] = False,
) -> None:
    """Download a dataset into the data directory (nothing is fetched if it is there)."""
    try:
        console.print(str(datasets.fetch(name, base_url=base_url, force=force)))
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err


@data_app.command("path")
def data_path(name: Annotated[str, typer.Argument(help="Dataset name.")]) -> None:
    """Print the local path of a fetched dataset."""
    try:
        console.print(str(datasets.path(name)))
    except HazidError as err:
        err_console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(1) from err


# --- the notification process: diff, register, catalogue --------------------------------------


def _frame(df: pd.DataFrame, title: str, columns: list[str]) -> Table:
    """Show values as they are in a table (a ``[`` in a name is no console markup)."""
    from rich.text import Text

    table = Table(title=Text(title))
    for col in columns:
        table.add_column(col, overflow="fold")
    for rec in df[columns].itertuples(index=False):
        table.add_row(*(Text("" if pd.isna(v) else str(v)) for v in rec))
    return table


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False)


def _process_error(err: HazidError) -> typer.Exit:
    from rich.text import Text

    err_console.print(Text.assemble(("error:", "red"), " ", str(err)))
    return typer.Exit(1)


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Results folder the notification was based on.")],
    new: Annotated[Path, typer.Argument(help="Results folder of the new screening.")],
    out: Annotated[Path | None, Opt(help="Write changes.csv, pairs.csv and letters/ here.")] = None,
    since: Annotated[
        str | None, Opt(help="Date of the notification (default: the old screening's date).")
    ] = None,
) -> None:
    """List what changed between two screenings, per activity and pair of Parties."""
    from hazid import process

    try:
        changes = process.diff(old, new, since=since)
        if out is not None:
            process.write_changes(changes, out)
    except HazidError as err:
        raise _process_error(err) from err
    pairs = changes.pairs[changes.pairs["n_changes"] > 0]
    cols = ["origin", "affected", "old_status", "new_status", "renotify", "n_changes"]
    console.print(_frame(pairs, f"{len(changes.table)} change(s) since {changes.since}", cols))
    for rec in changes.renotify.itertuples(index=False):
        _say(f"notify again: {rec.origin} -> {rec.affected} ({rec.new_status})")
    if out is not None:
        _say(f"changes and letters in {out}")


register_app = typer.Typer(
    help="The notification register: dossiers prepared, sent, acknowledged; overdue replies.",
    no_args_is_help=True,
)
app.add_typer(register_app, name="register")
_DB = Annotated[Path, typer.Argument(help="Register file (SQLite; created when absent).")]
_REF = Annotated[str, typer.Argument(help="Reference number of the dossier.")]
_LIST = ["reference", "origin", "affected", "status", "state", "date_sent", "response_deadline"]


@register_app.command("add")
def register_add(
    db: _DB,
    results: Annotated[Path, typer.Argument(help="Results folder of hazid screen.")],
) -> None:
    """Add a screening's dossiers to the register as prepared."""
    from hazid import process

    try:
        rows = process.Register(db).add_screening(results)
    except HazidError as err:
        raise _process_error(err) from err
    console.print(_frame(rows, f"{len(rows)} dossier(s) of {results.name}", _LIST))


@register_app.command("sent")
def register_sent(
    db: _DB,
    reference: _REF,
    date: Annotated[str, Opt(help="Date sent, YYYY-MM-DD.")],
    deadline: Annotated[str | None, Opt(help="Response deadline, YYYY-MM-DD.")] = None,
    response_days: Annotated[int | None, Opt(help="Days from sending to the deadline.")] = None,
) -> None:
    """Record that a dossier was sent, and the response deadline."""
    from hazid import process

    try:
        reg = process.Register(db)
        reg.mark_sent(reference, date=date, deadline=deadline, response_days=response_days)
    except HazidError as err:
        raise _process_error(err) from err
    _say(f"{reference}: sent {date}")


@register_app.command("reply")
def register_reply(
    db: _DB,
    reference: _REF,
    date: Annotated[str, Opt(help="Date of acknowledgement, YYYY-MM-DD.")],
    intent: Annotated[str, Opt(help="Intent to consult: yes, no or unknown.")] = "unknown",
    consultation_start: Annotated[str | None, Opt(help="First day of consultations.")] = None,
    consultation_end: Annotated[str | None, Opt(help="Last day of consultations.")] = None,
    notes: Annotated[str | None, Opt(help="Added to the notes of the dossier.")] = None,
) -> None:
    """Record the affected Party's acknowledgement and whether it will consult."""
    from hazid import process

    try:
        process.Register(db).record_reply(
            reference,
            date=date,
            intent=intent,
            consultation_start=consultation_start,
            consultation_end=consultation_end,
            notes=notes,
        )
    except HazidError as err:
        raise _process_error(err) from err
    _say(f"{reference}: acknowledged {date} (intent to consult: {intent})")


@register_app.command("list")
def register_list(db: _DB) -> None:
    """List every dossier in the register."""
    from hazid import process

    try:
        rows = process.Register(db).notifications()
    except HazidError as err:
        raise _process_error(err) from err
    cols = [*_LIST, "date_acknowledged", "intent_to_consult", "results"]
    console.print(_frame(rows, f"{len(rows)} dossier(s)", cols))


@register_app.command("overdue")
def register_overdue(
    db: _DB,
    today: Annotated[str | None, Opt(help="Count from this day (default: today).")] = None,
) -> None:
    """List dossiers sent whose response deadline passed without acknowledgement."""
    from hazid import process

    try:
        rows = process.Register(db).overdue(today=today)
    except HazidError as err:
        raise _process_error(err) from err
    console.print(_frame(rows, f"{len(rows)} overdue", [*_LIST, "days_overdue"]))


@register_app.command("renotify")
def register_renotify(
    db: _DB,
    changes: Annotated[Path, typer.Argument(help="Output folder of hazid diff (pairs.csv).")],
) -> None:
    """List the pairs of Parties to notify again after a diff, with their last dossier."""
    from hazid import process

    try:
        rows = process.Register(db).needing_renotification(changes)
    except HazidError as err:
        raise _process_error(err) from err
    cols = ["origin", "affected", "old_status", "new_status", "last_reference", "state"]
    console.print(_frame(rows, f"{len(rows)} pair(s) to notify again", cols))


@app.command()
def catalogue(
    results: Annotated[list[Path], typer.Argument(help="Results folders, one per country.")],
    out: Annotated[Path, Opt(help="The catalogue GeoPackage (.gpkg); JSON and CSV beside it.")],
) -> None:
    """Merge several countries' screenings into one regional catalogue, reconciled."""
    from hazid import process

    try:
        cat = process.catalogue(results)
        process.write_catalogue(cat, out)
    except HazidError as err:
        raise _process_error(err) from err
    _say(f"screenings: {len(results)}; activities reaching abroad: {len(cat.sites)}")
    _say(f"to reconcile: {len(cat.reconciliation)} (reconciliation.csv)")
    _say(f"catalogue in {out}")


def main() -> None:
    """Entry point of the ``hazid`` console script."""
    app()

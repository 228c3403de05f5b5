"""``hazid data``: the public datasets hazid knows."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hazid import datasets
from hazid.cli.app import Opt, app, console, err_console
from hazid.errors import HazidError

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

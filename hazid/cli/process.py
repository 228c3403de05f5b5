"""``hazid diff``, ``hazid register``, ``hazid catalogue``: the notification process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from hazid.cli.app import Opt, app, console, err_console
from hazid.errors import HazidError

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
    lang: Annotated[str, Opt(help="Language(s) of the letters: en, ru or en,ru.")] = "en",
) -> None:
    """List what changed between two screenings, per activity and pair of Parties."""
    from hazid import process

    try:
        changes = process.diff(old, new, since=since)
        if out is not None:
            process.write_changes(changes, out, lang=lang)
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

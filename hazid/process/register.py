"""The notification register: one SQLite file that follows each dossier after the screening.

Per pair of Parties and dossier the register keeps the reference number, the state
(``prepared``, ``sent``, ``acknowledged``), the date sent, the response deadline, the date of
acknowledgement, the affected Party's intent to consult (``yes``, ``no``, ``unknown``; Annex
III, paragraph 4 of the Convention: the notified Party replies within the time set in the
notification, paragraph 3(b), acknowledging receipt and saying whether it intends to enter
into consultations), consultation dates, notes, and the results folder
(its name, never a local path) with the SHA-256 of its ``notifications/summary.csv``.

Concurrency: every write is one transaction opened with ``BEGIN IMMEDIATE`` (a second writer
waits for the first, up to the busy timeout), the database runs in write-ahead-log mode so that
readers never block the writer, and the schema carries a version with migrations applied in
order when the register is opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from hazid.errors import ProcessError, check_choice
from hazid.process.read import Screening, read_screening, status_rank

logger = logging.getLogger(__name__)

__all__ = ["INTENTS", "MIGRATIONS", "SCHEMA_VERSION", "Register"]

#: Answers of an affected Party on whether it will enter into consultations.
INTENTS: tuple[str, ...] = ("yes", "no", "unknown")

#: Schema migrations, applied in order; the register records the last one applied.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE screenings (
        id INTEGER PRIMARY KEY,
        folder TEXT NOT NULL,
        summary_sha256 TEXT NOT NULL,
        run_date TEXT,
        hazid_version TEXT,
        added_utc TEXT NOT NULL,
        UNIQUE (folder, summary_sha256)
    );
    CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        origin TEXT NOT NULL,
        affected TEXT NOT NULL,
        dossier TEXT NOT NULL,
        screening_id INTEGER NOT NULL REFERENCES screenings (id),
        status TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'prepared'
            CHECK (state IN ('prepared', 'sent', 'acknowledged')),
        date_sent TEXT,
        response_deadline TEXT,
        date_acknowledged TEXT,
        intent_to_consult TEXT NOT NULL DEFAULT 'unknown'
            CHECK (intent_to_consult IN ('yes', 'no', 'unknown')),
        consultation_start TEXT,
        consultation_end TEXT,
        notes TEXT NOT NULL DEFAULT '',
        UNIQUE (screening_id, origin, affected)
    );
    CREATE INDEX notifications_pair ON notifications (origin, affected);
    """,
)

#: Version of the schema this hazid writes.
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "reference, origin, affected, dossier, n.status, state, date_sent, response_deadline, "
    "date_acknowledged, intent_to_consult, consultation_start, consultation_end, notes, "
    "s.folder, s.summary_sha256, s.run_date"
)


def _date(value: Any, what: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as err:
        raise ProcessError(f"{what} must be a date YYYY-MM-DD; got {value!r}") from err


class Register:
    """A notification register in one SQLite file (created with its schema when absent).

    Parameters
    ----------
    path : str or Path
        The database file.
    timeout_s : float, default 30
        How long a writer waits for another one to finish (busy timeout).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> reg = Register(pathlib.Path(tempfile.mkdtemp()) / "register.sqlite")
    >>> reg.schema_version, len(reg.notifications())
    (1, 0)
    """

    def __init__(self, path: str | Path, *, timeout_s: float = 30.0) -> None:
        self.path = Path(path)
        if self.path.exists() and not self.path.is_file():
            raise ProcessError(f"register {self.path.name} is not a file")
        self.timeout_s = timeout_s
        with self._connect() as con:
            con.execute("PRAGMA journal_mode = WAL")
        with self._write() as con:
            self._migrate(con)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            con = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        except sqlite3.Error as err:
            raise ProcessError(f"register {self.path.name} cannot be opened: {err}") from err
        try:
            con.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
            con.execute("PRAGMA foreign_keys = ON")
            yield con
        except sqlite3.DatabaseError as err:
            raise ProcessError(f"register {self.path.name}: {err}") from err
        finally:
            con.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it or nothing."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    @staticmethod
    def _migrate(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        current = row[0] or 0
        if current > SCHEMA_VERSION:
            raise ProcessError(
                f"register schema version {current} is newer than this hazid's "
                f"({SCHEMA_VERSION}): update hazid"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version - 1].split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
            logger.info("register migrated to schema version %d", version)

    @property
    def schema_version(self) -> int:
        """The schema version of the database."""
        with self._connect() as con:
            return int(con.execute("SELECT max(version) FROM schema_version").fetchone()[0])

    def add_screening(self, results: str | Path | Screening) -> pd.DataFrame:
        """Add a screening's dossiers as ``prepared`` (again: nothing is added twice).

        Parameters
        ----------
        results : str, Path or Screening
            A results folder of ``hazid screen`` with ``notifications/summary.csv``.

        Returns
        -------
        pandas.DataFrame
            The register rows of that screening's dossiers (see :meth:`notifications`).
        """
        s = read_screening(results)
        if s.summary_sha256 is None:
            raise ProcessError(f"{s.name} has no notifications/summary.csv: nothing to register")
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._write() as con:
            con.execute(
                "INSERT OR IGNORE INTO screenings (folder, summary_sha256, run_date, "
                "hazid_version, added_utc) VALUES (?, ?, ?, ?, ?)",
                (s.name, s.summary_sha256, s.date, s.hazid_version, now),
            )
            sid = con.execute(
                "SELECT id FROM screenings WHERE folder = ? AND summary_sha256 = ?",
                (s.name, s.summary_sha256),
            ).fetchone()[0]
            for rec in s.summary.itertuples(index=False):
                if status_rank(rec.status) == 0:
                    continue
                self._insert(con, s, sid, rec)
        return self.notifications(folder=s.name)

    @staticmethod
    def _insert(con: sqlite3.Connection, s: Screening, sid: int, rec: Any) -> None:
        if con.execute(
            "SELECT 1 FROM notifications WHERE screening_id = ? AND origin = ? AND affected = ?",
            (sid, rec.origin, rec.affected),
        ).fetchone():
            return
        doc = s.dossiers.get((rec.origin, rec.affected), {})
        base = doc.get("reference") or doc.get("reference_number")
        base = base or f"{rec.origin}-{rec.affected}/{s.date}"
        reference, n = str(base), 1
        while con.execute(
            "SELECT 1 FROM notifications WHERE reference = ?", (reference,)
        ).fetchone():
            n += 1
            reference = f"{base}/{n}"
        deadline = _date(doc.get("response_deadline"), "response_deadline of the dossier")
        con.execute(
            "INSERT INTO notifications (reference, origin, affected, dossier, screening_id, "
            "status, response_deadline) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                reference,
                rec.origin,
                rec.affected,
                rec.dossier or reference,
                sid,
                rec.status,
                deadline,
            ),
        )

    def _row(self, con: sqlite3.Connection, reference: str) -> sqlite3.Row:
        con.row_factory = sqlite3.Row
        row = con.execute(
            "SELECT * FROM notifications WHERE reference = ?", (reference,)
        ).fetchone()
        if row is None:
            raise ProcessError(f"no notification with reference {reference!r} in the register")
        return row

    def mark_sent(
        self,
        reference: str,
        *,
        date: str | dt.date,
        deadline: str | dt.date | None = None,
        response_days: int | None = None,
    ) -> None:
        """Record that a dossier was sent, with the date by which a reply is expected.

        Parameters
        ----------
        reference : str
            Reference number of the dossier.
        date : str or date
            Date sent (``YYYY-MM-DD``).
        deadline : str or date, optional
            Response deadline; or ``response_days`` after ``date``; else the dossier's own.
        response_days : int, optional
            Days from ``date`` to the response deadline.
        """
        sent = _date(date, "date")
        if deadline is not None and response_days is not None:
            raise ProcessError("give deadline or response_days, not both")
        due = _date(deadline, "deadline")
        if response_days is not None:
            due = (dt.date.fromisoformat(sent) + dt.timedelta(days=int(response_days))).isoformat()
        with self._write() as con:
            row = self._row(con, reference)
            due = due or row["response_deadline"]
            if due is None:
                raise ProcessError(
                    f"{reference}: give a response deadline (deadline= or response_days=)"
                )
            if due < sent:
                raise ProcessError(f"{reference}: the response deadline {due} is before {sent}")
            con.execute(
                "UPDATE notifications SET state = CASE WHEN state = 'prepared' THEN 'sent' "
                "ELSE state END, date_sent = ?, response_deadline = ? WHERE reference = ?",
                (sent, due, reference),
            )

    def record_reply(
        self,
        reference: str,
        *,
        date: str | dt.date,
        intent: str = "unknown",
        consultation_start: str | dt.date | None = None,
        consultation_end: str | dt.date | None = None,
        notes: str | None = None,
    ) -> None:
        """Record the affected Party's acknowledgement and whether it will consult.

        Parameters
        ----------
        reference : str
            Reference number of the dossier (it must have been sent).
        date : str or date
            Date of acknowledgement.
        intent : {"yes", "no", "unknown"}, default "unknown"
            Intent to enter into consultations.
        consultation_start, consultation_end : str or date, optional
            Consultation dates.
        notes : str, optional
            Appended to the notes of the dossier.
        """
        check_choice("intent", intent, INTENTS)
        ack = _date(date, "date")
        start = _date(consultation_start, "consultation_start")
        end = _date(consultation_end, "consultation_end")
        if start and end and end < start:
            raise ProcessError(f"{reference}: consultation ends ({end}) before it starts ({start})")
        with self._write() as con:
            row = self._row(con, reference)
            if row["date_sent"] is None:
                raise ProcessError(f"{reference} has not been sent: record mark_sent first")
            if ack < row["date_sent"]:
                raise ProcessError(f"{reference}: acknowledged {ack} before it was sent")
            text = "\n".join(t for t in (row["notes"], notes or "") if t)
            con.execute(
                "UPDATE notifications SET state = 'acknowledged', date_acknowledged = ?, "
                "intent_to_consult = ?, consultation_start = coalesce(?, consultation_start), "
                "consultation_end = coalesce(?, consultation_end), notes = ? WHERE reference = ?",
                (ack, intent, start, end, text, reference),
            )

    def add_note(self, reference: str, note: str) -> None:
        """Append a line to the notes of a dossier."""
        with self._write() as con:
            row = self._row(con, reference)
            text = "\n".join(t for t in (row["notes"], note) if t)
            con.execute("UPDATE notifications SET notes = ? WHERE reference = ?", (text, reference))

    def notifications(self, *, folder: str | None = None) -> pd.DataFrame:
        """Return the register as a table, one row per dossier (optionally of one folder)."""
        sql = f"SELECT {_COLUMNS} FROM notifications n JOIN screenings s ON s.id = screening_id"
        args: tuple[str, ...] = ()
        if folder is not None:
            sql, args = sql + " WHERE s.folder = ?", (folder,)
        with self._connect() as con:
            df = pd.read_sql_query(
                sql + " ORDER BY origin, affected, s.run_date, reference", con, params=args
            )
        return df.rename(columns={"folder": "results"})

    def overdue(self, *, today: str | dt.date | None = None) -> pd.DataFrame:
        """Dossiers sent whose response deadline has passed without acknowledgement.

        Parameters
        ----------
        today : str or date, optional
            The day to count from (default: today, UTC); a fixed day makes the list repeatable.
        """
        day = _date(today, "today") or dt.datetime.now(dt.UTC).date().isoformat()
        df = self.notifications()
        late = (df["state"] == "sent") & df["response_deadline"].notna()
        late &= df["response_deadline"].fillna("9999") < day
        out = df[late].reset_index(drop=True)
        out["days_overdue"] = [
            (dt.date.fromisoformat(day) - dt.date.fromisoformat(d)).days
            for d in out["response_deadline"]
        ]
        return out

    def needing_renotification(self, changes: Any) -> pd.DataFrame:
        """Pairs whose status rose in a diff, with their latest register entry (if any).

        Parameters
        ----------
        changes : Changes, DataFrame or path
            A :class:`hazid.process.Changes`, its ``pairs`` table, or a ``pairs.csv`` /
            diff folder written by :func:`hazid.process.write_changes`.
        """
        pairs = _pairs_table(changes)
        rose = pairs[pairs["renotify"].astype(str).str.lower() == "true"]
        latest = self.notifications().drop_duplicates(["origin", "affected"], keep="last")
        keep = ["origin", "affected", "reference", "state", "date_sent", "results"]
        out = rose[["origin", "affected", "old_status", "new_status"]].merge(
            latest[keep], on=["origin", "affected"], how="left"
        )
        return out.rename(columns={"reference": "last_reference", "results": "last_results"})


def _pairs_table(changes: Any) -> pd.DataFrame:
    if isinstance(changes, pd.DataFrame):
        return changes
    if hasattr(changes, "pairs"):
        return changes.pairs
    path = Path(changes)
    path = path / "pairs.csv" if path.is_dir() else path
    if not path.is_file():
        raise ProcessError(f"{path.name} not found: give a diff folder or its pairs.csv")
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")

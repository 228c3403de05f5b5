"""The notification process: what changed between two screenings, the register, the catalogue.

The screenings are of part of the demo inventory against two hand-drawn countries, so that
every distance can be checked by hand: the border runs along latitude 43.0 N east of 72 E and
42.8 N west of it, Kazakhstan to the north, Kyrgyzstan to the south (1 degree of latitude is
111.08 km at 43 N). A year later Almaty's chlorine is raised from 18 t to 30 t (threshold
25 t: the site becomes a hazardous activity and its toxic zone, 40.2 km and beyond the reach of
the model, so "consult", reaches Kyrgyzstan 21.66 km away) and the Kara-Balta refinery is moved
from 42.83 N to 42.99 N (1.11 km from the border: its 13.5 km fire zone reaches Kazakhstan).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import re
import shutil
import sqlite3
from importlib import resources
from pathlib import Path

import geopandas as gpd
import jsonschema
import pandas as pd
import pyogrio
import pytest
import shapely

import hazid
import hazid.process as hp
from hazid.errors import ChoiceError, ProcessError
from hazid.process.letters import letter_html, letter_markdown

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "examples" / "central_asia_demo.csv"
SITES = ["KZ-008", "KG-001", "KG-002", "KG-004"]


def _borders(north_of: float = 43.0) -> gpd.GeoDataFrame:
    kaz = shapely.Polygon(
        [(65, 42.8), (72, 42.8), (72, north_of), (85, north_of), (85, 55), (65, 55)]
    )
    kgz = shapely.Polygon(
        [(65, 39.5), (85, 39.5), (85, north_of), (72, north_of), (72, 42.8), (65, 42.8)]
    )
    return gpd.GeoDataFrame(
        {"iso_a3": ["KAZ", "KGZ"], "name": ["Kazakhstan", "Kyrgyzstan"]},
        geometry=[kaz, kgz],
        crs="EPSG:4326",
    )


def _screen(inv: pd.DataFrame, folder: Path, borders, when: dt.datetime) -> Path:
    path = folder.parent / f"{folder.name}.csv"
    inv.to_csv(path, index=False)
    results = hazid.screen(path, borders=borders, rivers=False)
    return hazid.write_results(results, folder, map_html=False, static_maps=False, now=when)


def _ref(folder: Path, pair: str) -> str:
    """Reference number of the dossier of a pair (``notifications/<pair>.json``)."""
    doc = json.loads((Path(folder) / "notifications" / f"{pair}.json").read_text("utf-8"))
    return doc["reference"]


@pytest.fixture(scope="module")
def inventories():
    inv = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    old = inv[inv["site_id"].isin(SITES)].reset_index(drop=True)
    new = old.copy()
    new.loc[(new["site_id"] == "KZ-008") & (new["substance"] == "chlorine"), "quantity"] = "30"
    new.loc[new["site_id"] == "KG-002", "lat"] = "42.99"
    return old, new


@pytest.fixture(scope="module")
def screenings(tmp_path_factory, inventories):
    base = tmp_path_factory.mktemp("process")
    old, new = inventories
    b = _borders()
    a = _screen(old, base / "screening-2025", b, dt.datetime(2025, 3, 1, tzinfo=dt.UTC))
    c = _screen(new, base / "screening-2026", b, dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    return a, c


EXPECTED_ROWS = [
    ("KAZ", "", "KZ-008", "became_hazardous", "", "", "false", "true", ""),
    ("KAZ", "", "KZ-008", "quantity_changed", "", "chlorine", "18", "30", "q/Q 0.72 -> 1.2"),
    ("KAZ", "KGZ", "", "pair_status_changed", "", "", "none", "consult", "rose"),
    ("KAZ", "KGZ", "KZ-008", "zone_crosses_border", "air", "", "",
     "toxic zone 40.234 km, margin 18.57 km", ""),
    ("KAZ", "KGZ", "KZ-008", "activity_status_changed", "", "", "none", "consult", ""),
    ("KGZ", "", "KG-002", "site_moved", "", "lon, lat", "73.87, 42.83", "73.87, 42.99",
     "border_km 18.885 -> 1.111"),
    ("KGZ", "KAZ", "", "pair_status_changed", "", "", "consult", "notify", "rose"),
    ("KGZ", "KAZ", "KG-002", "zone_crosses_border", "air", "", "",
     "fire zone 13.454 km, margin 12.343 km", ""),
    ("KGZ", "KAZ", "KG-002", "activity_status_changed", "", "", "none", "notify", ""),
]  # fmt: skip

COLUMNS = ["origin", "affected", "site_id", "change", "pathway", "item", "old", "new", "detail"]


def test_diff_lists_exactly_the_changes(screenings):
    changes = hp.diff(*screenings)
    rows = [tuple(r) for r in changes.table[COLUMNS].itertuples(index=False)]
    assert rows == EXPECTED_ROWS
    assert changes.since == "2025-03-01"
    pairs = changes.pairs.set_index(["origin", "affected"])
    assert pairs.loc[("KAZ", "KGZ"), ["old_status", "new_status", "n_changes"]].tolist() == [
        "none",
        "consult",
        5,
    ]
    assert pairs.loc[("KGZ", "KAZ"), ["old_status", "new_status", "n_changes"]].tolist() == [
        "consult",
        "notify",
        4,
    ]
    renotify = changes.renotify
    assert list(zip(renotify["origin"], renotify["affected"], strict=True)) == [
        ("KAZ", "KGZ"),
        ("KGZ", "KAZ"),
    ]


def test_diff_of_a_screening_with_itself_is_empty(screenings):
    changes = hp.diff(screenings[0], screenings[0])
    assert changes.table.empty and not changes.pairs["renotify"].any()
    assert (changes.pairs["n_changes"] == 0).all()


def _expected_letter(version: str) -> str:
    return f"""# Changes since the notification of 2025-03-01

Party of origin: Kazakhstan (KAZ). Affected Party: Kyrgyzstan (KGZ).

Screenings compared: screening-2025 (2025-03-01, hazid {version}) and screening-2026 \
(2026-03-02, hazid {version}).

Status of the pair: none before, consult now.

The status rose: this pair of Parties is notified again (Article 4 and Annex III of the Convention).

| Activity | Change | Pathway | Item | Before | After | Details |
|---|---|---|---|---|---|---|
| Almaty water treatment works (KZ-008) | became a hazardous activity |  |  | false | true |  |
| Almaty water treatment works (KZ-008) | quantity changed (t) |  | chlorine | 18 | 30 | \
q/Q 0.72 -\\> 1.2 |
|  | status of the pair changed |  |  | none | consult | rose |
| Almaty water treatment works (KZ-008) | zone now reaches the affected Party | air |  |  | \
toxic zone 40.234 km, margin 18.57 km |  |
| Almaty water treatment works (KZ-008) | status of the activity changed |  |  | none | consult |  |
"""


def test_letters_in_russian(screenings, tmp_path):
    out = hp.write_changes(hp.diff(*screenings), tmp_path / "diff", lang="en,ru")
    letters = sorted(p.name for p in (out / "letters").iterdir())
    assert "KAZ-KGZ.ru.md" in letters and "KAZ-KGZ.en.html" in letters
    ru = (out / "letters" / "KAZ-KGZ.ru.md").read_text(encoding="utf-8")
    assert ru.startswith("# Изменения после уведомления от 2025-03-01")
    assert "Статус пары: ранее — нет, теперь — консультации." in ru
    assert "изменилось количество (т)" in ru and "Changes since" not in ru
    page = (out / "letters" / "KAZ-KGZ.ru.html").read_text(encoding="utf-8")
    assert '<html lang="ru">' in page and "Деятельность" in page


def test_write_changes_files_and_letters(screenings, tmp_path):
    out = hp.write_changes(hp.diff(*screenings), tmp_path / "diff")
    letters = sorted(p.name for p in (out / "letters").iterdir())
    assert letters == ["KAZ-KGZ.html", "KAZ-KGZ.md", "KGZ-KAZ.html", "KGZ-KAZ.md"]
    md = (out / "letters" / "KAZ-KGZ.md").read_text(encoding="utf-8")
    assert md == _expected_letter(hazid.__version__)
    page = (out / "letters" / "KGZ-KAZ.html").read_text(encoding="utf-8")
    assert "<h1>Changes since the notification of 2025-03-01</h1>" in page
    assert "<td>fire zone 13.454 km, margin 12.343 km</td>" in page
    raw = (out / "changes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
    back = pd.read_csv(out / "changes.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert [tuple(r) for r in back[COLUMNS].itertuples(index=False)] == EXPECTED_ROWS
    pairs = pd.read_csv(out / "pairs.csv", encoding="utf-8-sig")
    assert pairs["renotify"].tolist() == [True, True]
    hp.write_changes(hp.diff(*screenings), out)  # an earlier diff folder is replaced


def test_write_changes_refuses_a_foreign_folder(screenings, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ProcessError, match=r"not empty and holds no earlier changes\.csv"):
        hp.write_changes(hp.diff(*screenings), tmp_path)


def test_letters_escape_every_input_value(screenings):
    new = hp.read_screening(screenings[1])
    evil = "<script>alert(1)</script> [click](http://evil.example) ![i](x.png)\n# head | x"
    new.sites.loc[new.sites["site_id"] == "KZ-008", "site_name"] = evil
    changes = hp.diff(screenings[0], new)
    md = letter_markdown(changes, "KAZ", "KGZ")
    page = letter_html(changes, "KAZ", "KGZ")
    assert "<script>" not in md and not re.search(r"(?<!\\)\]\(", md) and "![" not in md
    assert "\\<script\\>alert(1)\\</script\\> \\[click\\](http\\://evil\\.example)" in md
    assert "\\!\\[i\\](x\\.png) \\# head \\| x" in md
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_markdown_text_escapes_markup():
    assert hp.markdown_text("a\r\nb") == "a b"
    assert hp.markdown_text("# x") == "\\# x"
    assert hp.markdown_text("<https://x>") == "\\<https\\://x\\>"
    assert hp.markdown_text("`code` _e_") == "\\`code\\` \\_e\\_"


def test_read_screening_needs_a_results_folder(tmp_path):
    (tmp_path / "run.json").write_text("{}")
    with pytest.raises(ProcessError, match=r"is not a hazid results folder \(no sites\.csv\)"):
        hp.read_screening(tmp_path)
    (tmp_path / "sites.csv").write_text("site_id\n")
    (tmp_path / "run.json").write_text("{")
    with pytest.raises(ProcessError, match=r"run\.json cannot be read"):
        hp.read_screening(tmp_path)


def test_read_screening_tolerates_new_columns_and_unquotes(screenings, tmp_path):
    s = hp.read_screening(screenings[0])
    sites = s.sites.assign(new_column="x")
    sites.loc[0, "site_name"] = "=cmd"
    hazid_csv = tmp_path / "copy"
    hazid_csv.mkdir()
    from hazid.output.results import write_csv

    write_csv(sites, hazid_csv / "sites.csv")
    (hazid_csv / "run.json").write_text(json.dumps({"date": "2025-01-01", "extra": 1}))
    back = hp.read_screening(hazid_csv)
    assert back.sites.loc[0, "site_name"] == "=cmd" and "new_column" in back.sites
    assert back.affected.empty and list(back.affected.columns) == ["site_id", "affected", "pathway"]
    assert back.summary_sha256 is None and back.date == "2025-01-01"


# --- register -------------------------------------------------------------------------------


def test_register_round_trip(screenings, tmp_path):
    old = screenings[0]
    ref = _ref(old, "KGZ-KAZ")
    assert re.fullmatch(r"KGZ-KAZ-20250301-[0-9A-F]{6}", ref)
    reg = hp.Register(tmp_path / "register.sqlite")
    rows = reg.add_screening(old)
    assert rows[["reference", "origin", "affected", "state", "results"]].values.tolist() == [
        [ref, "KGZ", "KAZ", "prepared", "screening-2025"]
    ]
    sha = hashlib.sha256((old / "notifications" / "summary.csv").read_bytes()).hexdigest()
    assert rows.loc[0, "summary_sha256"] == sha
    reg.add_screening(old)  # again: nothing added twice
    assert len(reg.notifications()) == 1
    reg.mark_sent(ref, date="2025-03-10", response_days=60)
    reg.record_reply(
        ref,
        date=dt.date(2025, 4, 2),
        intent="yes",
        consultation_start="2025-06-01",
        consultation_end="2025-06-03",
        notes="acknowledged by note verbale",
    )
    reg.add_note(ref, "meeting in Almaty")
    rec = hp.Register(tmp_path / "register.sqlite").notifications().iloc[0]
    assert rec[
        ["state", "date_sent", "response_deadline", "date_acknowledged", "intent_to_consult"]
    ].tolist() == ["acknowledged", "2025-03-10", "2025-05-09", "2025-04-02", "yes"]
    assert rec["consultation_start"] == "2025-06-01" and rec["consultation_end"] == "2025-06-03"
    assert rec["notes"] == "acknowledged by note verbale\nmeeting in Almaty"
    assert rec["dossier"] == "KGZ-KAZ" and rec["run_date"] == "2025-03-01"
    assert reg.schema_version == hp.register.SCHEMA_VERSION == 1


def test_register_overdue_on_a_fixed_clock(screenings, tmp_path):
    reg = hp.Register(tmp_path / "r.sqlite")
    reg.add_screening(screenings[1])
    refs = reg.notifications()["reference"].tolist()
    assert refs == [_ref(screenings[1], "KAZ-KGZ"), _ref(screenings[1], "KGZ-KAZ")]
    reg.mark_sent(refs[0], date="2026-03-05", deadline="2026-05-04")
    reg.mark_sent(refs[1], date="2026-03-05", response_days=30)  # due 2026-04-04
    assert reg.overdue(today="2026-04-04").empty
    late = reg.overdue(today=dt.date(2026, 4, 5))
    assert late[["reference", "days_overdue"]].values.tolist() == [[refs[1], 1]]
    late = reg.overdue(today="2026-05-05")
    assert late[["reference", "days_overdue"]].values.tolist() == [[refs[0], 1], [refs[1], 31]]
    reg.record_reply(refs[1], date="2026-05-06", intent="no")
    assert reg.overdue(today="2026-06-01")["reference"].tolist() == [refs[0]]


def test_register_renotification_after_a_diff(screenings, tmp_path):
    reg = hp.Register(tmp_path / "r.sqlite")
    reg.add_screening(screenings[0])
    changes = hp.diff(*screenings)
    need = reg.needing_renotification(changes)
    assert need[["origin", "affected", "old_status", "new_status"]].values.tolist() == [
        ["KAZ", "KGZ", "none", "consult"],
        ["KGZ", "KAZ", "consult", "notify"],
    ]
    assert need["last_reference"].fillna("").tolist() == ["", _ref(screenings[0], "KGZ-KAZ")]
    out = hp.write_changes(changes, tmp_path / "diff")
    again = reg.needing_renotification(out)
    assert again[["origin", "affected"]].values.tolist() == [["KAZ", "KGZ"], ["KGZ", "KAZ"]]


def test_register_errors(screenings, tmp_path):
    reg = hp.Register(tmp_path / "r.sqlite")
    reg.add_screening(screenings[0])
    ref = _ref(screenings[0], "KGZ-KAZ")
    with pytest.raises(ProcessError, match="no notification with reference 'nope'"):
        reg.mark_sent("nope", date="2025-03-10", response_days=1)
    with pytest.raises(ProcessError, match=r"date must be a date YYYY-MM-DD; got '10\.03\.2025'"):
        reg.mark_sent(ref, date="10.03.2025", response_days=1)
    bare = hp.Register(tmp_path / "bare.sqlite")  # dossiers without a response deadline
    bare.add_screening(_no_deadline(screenings[0], tmp_path))
    with pytest.raises(ProcessError, match="give a response deadline"):
        bare.mark_sent(ref, date="2025-03-10")
    with pytest.raises(ProcessError, match="give deadline or response_days, not both"):
        reg.mark_sent(ref, date="2025-03-10", deadline="2025-04-01", response_days=3)
    with pytest.raises(ProcessError, match="the response deadline 2025-03-01 is before"):
        reg.mark_sent(ref, date="2025-03-10", deadline="2025-03-01")
    with pytest.raises(ProcessError, match="has not been sent"):
        reg.record_reply(ref, date="2025-03-11")
    reg.mark_sent(ref, date="2025-03-10", response_days=30)
    with pytest.raises(ChoiceError, match="intent must be one of 'yes', 'no', 'unknown'"):
        reg.record_reply(ref, date="2025-03-11", intent="maybe")
    with pytest.raises(ProcessError, match="acknowledged 2025-03-09 before it was sent"):
        reg.record_reply(ref, date="2025-03-09")
    with pytest.raises(ProcessError, match="consultation ends"):
        reg.record_reply(
            ref, date="2025-03-11", consultation_start="2025-05-02", consultation_end="2025-05-01"
        )
    assert reg.notifications().loc[0, "state"] == "sent"  # failed writes changed nothing
    with pytest.raises(ProcessError, match=r"has no notifications/summary\.csv"):
        reg.add_screening(_no_summary(screenings[0], tmp_path))
    with pytest.raises(ProcessError, match=r"give a diff folder or its pairs\.csv"):
        reg.needing_renotification(tmp_path / "missing")
    with pytest.raises(ProcessError, match="is not a file"):
        hp.Register(tmp_path)


def _no_deadline(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "no-deadline" / folder.name
    shutil.copytree(folder, copy)
    for p in (copy / "notifications").glob("*.json"):
        doc = json.loads(p.read_text("utf-8"))
        doc.pop("response_deadline", None)
        p.write_text(json.dumps(doc), encoding="utf-8")
    return copy


def _no_summary(folder: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("run.json", "sites.csv"):
        (copy / name).write_bytes((folder / name).read_bytes())
    return copy


def test_register_refuses_a_newer_schema(tmp_path):
    path = tmp_path / "r.sqlite"
    hp.Register(path)
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version (version) VALUES (99)")
    con.commit()
    con.close()
    with pytest.raises(ProcessError, match="schema version 99 is newer"):
        hp.Register(path)


def _writer(path: str, folder: str, who: str, n: int, barrier, ref: str) -> None:
    reg = hp.Register(path, timeout_s=60)
    barrier.wait()
    reg.add_screening(folder)
    for i in range(n):
        reg.add_note(ref, f"{who}-{i}")


def test_two_concurrent_writers_leave_a_consistent_register(screenings, tmp_path):
    path = tmp_path / "r.sqlite"
    hp.Register(path).add_screening(screenings[0])
    ref = _ref(screenings[0], "KGZ-KAZ")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    n = 40
    procs = [
        ctx.Process(target=_writer, args=(str(path), str(folder), who, n, barrier, ref))
        for folder, who in ((screenings[0], "a"), (screenings[1], "b"))
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert con.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    con.close()
    reg = hp.Register(path)
    table = reg.notifications()
    assert table["reference"].tolist() == sorted(
        [_ref(screenings[1], "KAZ-KGZ"), ref, _ref(screenings[1], "KGZ-KAZ")]
    )
    notes = table.set_index("reference").loc[ref, "notes"].split("\n")
    assert sorted(notes) == sorted(f"{w}-{i}" for w in "ab" for i in range(n))


# --- catalogue ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national(tmp_path_factory, inventories):
    """Kazakhstan and Kyrgyzstan screen their own sites, each with its own borders file."""
    base = tmp_path_factory.mktemp("national")
    _, new = inventories
    _borders().to_file(base / "borders_kaz.gpkg", driver="GPKG")
    _borders(north_of=43.01).to_file(base / "borders_kgz.gpkg", driver="GPKG")
    when = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    kaz = new[new["site_id"] == "KZ-008"]
    kgz = new[new["site_id"].isin(["KG-001", "KG-004"])]
    return (
        _screen(kaz, base / "kaz-2026", base / "borders_kaz.gpkg", when),
        _screen(kgz, base / "kgz-2026", base / "borders_kgz.gpkg", when),
        _screen(kgz, base / "kgz-same-borders", base / "borders_kaz.gpkg", when),
    )


def test_catalogue_lists_the_disagreement(national, tmp_path):
    kaz, kgz, _ = national
    cat = hp.catalogue([kaz, kgz])
    rec = cat.reconciliation
    rows = rec[["kind", "origin", "affected", "site_id", "results_a", "results_b"]]
    assert [tuple(r) for r in rows.itertuples(index=False)] == [
        ("different_borders", "KAZ", "KGZ", "", "kaz-2026", "kgz-2026"),
        ("unknown_to_affected", "KAZ", "KGZ", "KZ-008", "kaz-2026", "kgz-2026"),
        ("unknown_to_affected", "KGZ", "KAZ", "KG-001", "kgz-2026", "kaz-2026"),
    ]
    reason = rec.loc[0, "reason"]
    assert "borders_kaz.gpkg" in reason and "borders_kgz.gpkg" in reason
    assert cat.screenings["country"].tolist() == ["KAZ", "KGZ"]
    assert sorted(cat.sites["site_id"]) == ["KG-001", "KZ-008"]
    assert set(cat.zones["site_id"]) == {"KG-001", "KZ-008"}
    same = hp.catalogue([kaz, national[2]]).reconciliation
    assert "different_borders" not in set(same["kind"])


def test_catalogue_files_follow_the_schema_and_name_no_local_path(national, tmp_path):
    kaz, kgz, _ = national
    out = hp.write_catalogue(hp.catalogue([kaz, kgz]), tmp_path / "catalogue.gpkg")
    layers = sorted(pyogrio.list_layers(out)[:, 0])
    assert layers == ["pairs", "screenings", "sites", "zones"]
    doc = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    schema_path = resources.files("hazid").joinpath("schemas", "catalogue.schema.json")
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(doc, schema)
    assert doc["screenings"][0]["inputs"]["borders"]["name"] == "borders_kaz.gpkg"
    recon = (tmp_path / "reconciliation.csv").read_text(encoding="utf-8-sig")
    for text in (out.with_suffix(".json").read_text(encoding="utf-8"), recon):
        assert str(tmp_path.parent) not in text and str(Path.home()) not in text
    bad = dict(doc, reconciliation=[{"kind": "guess"}])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_catalogue_errors(national, tmp_path):
    with pytest.raises(ProcessError, match="at least one results folder"):
        hp.catalogue([])
    with pytest.raises(ProcessError, match="must have different names"):
        hp.catalogue([national[0], national[0]])
    with pytest.raises(ProcessError, match=r"must end in \.gpkg"):
        hp.write_catalogue(hp.catalogue([national[0]]), tmp_path / "c.json")
    with pytest.raises(ProcessError, match="does not exist"):
        hp.write_catalogue(hp.catalogue([national[0]]), tmp_path / "no" / "c.gpkg")


def test_catalogue_without_a_screening_of_the_affected_party(national):
    rec = hp.catalogue([national[0]]).reconciliation
    assert rec[["kind", "origin", "affected", "site_id"]].values.tolist() == [
        ["no_contact", "KAZ", "KGZ", ""]
    ]


# --- command line ---------------------------------------------------------------------------


def test_cli_diff_register_catalogue(screenings, national, tmp_path):
    from typer.testing import CliRunner

    from hazid.cli import app

    runner = CliRunner()
    old, new = (str(p) for p in screenings)
    res = runner.invoke(app, ["diff", old, new, "--out", str(tmp_path / "diff")])
    assert res.exit_code == 0, res.output
    assert "notify again: KAZ -> KGZ (consult)" in res.output
    assert (tmp_path / "diff" / "letters" / "KAZ-KGZ.md").is_file()
    db = str(tmp_path / "register.sqlite")
    ref = _ref(screenings[0], "KGZ-KAZ")
    steps = [
        ["register", "add", db, old],
        ["register", "sent", db, ref, "--date", "2025-03-10", "--response-days", "30"],
        ["register", "overdue", db, "--today", "2025-04-10"],
    ]
    outputs = []
    for args in steps:
        res = runner.invoke(app, args)
        assert res.exit_code == 0, res.output
        outputs.append(res.output)
    assert "1 overdue" in outputs[-1]
    res = runner.invoke(
        app, ["register", "reply", db, ref, "--date", "2025-04-12", "--intent", "no"]
    )
    assert res.exit_code == 0 and "intent to consult: no" in res.output
    res = runner.invoke(app, ["register", "overdue", db, "--today", "2025-04-20"])
    assert "0 overdue" in res.output
    res = runner.invoke(app, ["register", "renotify", db, str(tmp_path / "diff")])
    assert res.exit_code == 0 and "2 pair(s) to notify again" in res.output
    res = runner.invoke(app, ["register", "list", db])
    assert res.exit_code == 0 and "1 dossier(s)" in res.output
    res = runner.invoke(
        app, ["register", "reply", db, ref, "--date", "2025-04-12", "--intent", "?"]
    )
    assert res.exit_code == 1 and "intent must be one of" in res.output
    out = tmp_path / "cat.gpkg"
    res = runner.invoke(app, ["catalogue", *(str(p) for p in national[:2]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "to reconcile: 3 (reconciliation.csv)" in res.output and out.is_file()
    res = runner.invoke(app, ["register", "sent", db, "[/bold]", "--date", "2025-03-10"])
    assert res.exit_code == 1 and "no notification with reference '[/bold]'" in res.output
    res = runner.invoke(app, ["diff", old, str(tmp_path / "nothing")])
    assert res.exit_code == 1 and "not a hazid results folder" in res.output


def test_diff_of_river_arrivals_zone_margins_and_new_statuses(screenings):
    old = hp.read_screening(screenings[1])
    new = hp.read_screening(screenings[1])
    air = new.affected["site_id"] == "KG-001"
    new.affected.loc[air, "margin_km"] = "20.5"  # was 29.68: the zone shrank
    water = {"site_id": "KG-001", "affected": "KAZ", "pathway": "water", "river": "Chu"}
    water |= {"river_km": "12.0", "arrival_h": "3.5", "status_note": "a column added later"}
    new.affected = pd.concat([new.affected, pd.DataFrame([water])], ignore_index=True)
    old.affected = pd.concat(
        [old.affected, pd.DataFrame([{**water, "affected": "CHN", "arrival_h": "9"}])],
        ignore_index=True,
    )
    new.summary.loc[new.summary["origin"] == "KGZ", "status"] = "not assessed"
    rows = hp.diff(old, new).table
    got = [tuple(r) for r in rows[["site_id", "affected", "change", "old", "new"]].values]
    assert got == [
        ("KG-001", "CHN", "river_arrival_removed", "Chu 12 km, arrival 9 h", ""),
        ("", "KAZ", "pair_status_changed", "notify", "not assessed"),
        ("KG-001", "KAZ", "zone_shrank", "29.68", "20.5"),
        ("KG-001", "KAZ", "river_arrival_new", "", "Chu 12 km, arrival 3.5 h"),
    ]
    assert rows.loc[1, "detail"] == "fell"  # an unknown status ranks as consult, below notify
    later = hp.read_screening(screenings[1])
    later.affected.loc[later.affected["site_id"] == "KG-001", "margin_km"] = "35"
    later.summary.loc[later.summary["origin"] == "KGZ", "status"] = "notify"
    changes = hp.diff(new, later)
    grew = changes.table[changes.table["change"] == "zone_grew"]
    zone = "zone_km 40.234 -> 40.234"
    assert grew[["old", "new", "detail"]].values.tolist() == [["20.5", "35", zone]]
    assert changes.renotify[["origin", "affected"]].values.tolist() == [["KGZ", "KAZ"]]


def test_a_pathway_not_assessed_is_no_evidence_of_safety(screenings):
    old = hp.read_screening(screenings[1])
    new = hp.read_screening(screenings[1])
    new.run = {**new.run, "stages": {**new.run["stages"], "air": "not assessed"}}
    new.affected = new.affected.iloc[0:0]
    new.activities = new.activities.iloc[0:0]
    new.summary = new.summary.iloc[0:0]
    changes = hp.diff(old, new)
    got = [tuple(r) for r in changes.table[["site_id", "change", "pathway", "new"]].values]
    assert got[0] == ("", "pathway_not_assessed", "air", "not assessed")
    assert not any(c.startswith("zone_") for c in changes.table["change"])  # nothing "removed"
    assert set(changes.pairs["new_status"]) == {"not assessed"}
    assert not changes.pairs["renotify"].any()
    back = hp.diff(new, old)
    assert back.table.loc[0, "change"] == "pathway_assessed"
    assert back.renotify[["origin", "affected"]].values.tolist() == [["KAZ", "KGZ"], ["KGZ", "KAZ"]]


def test_catalogue_names_a_contact_one_screening_lacks(national):
    kaz, kgz = hp.read_screening(national[0]), hp.read_screening(national[1])
    doc = kgz.dossiers[("KGZ", "KAZ")]
    doc["party_of_origin"] = {
        **doc["party_of_origin"],
        "competent_authority": "Demo MES (fictional)",
    }
    rec = hp.catalogue([kaz, kgz]).reconciliation
    rows = rec[rec["kind"] == "no_contact"]
    assert rows[["origin", "affected", "results_a", "results_b"]].values.tolist() == [
        ["KAZ", "KGZ", "kaz-2026", "kgz-2026"]
    ]
    assert rows.iloc[0]["reason"] == (
        "the dossier KAZ-KGZ of kaz-2026 names no contact of KGZ; "
        "KGZ's own screening names Demo MES (fictional)"
    )

"""Dossiers in English and Russian after Annex III, escaping of input values, map file names.

Uses the hand-built three-country case of test_notify (KAZ, a Party since 2001; UZB and KGZ,
not Parties).
"""

from __future__ import annotations

import html as html_module
import importlib.util
import json
import re
from importlib import resources

import jsonschema
import pandas as pd
import pytest
from babel.messages.mofile import read_mo
from test_notify import DATE, make_case
from typer.testing import CliRunner

from hazid.cli import app
from hazid.errors import ChoiceError
from hazid.i18n import (
    check_lang,
    country_name,
    format_date,
    format_decimal,
    format_integer,
    parse_langs,
    translator,
)
from hazid.notify import notification_schema
from hazid.notify.markup import md_escape
from hazid.notify.parties import convention_status, voluntary
from hazid.notify.values import file_slug
from hazid.output.dossiers import regenerate, write_notifications

NBSP = "\u00a0"
runner = CliRunner()


def write(case, tmp_path, **kw):
    kw.setdefault("maps", False)
    kw.setdefault("run", {"date": DATE})
    write_notifications(
        tmp_path,
        case["sites"],
        case["holdings"],
        case["affected"],
        zones=case["zones"],
        river_paths=case["river_paths"],
        borders=case["borders"],
        **kw,
    )
    return tmp_path / "notifications"


@pytest.fixture
def case():
    return make_case()


# ------------------------------------------------------------------------------------ i18n


def test_languages_are_checked():
    assert parse_langs("en,ru") == ("en", "ru")
    assert parse_langs(["RU", "ru"]) == ("ru",)
    assert parse_langs(None) == ("en",)
    assert check_lang(" Ru ") == "ru"
    with pytest.raises(ChoiceError, match="lang must be one of 'en', 'ru'; got 'de'"):
        parse_langs("en,de")


def test_numbers_dates_and_countries_follow_the_language():
    assert format_integer(3000, "ru") == f"3{NBSP}000"
    assert format_integer(3000, "en") == "3,000"
    assert format_decimal(1234.56, "ru", decimals=1) == f"1{NBSP}234,6"
    assert format_decimal(-0.04, "en", decimals=1) == "0.0"  # no -0.0
    assert format_decimal(float("nan"), "ru", missing="?") == "?"
    assert format_date("2025-05-13", "en") == "13 May 2025"
    assert format_date("2025-05-13", "ru").startswith("13 мая 2025")
    assert country_name("RUS", "ru") == "Российская Федерация"
    assert country_name("MDA", "en") == "Moldova"
    assert country_name("ZZZ", "ru") is None


def test_countries_csv_covers_iso_3166():
    text = resources.files("hazid").joinpath("locale", "countries.csv").read_text("utf-8")
    rows = text.splitlines()
    assert rows[0] == "iso_a3,en,ru" and len(rows) == 250  # 249 codes of ISO 3166-1


def test_catalogue_translates_every_message():
    mo = resources.files("hazid").joinpath("locale", "ru", "LC_MESSAGES", "hazid.mo")
    with mo.open("rb") as fh:
        catalogue = read_mo(fh)
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert untranslated == []
    assert translator("ru").gettext("Party of origin") == "Сторона происхождения"


# ---------------------------------------------------------------------------- Parties table


def test_parties_table():
    assert convention_status("KAZ") == {"is_party": True, "since": "2001-04-11"}
    assert convention_status("MDA") == {"is_party": True, "since": None}  # date not checked
    assert convention_status("TKM") == {"is_party": False, "since": None}
    assert convention_status("CHN") == {"is_party": None, "since": None}  # not in the table
    assert voluntary("KAZ", "RUS") is False and voluntary("KAZ", "CHN") is True


def test_summary_and_dossier_say_whether_the_exchange_is_voluntary(case, tmp_path):
    out = write(case, tmp_path)
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype=str)
    assert summary["voluntary"].tolist() == ["true", "true"]
    doc = json.loads((out / "KAZ-UZB.json").read_text(encoding="utf-8"))
    assert doc["voluntary"] is True
    assert doc["affected_party"]["convention_party"] is False
    md = (out / "KAZ-UZB.md").read_text(encoding="utf-8")
    assert "voluntary exchange of information" in md


def test_dossier_between_two_parties_is_not_voluntary(case, tmp_path):
    aff = case["affected"].copy()
    aff["affected"] = aff["affected"].replace({"UZB": "RUS"})
    write_notifications(
        tmp_path, case["sites"], case["holdings"], aff, maps=False, run={"date": DATE}
    )
    doc = json.loads((tmp_path / "notifications" / "KAZ-RUS.json").read_text(encoding="utf-8"))
    assert doc["voluntary"] is False
    assert doc["affected_party"]["party_since"] == "2000-04-19"
    md = (tmp_path / "notifications" / "KAZ-RUS.md").read_text(encoding="utf-8")
    assert "voluntary" not in md
    assert "Russian Federation (RUS), Party to the Convention since 19 April 2000" in md


# ------------------------------------------------------------------- structure, both languages

REQUIRED = {
    "en": (
        "Prepared on the basis of Annex III of the Convention",
        "**Reference number:** KAZ-UZB-20250314-",
        "**Time for a reply (Annex III, paragraph 3(b)):** 60 days, by 13 May 2025",
        "to acknowledge receipt of this notification and to state whether it intends to enter "
        "into consultations",
        "Under Article 22 of the Convention",
        "## Competent authorities and points of contact",
        "| IAN System contact |",
    ),
    "ru": (
        "Подготовлено на основе приложения III к Конвенции",
        "**Регистрационный номер:** KAZ-UZB-20250314-",
        "**Срок ответа (пункт 3 b) приложения III):** 60 дней, до 13 мая 2025",
        "подтвердить факт получения настоящего уведомления и указать, намерена ли она вступить "
        "в консультации",
        "В соответствии со статьёй 22 Конвенции",
        "## Компетентные органы и пункты связи",
        "| Контакт в Системе уведомления о промышленных авариях |",
    ),
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_dossier_has_reference_deadline_and_requests(case, tmp_path, lang):
    out = write(case, tmp_path, lang=lang)
    for stem in ("KAZ-UZB", "KAZ-KGZ"):
        doc = json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))
        jsonschema.validate(doc, notification_schema(), cls=jsonschema.Draft202012Validator)
        assert doc["language"] == lang
        assert doc["response_days"] == 60 and doc["response_deadline"] == "2025-05-13"
        assert doc["acknowledgement_requested"] and doc["consultation_intent_requested"]
        assert re.fullmatch(rf"{stem}-20250314-[0-9A-F]{{6}}", doc["reference"])
    md = (out / "KAZ-UZB.md").read_text(encoding="utf-8")
    html = (out / "KAZ-UZB.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    for text in REQUIRED[lang]:
        assert text in md, text
        plain = re.sub(r"\*\*(.*?):\*\* ", r"\1", text).replace("## ", "")
        plain = plain.replace("| ", "").replace(" |", "")
        assert plain in re.sub(r"<[^>]+>", "", html), plain


def test_both_languages_share_the_reference_and_suffix_the_files(case, tmp_path):
    out = write(case, tmp_path, lang="en,ru")
    names = sorted(p.name for p in out.iterdir() if p.name.startswith("KAZ-UZB"))
    assert names == [f"KAZ-UZB.{lg}.{ext}" for lg in ("en", "ru") for ext in ("html", "json", "md")]
    en, ru = (json.loads((out / f"KAZ-UZB.{lg}.json").read_text("utf-8")) for lg in ("en", "ru"))
    assert en["reference"] == ru["reference"]
    assert en.keys() == ru.keys()  # language-neutral keys
    assert en["affected_party"]["name"] == "Uzbekistan"
    assert ru["affected_party"]["name"] == "Узбекистан"
    # a later run in one language replaces the suffixed files
    write(case, tmp_path, lang="ru")
    assert not (out / "KAZ-UZB.en.md").exists() and (out / "KAZ-UZB.md").is_file()


def test_reference_changes_with_what_is_notified(case, tmp_path):
    a = json.loads((write(case, tmp_path / "a") / "KAZ-UZB.json").read_text("utf-8"))
    run = {"date": "2025-03-15"}
    b = json.loads((write(case, tmp_path / "b", run=run) / "KAZ-UZB.json").read_text("utf-8"))
    assert a["reference"] != b["reference"]
    assert b["reference"].startswith("KAZ-UZB-20250315-")


def test_response_days(case, tmp_path):
    doc = json.loads((write(case, tmp_path, response_days=30) / "KAZ-UZB.json").read_text())
    assert (doc["response_days"], doc["response_deadline"]) == (30, "2025-04-13")
    run = {"date": DATE, "parameters": {"response_days": 90}}
    doc = json.loads((write(case, tmp_path, run=run) / "KAZ-UZB.json").read_text())
    assert doc["response_deadline"] == "2025-06-12"
    for bad in (0, 2.5, "soon"):
        with pytest.raises(ChoiceError, match="response_days must be a whole number"):
            write(case, tmp_path, response_days=bad)


# ------------------------------------------------------------------ Russian: no English left

# names and codes that may stay in Latin script in a Russian dossier
CODES = {
    "KAZ", "UZB", "KGZ", "WGS", "CAS", "USGS", "EPA", "RMP", "Jobson", "hazid", "run", "json",
    "III", "II", "I", "US", "HTML", "F", "b",  # Annex numbers, stability class, paragraph 3(b)
    "Natural", "Earth",  # the name of a dataset
}  # fmt: skip


def _input_words(case) -> set[str]:
    values = []
    for df in (case["sites"], case["holdings"], case["affected"]):
        for col in df.columns:
            if col not in ("geometry", "reasons"):  # reasons: English words of hazid
                values += [str(v) for v in df[col].dropna()]
    values += [str(v) for v in case["run"].get("limitations", [])]
    values += ["toy squares (test)", "toy line (test)", "convention-2015", "H2;P4;E1"]
    return {w for v in values for w in re.findall(r"[A-Za-z]+", v)}


def _catalogue_fragments() -> list[str]:
    """English texts of the catalogue, cut at their {fields}, of two words or more."""
    pot = resources.files("hazid").joinpath("locale", "hazid.pot").read_text("utf-8")
    ids = re.findall(r'msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', pot)
    texts = ["".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m)) for m in ids]
    frags = [f.strip(" ,.:;()") for t in texts for f in re.split(r"\{[a-z_]+\}", t)]
    return [f for f in frags if len(re.findall(r"[A-Za-z]{2,}", f)) >= 2]


def test_russian_dossier_has_no_english_but_names_and_codes(case, tmp_path):
    run = dict(case["run"], date=DATE, limitations=[])  # free-text notes of a run stay as given
    out = write(case, tmp_path, lang="ru", run=run, map_links=True)
    md = (out / "KAZ-UZB.md").read_text(encoding="utf-8")
    html = (out / "KAZ-UZB.html").read_text(encoding="utf-8")
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    text = html_module.unescape(re.sub(r"<[^>]+>", " ", body))
    for rendered in (md, text):
        for fragment in _catalogue_fragments():
            assert fragment not in rendered, fragment
    allowed = _input_words(case) | CODES | {"KAZ-UZB_map", "html", "map"}
    for rendered in (md.replace("KAZ-UZB_map.html", ""), text.replace("KAZ-UZB_map.html", "")):
        words = set(re.findall(r"[A-Za-z]+", rendered)) - allowed
        assert words == set(), sorted(words)
    assert "| Хлор (Chlorine) | 7782-50-5 | II-10 | H2;P4;E1 | 50 | 25 | 2,00 |" in md
    assert "| Сжиженный газ (LPG) | " in md  # names from the synonym table
    assert (
        "- **Основание отнесения к опасной деятельности:** Хлор (Chlorine) 50 т \\>= 25 т "
        "(приложение I, II-10); сумма отношений, опасность для здоровья: 2,00 \\>= 1 "
        "(Хлор (Chlorine) 2,00)"
    ) in md
    assert "| токсичное воздействие | Хлор (Chlorine) | 23,0 |" in md
    assert "- **Дата:** 14 марта 2025" in md


def test_russian_quantities_group_thousands(case, tmp_path):
    holdings = case["holdings"].copy()
    holdings.loc[holdings["substance"] == "LPG", "quantity_t"] = 3000.0
    write_notifications(
        tmp_path, case["sites"], holdings, case["affected"], maps=False, run={"date": DATE},
        lang="en,ru",
    )  # fmt: skip
    ru = (tmp_path / "notifications" / "KAZ-UZB.ru.md").read_text(encoding="utf-8")
    en = (tmp_path / "notifications" / "KAZ-UZB.en.md").read_text(encoding="utf-8")
    assert f"| 3{NBSP}000 | 200 | 0,50 |" in ru
    assert "| 3,000 | 200 | 0.50 |" in en


# ------------------------------------------------------------------- limitations of the pair


def test_limitations_concern_the_pair_only(case, tmp_path):
    warnings = [
        "river network: 3 river system(s) end in no sea, lake or closed basin; their flow "
        "direction follows the drawing of most of their length (Albany, Syr Darya, Araguaia)",
        "lakes layer not found",
    ]
    out = write(case, tmp_path, run={"date": DATE, "warnings": warnings})
    uzb = json.loads((out / "KAZ-UZB.json").read_text("utf-8"))["limitations"]
    kgz = json.loads((out / "KAZ-KGZ.json").read_text("utf-8"))["limitations"]
    assert any(x.endswith("most of their length (Syr Darya)") for x in uzb)
    assert not any("Albany" in x or "Araguaia" in x for x in uzb + kgz)
    assert not any("river" in x.lower() for x in kgz)  # KAZ-KGZ has no water pathway
    assert "lakes layer not found" in uzb and "lakes layer not found" in kgz
    ru = json.loads((write(case, tmp_path / "ru", lang="ru",
                           run={"date": DATE, "warnings": warnings}) / "KAZ-UZB.json"
                     ).read_text("utf-8"))["limitations"]  # fmt: skip
    assert ru[-1] == (
        "Прочие предупреждения расчёта, касающиеся этой пары Сторон, записаны на английском "
        "языке в файле run.json: 2."
    )


# ------------------------------------------------------------------------ hostile inputs

HOSTILE = {
    "site_name": "Plant\n# NOTIFICATION WITHDRAWN <script>alert(1)</script>",
    "operator": "<img src=x onerror=alert(2)> ![t](http://track.example/p.png)",
    "address": "[click](http://evil.example/) <!-- hidden --> www.evil.example",
    "activity_type": "`code` *bold* | pipe <b>x</b> &lt;i&gt;",
}


def test_md_escape_keeps_text_and_drops_markup():
    assert md_escape("a\nb\r\nc\u2028d") == "a b c d"
    assert md_escape("x|y") == "x\\|y"
    assert md_escape("see http://e.org") == "see http\\://e\\.org"
    assert md_escape("1.5 t") == "1.5 t"


def test_markdown_dossier_renders_hostile_values_as_text(case, tmp_path):
    markdown_it = pytest.importorskip("markdown_it")
    sites = case["sites"].copy()
    for col, value in HOSTILE.items():
        sites.loc[sites["site_id"] == "A", col] = value
    contacts = pd.DataFrame({"country": ["UZB"], "competent_authority": ["<a href='x'>y</a>"]})
    write_notifications(
        tmp_path, sites, case["holdings"], case["affected"], maps=False, run={"date": DATE},
        contacts=contacts, map_links=False,
    )  # fmt: skip
    md = (tmp_path / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    renderers = [markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table")]
    if importlib.util.find_spec("linkify_it") is not None:  # bare addresses made links
        renderers.append(markdown_it.MarkdownIt("gfm-like", {"html": True, "linkify": True}))
    for renderer in renderers:
        html = renderer.render(md)
        for tag in ("<script", "<img", "<a ", "<!--", "<b>"):
            assert tag not in html, tag
        assert html.count("<h1>") == 1
        assert "NOTIFICATION WITHDRAWN" in html  # the text is kept, as text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "[click](http://evil.example/)" in html


# ------------------------------------------------------------------------------ file names


def test_file_slugs_are_bounded_and_distinct():
    ids = ["KG/7", "KG 7", "KG_7", "x" * 300, "Ашхабад/1", "../../etc"]
    slugs = [file_slug(i) for i in ids]
    assert len(set(slugs)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9-]{1,49}", s) for s in slugs)
    assert slugs[:3] == ["KG-7-227066aa", "KG-7-b70deb4f", "KG-7-102f855b"]


def test_maps_of_colliding_and_long_site_ids(case, tmp_path):
    ids = {"A": "KG/7", "D": "KG 7"}
    sites = case["sites"].copy()
    sites["site_id"] = sites["site_id"].replace(ids)
    sites.loc[sites["site_id"] == "B", "site_id"] = "x" * 300
    aff, hold = case["affected"].copy(), case["holdings"].copy()
    aff["site_id"] = aff["site_id"].replace(ids)
    hold["site_id"] = hold["site_id"].replace(ids)
    zones, paths = case["zones"].copy(), case["river_paths"].copy()
    zones["site_id"] = zones["site_id"].replace(ids)
    paths["site_id"] = paths["site_id"].replace(ids)
    aff = pd.concat(
        [aff, pd.DataFrame([{"site_id": "x" * 300, "affected": "UZB", "pathway": "air",
                             "hazard": "toxic", "zone_km": 900.0, "border_km": 200.0,
                             "margin_km": 700.0, "uncertain": False}])],
        ignore_index=True,
    )  # fmt: skip
    write_notifications(
        tmp_path, sites, hold, aff, zones=zones, river_paths=paths, borders=case["borders"],
        run={"date": DATE}, map_size_px=(400, 300), map_dpi=60,
    )  # fmt: skip
    out = tmp_path / "notifications"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert "KAZ-UZB_KG-7-227066aa.png" in pngs and "KAZ-KGZ_KG-7-b70deb4f.png" in pngs
    assert len(pngs) == 3 and max(len(p) for p in pngs) < 80
    doc = json.loads((out / "KAZ-UZB.json").read_text("utf-8"))
    assert {a["site_id"]: a["map"] for a in doc["activities"]}["KG/7"] == (
        "KAZ-UZB_KG-7-227066aa.png"
    )


# --------------------------------------------------------------------------------------- CLI


def test_cli_notify_in_russian(case, tmp_path):
    from test_notify import write_results_dir

    root = write_results_dir(case, tmp_path / "results")
    res = runner.invoke(app, ["notify", str(root), "--no-maps", "--lang", "ru",
                              "--response-days", "45"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads((root / "notifications" / "KAZ-UZB.json").read_text("utf-8"))
    assert doc["language"] == "ru" and doc["response_days"] == 45
    res = runner.invoke(app, ["notify", str(root), "--no-maps", "--lang", "en,xx"])
    assert res.exit_code == 2 and "xx" in res.output
    summary = regenerate(root, maps=False, lang=["en", "ru"])
    assert summary["dossier"].tolist() == ["KAZ-KGZ", "KAZ-UZB"]
    assert (root / "notifications" / "KAZ-UZB.ru.html").is_file()


# ----------------------------------------------------------------------------- capped zones


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "at least 23.0 (limit of the model)"), ("ru", "не менее 23,0 (предел модели)")],
)
def test_capped_zone_says_so(case, tmp_path, lang, text):
    zones = case["zones"].copy()
    zones["capped"] = zones["hazard"] == "toxic"
    out = write(dict(case, zones=zones), tmp_path, lang=lang)
    doc = json.loads((out / "KAZ-UZB.json").read_text("utf-8"))
    air = {e["hazard"]: e["capped"] for e in doc["activities"][0]["air"]}
    assert air == {"toxic": True, "explosion": False}
    assert f"| {text} |" in (out / "KAZ-UZB.md").read_text("utf-8")
    uncapped = dict(case, zones=zones.drop(columns="capped"))
    plain = json.loads((write(uncapped, tmp_path / "plain") / "KAZ-UZB.json").read_text("utf-8"))
    assert plain["activities"][0]["air"][0]["capped"] is None  # the layer does not say


def test_dossiers_carry_no_local_paths(case, tmp_path):
    run = {
        "date": DATE,
        "inputs": {"borders": {"name": "/home/анна/Мои документы/borders.gpkg", "sha256": "ab"}},
        "rivers": r"C:\Users\ivan\rivers.gpkg",
        "warnings": ["repaired 2 polygons of /home/анна/Мои документы/borders.gpkg"],
    }
    out = write(case, tmp_path, run=run, lang="en,ru")
    for p in out.iterdir():
        if p.suffix in (".md", ".html", ".json"):
            text = p.read_text("utf-8")
            assert "анна" not in text and "ivan" not in text and "/home" not in text, p.name
    doc = json.loads((out / "KAZ-UZB.en.json").read_text("utf-8"))
    assert doc["data_sources"]["borders"] == "borders.gpkg (SHA-256 ab)"
    assert doc["data_sources"]["rivers"] == "rivers.gpkg"
    assert "repaired 2 polygons of borders.gpkg" in doc["limitations"]


def test_write_results_in_russian(tmp_path):
    from test_pipeline import world as world_fixture

    import hazid

    borders, rivers, inventory = world_fixture.__wrapped__()
    res = hazid.screen(inventory, borders=borders, rivers=rivers)
    out = hazid.write_results(res, tmp_path / "r", static_maps=False, lang="ru",
                              response_days=20)  # fmt: skip
    doc = json.loads((out / "notifications" / "AAA-BBB.json").read_text("utf-8"))
    assert doc["language"] == "ru" and doc["response_days"] == 20
    md = (out / "notifications" / "AAA-BBB.md").read_text("utf-8")
    assert md.startswith("# Уведомление об опасной деятельности: Aland — Bland")


def test_cli_refuses_an_unknown_language_before_any_work(tmp_path):
    from test_cli import DEMO

    out = tmp_path / "out"
    res = runner.invoke(app, ["screen", str(DEMO), "--out", str(out), "--lang", "fr"])
    assert res.exit_code == 2 and "lang must be one of 'en', 'ru'; got 'fr'" in res.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("lang", "cell", "sentence"),
    [
        ("en", "more than 23.0 (beyond the reach of the model)",
         "zone undetermined (> 40 km: beyond the reach of the model)"),
        ("ru", "более 23,0 (за пределами применимости модели)",
         "зона не определена (> 40 км: за пределами применимости модели)"),
    ],
)  # fmt: skip
def test_undetermined_zone_says_so(case, tmp_path, lang, cell, sentence):
    aff = case["affected"].copy()
    aff["undetermined"] = (aff["pathway"] == "air") & (aff["hazard"] == "toxic")
    out = write(dict(case, affected=aff), tmp_path, lang=lang)
    doc = json.loads((out / "KAZ-UZB.json").read_text("utf-8"))
    toxic = next(e for e in doc["activities"][0]["air"] if e["hazard"] == "toxic")
    assert toxic["undetermined"] is True and toxic["status"] == "consult"
    md = (out / "KAZ-UZB.md").read_text("utf-8")
    assert f"| {cell} |" in md and sentence.replace(">", "\\>") in md


def test_method_data_and_parameters_of_the_pair_only(case, tmp_path):
    run = dict(case["run"], date=DATE, parameters={"snap_km": 10, "weather": "worst"})
    out = write(case, tmp_path, run=run)
    kgz = (out / "KAZ-KGZ.md").read_text("utf-8")  # air only
    uzb = (out / "KAZ-UZB.md").read_text("utf-8")  # air and water
    for water_text in ("River horizon", "- **Rivers:**", "Largest distance from a site to a river"):
        assert water_text not in kgz and water_text in uzb, water_text
    for air_text in ("Position uncertainty (km)", "| Weather of the consequence zones |"):
        assert air_text in kgz and air_text in uzb, air_text
    doc = json.loads((out / "KAZ-KGZ.json").read_text("utf-8"))
    assert "rivers" in doc["data_sources"]  # the JSON keeps the provenance of the whole run


def test_maps_are_drawn_in_the_language_of_their_dossier(case, tmp_path, monkeypatch):
    import hazid.maps
    from hazid import __version__ as version

    calls = []

    def fake_static_maps(sites, jobs, **kw):
        for job in jobs:
            calls.append((job["path"].name, job["lang"], job["note"]))
            job["path"].write_bytes(b"\x89PNG")
        return [job["path"] for job in jobs]

    # hazid.maps loads its PNG functions on first use: the fake stands in before that
    monkeypatch.setattr(hazid.maps, "static_maps", fake_static_maps, raising=False)
    write(case, tmp_path, maps=True, lang="en,ru")
    en = f"Borders: not stated. Rivers: not stated. hazid {version}."
    ru = f"Границы: не указано. Реки: не указано. hazid {version}."
    assert sorted(calls) == [
        ("KAZ-KGZ_D-3f39d5c3.en.png", "en", en),
        ("KAZ-KGZ_D-3f39d5c3.ru.png", "ru", ru),
        ("KAZ-UZB_A-559aead0.en.png", "en", en),
        ("KAZ-UZB_A-559aead0.ru.png", "ru", ru),
    ]
    doc = json.loads((tmp_path / "notifications" / "KAZ-UZB.ru.json").read_text("utf-8"))
    assert doc["activities"][0]["map"] == "KAZ-UZB_A-559aead0.ru.png"


def test_large_figures_are_grouped_in_every_table(case, tmp_path):
    aff = case["affected"].copy()
    toxic = (aff["pathway"] == "air") & (aff["hazard"] == "toxic")
    aff.loc[toxic, ["zone_km", "margin_km"]] = [1234.5, 1223.38]
    water = aff["pathway"] == "water"
    aff.loc[water, ["river_km", "arrival_h"]] = [2500.0, 1500.0]
    for lang, zone, km, hours in (
        ("en", "1,234.5", "2,500", "1,500"),
        ("ru", f"1{NBSP}234,5", f"2{NBSP}500", f"1{NBSP}500"),
    ):
        out = write(dict(case, affected=aff), tmp_path / lang, lang=lang)
        md = (out / "KAZ-UZB.md").read_text("utf-8")
        assert f" | {zone} | " in md and f" | {km} | {hours} | " in md, lang


def test_regenerate_keeps_the_languages_of_the_run(case, tmp_path):
    from test_notify import write_results_dir

    root = write_results_dir(case, tmp_path / "results")
    run = json.loads((root / "run.json").read_text("utf-8"))
    run["parameters"] = {"lang": ["ru"]}
    (root / "run.json").write_text(json.dumps(run), encoding="utf-8")
    regenerate(root, maps=False)
    doc = json.loads((root / "notifications" / "KAZ-UZB.json").read_text("utf-8"))
    assert doc["language"] == "ru"
    regenerate(root, maps=False, lang="en")
    doc = json.loads((root / "notifications" / "KAZ-UZB.json").read_text("utf-8"))
    assert doc["language"] == "en"


def test_repeated_run_warnings_are_listed_once_and_counted_each_time():
    from hazid.notify.method import _limitations

    run = {"warnings": ["site X: odd value", "site Y: odd value", "site X: odd value"]}
    pair = {"air": True, "water": False, "rivers": set(), "sites": set()}
    en = _limitations(run, lang="en", pair=pair)
    assert en.count("site X: odd value") == 1 and en.index("site X: odd value") < en.index(
        "site Y: odd value"
    )
    ru = _limitations(run, lang="ru", pair=pair)
    assert not any("odd value" in x for x in ru)
    assert "run.json" in ru[-1] and ru[-1].rstrip(".").endswith("3")


def test_writing_dossiers_leaves_the_garbage_collector_as_it_found_it(case, tmp_path):
    import gc

    assert gc.get_freeze_count() == 0 or pytest.skip("objects frozen by another test")
    write(case, tmp_path / "a")
    assert gc.get_freeze_count() == 0  # what it froze for a while is given back
    kept = [object() for _ in range(10)]  # frozen by the caller, as the console script does
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        write(case, tmp_path / "b")
        assert gc.get_freeze_count() >= before  # still frozen
    finally:
        gc.unfreeze()
    del kept

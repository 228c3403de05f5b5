"""The HTML dossier printed on A4 by Debian's chromium (Playwright, offline): nothing cut off.

Skipped when /usr/bin/chromium or the playwright package is missing. The PDFs go to
test-artifacts/ (git-ignored) to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_maps_browser import ARGS, ARTIFACTS, CHROMIUM
from test_notify import DATE, make_case

from hazid.output.dossiers import write_notifications

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")

MM = 96 / 25.4  # CSS pixels per millimetre
# A4 minus the margins of the print stylesheet (@page margin: 16mm 14mm)
WIDTH_PX = (210 - 2 * 14) * MM
HEIGHT_PX = (297 - 2 * 16) * MM


@pytest.fixture(scope="module")
def dossiers(tmp_path_factory):
    case = make_case()
    tmp = tmp_path_factory.mktemp("print")
    sites = case["sites"].copy()
    sites.loc[sites["site_id"] == "A", "address"] = "Industrial-Road-" * 12  # no break point
    run = dict(
        case["run"],
        date=DATE,
        inputs={"borders": {"name": "borders_" + "x" * 80 + ".gpkg", "sha256": "ab" * 32}},
    )
    write_notifications(
        tmp, sites, case["holdings"], case["affected"], zones=case["zones"],
        river_paths=case["river_paths"], borders=case["borders"], run=run, lang="en,ru",
        map_size_px=(1200, 900), map_dpi=100,
    )  # fmt: skip
    return tmp / "notifications"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


OVERFLOW = """(limit) => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > limit + 0.5 || r.left < -0.5)) {
      out.push(el.tagName + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return out;
}"""


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_dossier_prints_on_a4_without_cutting(browser, dossiers, lang):
    page = browser.new_page(viewport={"width": round(WIDTH_PX), "height": round(HEIGHT_PX)})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((dossiers / f"KAZ-UZB.{lang}.html").resolve().as_uri(), wait_until="load")
    page.emulate_media(media="print")
    assert page.evaluate(OVERFLOW, round(WIDTH_PX)) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= round(WIDTH_PX), width
    heights = page.evaluate(
        "Array.from(document.images).map(i => i.getBoundingClientRect().height)"
    )
    assert heights and max(heights) <= HEIGHT_PX  # every map fits on one page
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    assert pdf[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 2 <= pages <= 12, pages
    ARTIFACTS.mkdir(exist_ok=True)
    Path(ARTIFACTS / f"dossier_KAZ-UZB_{lang}.pdf").write_bytes(pdf)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    page.close()


def test_hostile_markdown_dossier_runs_nothing_in_chromium(browser, tmp_path):
    markdown_it = pytest.importorskip("markdown_it")
    from test_dossier_i18n import HOSTILE

    case = make_case()
    sites = case["sites"].copy()
    for col, value in HOSTILE.items():
        sites.loc[sites["site_id"] == "A", col] = value
    write_notifications(
        tmp_path, sites, case["holdings"], case["affected"], maps=False, run={"date": DATE},
        map_links=False,
    )  # fmt: skip
    md = (tmp_path / "notifications" / "KAZ-UZB.md").read_text(encoding="utf-8")
    body = markdown_it.MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    page_path = tmp_path / "rendered.html"
    page_path.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>", encoding="utf-8")
    page = browser.new_page()
    requests: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(page_path.resolve().as_uri(), wait_until="load")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert [u for u in requests if not u.startswith("file:")] == []
    assert page.evaluate("document.querySelectorAll('script, img, a, iframe').length") == 0
    assert "NOTIFICATION WITHDRAWN" in page.inner_text("body")
    page.close()

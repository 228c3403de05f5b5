"""Maintain the message catalogues and the country names of hazid (run from the repository root).

usage: python scripts/i18n_catalogues.py extract    # sources -> hazid/locale/hazid.pot -> *.po
       python scripts/i18n_catalogues.py compile    # hazid.po -> hazid.mo (shipped with hazid)
       python scripts/i18n_catalogues.py countries  # iso-codes -> hazid/locale/countries.csv

Messages are marked in the code with ``_()``, ``t()`` (the dossier layout's translator) or
``gettext()`` (translated where used) or ``N_()`` (marked only);
Babel's ``pybabel`` does the work. After ``extract``, translate the new or fuzzy entries of
``hazid/locale/<lang>/LC_MESSAGES/hazid.po``, run ``compile`` and commit both files.
``countries`` needs Debian's ``iso-codes`` package (``apt-get install iso-codes``); hazid reads
only the derived CSV at run time.
"""

from __future__ import annotations

import csv
import gettext
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "hazid" / "locale"
POT = LOCALE / "hazid.pot"
LANGS = ("ru",)
#: Modules whose messages are translated with these catalogues (the dossiers and their
#: writer; the maps have their own words in hazid/maps/labels.py).
SOURCES = [ROOT / "hazid" / p for p in ("notify", "output", "process", "cli", "i18n.py")]
ISO_JSON = Path("/usr/share/iso-codes/json/iso_3166-1.json")
ISO_MO_DIR = Path("/usr/share/locale")


def pybabel(*args: str) -> None:
    """Run a pybabel command."""
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True)


def extract() -> None:
    """Extract the messages to hazid.pot and merge them into each catalogue."""
    pybabel(
        "extract", "-k", "_", "-k", "N_", "-k", "t",
        "--no-location", "--sort-output", "--omit-header",
        "-o", str(POT), *(str(p) for p in SOURCES if p.exists()),
    )  # fmt: skip
    for lang in LANGS:
        po = LOCALE / lang / "LC_MESSAGES" / "hazid.po"
        if po.is_file():
            pybabel("update", "-i", str(POT), "-d", str(LOCALE), "-D", "hazid", "-l", lang,
                    "--no-wrap", "--ignore-obsolete")  # fmt: skip
        else:
            pybabel("init", "-i", str(POT), "-d", str(LOCALE), "-D", "hazid", "-l", lang)


def compile_() -> None:
    """Compile each hazid.po into the hazid.mo shipped with the package."""
    pybabel("compile", "-d", str(LOCALE), "-D", "hazid", "--statistics")


def countries() -> None:
    """Write hazid/locale/countries.csv from Debian's iso-codes."""
    rows = json.loads(ISO_JSON.read_text(encoding="utf-8"))["3166-1"]
    ru = gettext.translation("iso_3166-1", localedir=str(ISO_MO_DIR), languages=["ru"])
    out = LOCALE / "countries.csv"
    with out.open("w", encoding="utf-8", newline="\n") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["iso_a3", "en", "ru"])
        for r in sorted(rows, key=lambda r: r["alpha_3"]):
            w.writerow([r["alpha_3"], r.get("common_name", r["name"]), ru.gettext(r["name"])])
    print(f"wrote {out} ({len(rows)} countries)")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    {"extract": extract, "compile": compile_, "countries": countries}.get(
        cmd, lambda: sys.exit(__doc__)
    )()

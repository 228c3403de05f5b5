"""Random cells through ``hazid validate`` and ``hazid screen``: exit 0 or 2, never a crash."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hazid.cli import app

runner = CliRunner()

# control, bidi, zero-width and formula characters, Cyrillic, digits and separators
ALPHABET = st.sampled_from(
    [
        *"abcXYZ019.,;-+=@ \t\"'$_^{}<>|/\\",
        "\u202e",
        "\u200b",
        "\u00a0",
        "\ufeff",
        "\x00",
        "\x07",
        "\r",
        "\n",
        "т",
        "Ё",
        "№",
    ]
)
CELL = st.one_of(
    st.text(ALPHABET, max_size=12),
    st.sampled_from(["", "30", "-1", "1e308", "nan", "chlorine", "ammonia", "H2;E1", "none"]),
)


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["site_id", "site_name", "lon", "lat", "substance", "category", "quantity"])
    w.writerows(rows)
    return buf.getvalue()


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["A", "B", "C"]),
            CELL,
            st.one_of(CELL, st.sampled_from(["69.2", "74.6"])),
            st.one_of(CELL, st.sampled_from(["41.3", "42.9"])),
            CELL,
            CELL,
            CELL,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_cells_never_crash_validate_or_screen(tmp_path, rows):
    case = tmp_path / f"case{abs(hash(tuple(rows))) % 10**9}"
    case.mkdir()
    inv = case / "inv.csv"
    inv.write_text(_csv([list(r) for r in rows]), encoding="utf-8", newline="")
    res = runner.invoke(app, ["validate", str(inv)])
    assert isinstance(res.exception, SystemExit | None), repr(res.exception)
    assert res.exit_code in (0, 2), res.output
    out = case / "results"
    args = ["screen", str(inv), "--out", str(out), "--no-air", "--no-map", "--quiet"]
    res = runner.invoke(app, args)
    assert isinstance(res.exception, SystemExit | None), repr(res.exception)
    assert res.exit_code in (0, 2), res.output
    if res.exit_code == 2:
        assert res.output.strip()  # a message, never silence
        assert not out.exists()
        assert sorted(p.name for p in case.iterdir()) == ["inv.csv"]  # nothing written
    else:
        assert (out / "sites.csv").is_file()

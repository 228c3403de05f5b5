"""The map functions load matplotlib (PNG maps) and folium (HTML maps) on first use only."""

import subprocess
import sys

import pytest

import hazid
import hazid.maps


def _printed(code: str) -> list[str]:
    """The words ``code`` prints, run by a new interpreter (nothing loaded beforehand)."""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.split()


def test_matplotlib_is_loaded_only_for_png_maps():
    code = (
        "import sys, hazid.cli, hazid.maps\n"
        "before = 'matplotlib' in sys.modules\n"
        "hazid.maps.static_map\n"
        "print(before, 'matplotlib' in sys.modules)"
    )
    assert _printed(code) == ["False", "True"]


def test_an_unknown_name_of_the_maps_package_is_an_attribute_error():
    assert hazid.maps.local_crs(69.0, 41.0).is_projected
    with pytest.raises(AttributeError, match=r"module 'hazid\.maps' has no attribute 'nope'"):
        hazid.maps.nope  # noqa: B018


def test_folium_is_loaded_only_for_html_maps():
    code = (
        "import sys, hazid.cli, hazid\n"
        "before = [m in sys.modules for m in ('folium', 'branca', 'jinja2')]\n"
        "from hazid import write_map\n"
        "after = 'folium' in sys.modules\n"
        "import hazid.maps.interactive as i\n"
        "print(*before, after, write_map is i.write_map, hazid.screening_map is i.screening_map)"
    )
    assert _printed(code) == ["False", "False", "False", "True", "True", "True"]


def test_an_unknown_name_of_hazid_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'hazid' has no attribute 'nope'"):
        hazid.nope  # noqa: B018

"""The PNG map functions load matplotlib on first use only."""

import subprocess
import sys

import pytest

import hazid.maps


def test_matplotlib_is_loaded_only_for_png_maps():
    code = (
        "import sys, hazid.cli, hazid.maps\n"
        "before = 'matplotlib' in sys.modules\n"
        "hazid.maps.static_map\n"
        "print(before, 'matplotlib' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_an_unknown_name_of_the_maps_package_is_an_attribute_error():
    assert hazid.maps.local_crs(69.0, 41.0).is_projected
    with pytest.raises(AttributeError, match=r"module 'hazid\.maps' has no attribute 'nope'"):
        hazid.maps.nope  # noqa: B018

"""Run the docstring examples of every public module (of the installed package)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import hazid

#: Every module of every sub-package, so that moving code into a sub-package keeps its examples run.
MODULES = sorted(m.name for m in pkgutil.walk_packages(hazid.__path__, prefix="hazid."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_api_documented():
    for name in hazid.__all__:
        obj = getattr(hazid, name)
        if callable(obj) and not isinstance(obj, type):
            assert obj.__doc__ and "Examples" in obj.__doc__, f"{name} lacks examples"

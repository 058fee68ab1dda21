"""The examples in geoplan's docstrings are run and must print what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import geoplan

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(geoplan.__path__, prefix="geoplan.")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} docstring examples failed"

"""The bundled cases, as data: the jobs and plan computations they add.

``geoplan/data/cases.toml`` names each case's analysis-file job, the module
that runs it and the plan computations it registers. Generic code reads this
table, never a case module, so analysis files and plan files that name a case's
job or computation are checked before any case is imported.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources
from typing import Any


@functools.cache
def cases() -> dict[str, dict[str, Any]]:
    """Return the bundled cases by job name, from ``data/cases.toml``."""
    text = resources.files("geoplan").joinpath("data", "cases.toml").read_text()
    return tomllib.loads(text)


def computations() -> list[str]:
    """Return the plan computations the bundled cases register."""
    return [c for case in cases().values() for c in case.get("computations", [])]

"""Facility-coverage planning for China's civil-affairs (民政) plans.

geoplan geocodes facility and settlement lists written in Chinese, computes
administrative and spatial coverage against the targets of the 14th Five-Year
civil-affairs plans (十四五民政事业发展规划), and shows the gaps as maps,
GeoPackage layers and tables.

The public names below are imported when first used, so a command that only
geocodes does not load the network, map and siting stacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoplan import _lazy, errors, settings, workflows  # workflows: names only
from geoplan._version import __version__

if TYPE_CHECKING:
    from geoplan.access import coverage
    from geoplan.places import boundaries, crs, geocode
    from geoplan.places.gazetteer import Gazetteer
    from geoplan.workflows import (
        CoverageJob,
        CoverageResult,
        PlanCheckJob,
        PlanCheckResult,
        RecommendJob,
        RecommendResult,
        RegionalJob,
        RegionalResult,
        run_coverage,
        run_plan_check,
        run_recommend,
        run_regional,
    )

__all__ = [
    "CoverageJob",
    "CoverageResult",
    "Gazetteer",
    "PlanCheckJob",
    "PlanCheckResult",
    "RecommendJob",
    "RecommendResult",
    "RegionalJob",
    "RegionalResult",
    "__version__",
    "boundaries",
    "coverage",
    "crs",
    "errors",
    "geocode",
    "run_coverage",
    "run_plan_check",
    "run_recommend",
    "run_regional",
    "settings",
]

__getattr__, __dir__ = _lazy.exports(
    "geoplan",
    {
        "coverage": "geoplan.access.coverage",
        "boundaries": "geoplan.places.boundaries",
        "crs": "geoplan.places.crs",
        "geocode": "geoplan.places.geocode",
        "Gazetteer": "geoplan.places.gazetteer:Gazetteer",
        **{name: f"geoplan.workflows:{name}" for name in workflows.__all__},
    },
    globals(),
)

"""geoplan: facility-coverage planning for China's civil-affairs plans.

geoplan geocodes facility and settlement lists written in Chinese, computes
administrative and spatial coverage against the targets of the 14th Five-Year
civil-affairs plans (十四五民政事业发展规划), and shows the gaps as maps,
GeoPackage layers and tables.
"""

import contextlib
from importlib.metadata import PackageNotFoundError, version

from . import boundaries, coverage, crs, errors, geocode, settings
from .gazetteer import Gazetteer
from .workflows import (
    CoverageJob,
    CoverageResult,
    RecommendJob,
    RecommendResult,
    run_coverage,
    run_recommend,
)

__all__ = [
    "CoverageJob",
    "CoverageResult",
    "Gazetteer",
    "RecommendJob",
    "RecommendResult",
    "boundaries",
    "coverage",
    "crs",
    "errors",
    "geocode",
    "run_coverage",
    "run_recommend",
    "settings",
]

__version__ = "0.0.0"
with contextlib.suppress(PackageNotFoundError):  # works when not installed
    __version__ = version("geoplan")

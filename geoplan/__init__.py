"""geoplan: facility-coverage planning for China's civil-affairs plans.

geoplan geocodes facility and settlement lists written in Chinese, computes
administrative and spatial coverage against the targets of the 14th Five-Year
civil-affairs plans (十四五民政事业发展规划), and shows the gaps as maps,
GeoPackage layers and tables.
"""

from . import boundaries, coverage, crs, errors, geocode, settings
from ._version import __version__
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
    "__version__",
    "boundaries",
    "coverage",
    "crs",
    "errors",
    "geocode",
    "run_coverage",
    "run_recommend",
    "settings",
]

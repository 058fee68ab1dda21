"""One function per user task, shared by the Python API, the CLI and analysis files.

Each task takes a typed, checked job and returns a result that writes itself.
"""

from geoplan.workflows.coverage import CoverageJob, CoverageResult, run_coverage
from geoplan.workflows.recommend import RecommendJob, RecommendResult, run_recommend

__all__ = [
    "CoverageJob",
    "CoverageResult",
    "RecommendJob",
    "RecommendResult",
    "run_coverage",
    "run_recommend",
]

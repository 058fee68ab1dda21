"""One function per user task, shared by the Python API, the CLI and analysis files.

Each task takes a typed, checked job and returns a result that writes itself.
"""

from geoplan.workflows.coverage import CoverageJob, CoverageResult, run_coverage
from geoplan.workflows.plan_check import PlanCheckJob, PlanCheckResult, run_plan_check
from geoplan.workflows.recommend import RecommendJob, RecommendResult, run_recommend
from geoplan.workflows.regional import RegionalJob, RegionalResult, run_regional

__all__ = [
    "CoverageJob",
    "CoverageResult",
    "PlanCheckJob",
    "PlanCheckResult",
    "RecommendJob",
    "RecommendResult",
    "RegionalJob",
    "RegionalResult",
    "run_coverage",
    "run_plan_check",
    "run_recommend",
    "run_regional",
]

"""One function per user task, shared by the Python API, the CLI and analysis files.

Each task takes a typed, checked job and returns a result that writes itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoplan import _lazy

if TYPE_CHECKING:
    from geoplan.workflows.coverage import CoverageJob, CoverageResult, run_coverage
    from geoplan.workflows.plan_check import (
        PlanCheckJob,
        PlanCheckResult,
        run_plan_check,
    )
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

#: The module each task's names live in (imported when first used).
_TASKS = {
    "Coverage": "coverage",
    "PlanCheck": "plan_check",
    "Recommend": "recommend",
    "Regional": "regional",
}
__getattr__, __dir__ = _lazy.exports(
    "geoplan.workflows",
    {
        f"{stem}{kind}": f"geoplan.workflows.{module}:{stem}{kind}"
        for stem, module in _TASKS.items()
        for kind in ("Job", "Result")
    }
    | {f"run_{m}": f"geoplan.workflows.{m}:run_{m}" for m in _TASKS.values()},
    globals(),
)

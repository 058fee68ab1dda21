"""The ``geoplan recommend`` command: where to build next."""

from __future__ import annotations

import argparse

from geoplan.cli import _args
from geoplan.workflows.recommend import RecommendJob, run_recommend


def run(args: argparse.Namespace) -> int:
    """Build the job from the options, run it, write, print the summary."""
    return _args.finish(run_recommend(_args.job_from_args(RecommendJob, args)))

"""The ``geoplan coverage`` command: layers on disk in, GeoPackage and CSV out."""

from __future__ import annotations

import argparse

from geoplan.cli import _args
from geoplan.workflows.coverage import CoverageJob, run_coverage


def run(args: argparse.Namespace) -> int:
    """Build the job from the options, run it, write, print the summary."""
    return _args.finish(run_coverage(_args.job_from_args(CoverageJob, args)))

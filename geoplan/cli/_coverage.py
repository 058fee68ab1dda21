"""The ``geoplan coverage`` command: layers on disk in, GeoPackage and CSV out."""

from __future__ import annotations

import argparse

from geoplan._numbers import share
from geoplan.access import coverage
from geoplan.cli import _args
from geoplan.places.coords import SYSTEMS
from geoplan.workflows.coverage import CoverageJob, run_coverage


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register the ``coverage`` sub-command and its options."""
    p = _args.command(commands, "coverage", run)
    _args.add_points(p, "--demand", "demand")
    _args.add_points(p, "--facilities", "facility")
    p.add_argument(
        "--demand-layer",
        metavar="NAME",
        help="layer of a --demand GeoPackage that holds several (default: its "
        "only feature layer)",
    )
    p.add_argument(
        "--facilities-layer",
        metavar="NAME",
        help="layer of a --facilities GeoPackage that holds several",
    )
    p.add_argument(
        "--coords",
        choices=SYSTEMS,
        metavar="SYSTEM",
        help="coordinate system of table coordinates: wgs84, gcj02, bd09",
    )
    p.add_argument(
        "--lon-column",
        metavar="NAME",
        help="longitude column of the tables (default: lon, lng, longitude, 经度)",
    )
    p.add_argument(
        "--lat-column",
        metavar="NAME",
        help="latitude column of the tables (default: lat, latitude, 纬度)",
    )
    _args.add_duplicate_ids(p)
    _args.add_reach(p, what="coverage")
    p.add_argument(
        "--method",
        choices=coverage.METHODS,
        help="euclidean (default without --network) or network",
    )
    _args.add_network(p, what="measure")
    p.add_argument(
        "--weight-column",
        metavar="NAME",
        help="population or households per demand point",
    )
    p.add_argument("--by-column", metavar="NAME", help="unit of each demand point")
    p.add_argument(
        "--target-share",
        type=share,
        metavar="SHARE",
        help="plan target, e.g. 0.9, to report the gap",
    )
    _args.add_map_and_out(
        p,
        out="layers/coverage.gpkg",
        out_help="output GeoPackage (a CSV is written beside)",
    )


def run(args: argparse.Namespace) -> int:
    """Build the job from the options, run it, write, print the summary."""
    return _args.finish(run_coverage(_args.job_from_args(CoverageJob, args)))

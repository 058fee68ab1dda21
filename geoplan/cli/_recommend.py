"""The ``geoplan recommend`` command: where to build next."""

from __future__ import annotations

import argparse
from pathlib import Path

from geoplan._numbers import count, positive, share
from geoplan.cli import _args
from geoplan.places.coords import SYSTEMS
from geoplan.workflows.recommend import RecommendJob, run_recommend


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``recommend``."""
    p = _args.command(commands, "recommend", run)
    _args.add_points(p, "--demand", "demand")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--candidates", type=Path, metavar="FILE", help="your sites")
    source.add_argument(
        "--candidates-from",
        metavar="CODE",
        help="gazetteer towns and villages with a point below unit CODE "
        "(see `geoplan gazetteer import`)",
    )
    source.add_argument(
        "--candidates-grid",
        type=positive,
        metavar="M",
        help="a regular grid with this spacing (metres) inside --units",
    )
    p.add_argument("--units", type=Path, metavar="FILE", help="grid: allowed polygons")
    p.add_argument("--units-column", metavar="NAME", help="grid: unit label column")
    p.add_argument("--store", type=Path, metavar="GPKG", help="gazetteer store")
    p.add_argument(
        "--keep-within",
        metavar="DEMAND_COL[=CANDIDATE_COL]",
        help="a site serves only demand with the same value, e.g. "
        "town_code (gazetteer candidates carry town_code and county_code; "
        "grid candidates carry unit)",
    )
    p.add_argument("--existing", type=Path, metavar="FILE", help="existing facilities")
    p.add_argument("--coords", choices=SYSTEMS, help="coordinate system of tables")
    _args.add_duplicate_ids(p)
    p.add_argument(
        "--weight-column",
        metavar="NAME",
        help="population or households per demand point (default: 1 each)",
    )
    p.add_argument(
        "--capacity-column",
        metavar="NAME",
        help="candidates' capacity, in the unit of --weight-column (places, beds)",
    )
    _args.add_reach(p, what="service")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument(
        "--target-share",
        type=share,
        metavar="SHARE",
        help="the fewest sites that reach this covered share, e.g. 0.9",
    )
    goal.add_argument(
        "--k", type=count, metavar="K", help="the K sites that cover the most"
    )
    _args.add_network(p, what="measure")
    p.add_argument(
        "--time-limit-s",
        type=positive,
        default=60.0,
        metavar="S",
        help="solver time limit in seconds (default 60); the gap is reported",
    )
    _args.add_map_and_out(
        p,
        out="layers/recommend.gpkg",
        out_help="output GeoPackage (default layers/recommend.gpkg); the curve "
        "CSV is written beside",
    )


def run(args: argparse.Namespace) -> int:
    """Build the job from the options, run it, write, print the summary."""
    return _args.finish(run_recommend(_args.job_from_args(RecommendJob, args)))

"""The ``geoplan`` command line: parse, set up logging, run, print, exit."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import (
    __version__,
    _cli_coverage,
    _cli_export,
    _cli_geocode,
    _cli_map,
    _cli_plan,
    _cli_recommend,
    _cli_run,
    demo,
    settings,
)
from ._cli_args import add_basemap, positive
from ._progress import step
from .errors import GeoplanError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="geoplan",
        epilog="Exit codes: 0 done; 1 the work failed (the message says why and how to "
        "fix it); 2 bad command-line usage.",
        description="Facility-coverage planning for China's civil-affairs plans "
        "(民政设施覆盖规划).",
    )
    parser.add_argument("--version", action="version", version=f"geoplan {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each step to stderr"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print nothing but errors (files are still written)",
    )
    parser.add_argument(
        "--lang",
        choices=["zh", "en", "both"],
        default="both",
        help="language of printed tables: zh, en or both (default)",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )
    demo_parser = commands.add_parser(
        "demo",
        help="run a bundled example end to end",
        description="Run a bundled example end to end and write its outputs.",
    )
    demo_parser.add_argument(
        "example",
        choices=["shangluo"],
        help="shangluo: relocation-site cemetery coverage of 商洛市",
    )
    demo_parser.add_argument(
        "--layers-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the GeoPackage and CSV tables go (default: ./layers)",
    )
    demo_parser.add_argument(
        "--maps-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the HTML map goes (default: ./maps)",
    )
    demo_parser.add_argument(
        "--gazetteer",
        type=Path,
        default=None,
        metavar="GPKG",
        help="gazetteer store to place sites with (default: ~/.cache/geoplan store, "
        "else the built-in one; see `geoplan gazetteer import`)",
    )
    demo_parser.add_argument(
        "--cemetery-radius-m",
        type=positive,
        default=None,
        metavar="M",
        help="radius for 'site within reach of its assigned cemetery' (default 5000)",
    )
    demo_parser.add_argument(
        "--overrides",
        type=Path,
        default=None,
        metavar="CSV",
        help="manual fixes name,code,lon,lat (WGS-84): the layers/shangluo-fixes.csv "
        "template a run writes, filled in",
    )
    add_basemap(demo_parser)
    demo_parser.set_defaults(handler=_run_demo)
    _cli_coverage.add_parser(commands)
    _cli_geocode.add_parsers(commands)
    _cli_export.add_parser(commands)
    _cli_map.add_parser(commands)
    _cli_plan.add_parser(commands)
    _cli_recommend.add_parser(commands)
    _cli_run.add_parsers(commands)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    step("商洛示例 reading the plan table, placing sites, writing layers and map")
    result = demo.run_shangluo(
        layers_folder=args.layers_dir,
        maps_folder=args.maps_dir,
        gazetteer=args.gazetteer,
        cemetery_radius_m=args.cemetery_radius_m,
        overrides=args.overrides,
        basemap=args.basemap,
    )
    if settings.lang in ("zh", "both"):
        print("商洛市易地搬迁安置点公益性公墓覆盖")
    if settings.lang in ("en", "both"):
        print("Shangluo relocation-site cemetery coverage")
    print(demo.format_coverage_table(result.coverage))
    flagged = result.validation[result.validation["status"] != "ok"]
    print(f"\nSeed checks: {len(result.validation)} run, {len(flagged)} flagged")
    for _, row in flagged.iterrows():
        print(
            f"  [{row['status']}] {row['scope']}: {row['check']} "
            f"(expected {row['expected']}, found {row['found']})"
        )
    precision = result.sites["precision"].value_counts()
    print("\nSites located: " + ", ".join(f"{k} {v}" for k, v in precision.items()))
    coarse = int((~result.sites["precision"].isin(demo.FINE)).sum())
    if coarse and "fixes_csv" in result.files:
        print(
            f"{coarse} sites placed no finer than a county are listed with the "
            f"reason in {result.files['fixes_csv']}: fill in lon/lat (WGS-84) and "
            "rerun with --overrides FILE."
        )
    print("\nWritten:")
    for path in result.files.values():
        print(f"  {path}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the ``geoplan`` command.

    Parameters
    ----------
    argv
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit code: 0 on success, 1 when the work failed, 2 on bad usage.
    """
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        settings.lang = args.lang
        settings.show_progress = not args.quiet
        if args.quiet:
            with contextlib.redirect_stdout(io.StringIO()):
                return args.handler(args)
        return args.handler(args)
    except GeoplanError as exc:
        print(f"geoplan: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except FileNotFoundError as exc:  # a path no check above caught
        print(f"geoplan: error: {exc.filename}: file not found.", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())

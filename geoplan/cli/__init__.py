"""The ``geoplan`` command line: parse, set up logging, run, print, exit."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import logging
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from geoplan import settings
from geoplan._numbers import positive
from geoplan._progress import step
from geoplan._secrets import redact, redact_logging
from geoplan._version import __version__
from geoplan.cases.shangluo import demo
from geoplan.cli import _coverage, _export, _geocode, _map, _plan, _recommend, _run
from geoplan.cli._args import add_basemap, command
from geoplan.errors import GeoplanError

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
        "--debug",
        action="store_true",
        help="on an error, show Python's traceback too (to report a bug)",
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
    demo_parser = command(commands, "demo", _run_demo)
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
    _coverage.add_parser(commands)
    _geocode.add_parsers(commands)
    _export.add_parser(commands)
    _map.add_parser(commands)
    _plan.add_parser(commands)
    _recommend.add_parser(commands)
    _run.add_parsers(commands)
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
    print(demo.format_report(result))
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
    redact_logging()
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
    except KeyboardInterrupt:
        print(
            "geoplan: interrupted; files being written were left as before.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except Exception as exc:
        if args.debug:
            print(redact(traceback.format_exc()), file=sys.stderr, end="")
        print(f"geoplan: error: {redact(_message(exc))}", file=sys.stderr)
        return EXIT_FAILED


#: What an operating-system error means for the user, by its type.
_OS_ERRORS = {
    FileNotFoundError: "file not found; check the path",
    IsADirectoryError: "is a folder; give a file",
    NotADirectoryError: "a part of this path is a file, not a folder",
    PermissionError: "permission denied; choose a file or folder you can use",
}


def _message(exc: BaseException) -> str:
    """Return one line for an error: what went wrong, where, and the fix."""
    if isinstance(exc, GeoplanError):
        return str(exc)
    if isinstance(exc, OSError):
        where = exc.filename or "a file"
        if exc.errno == errno.ENOSPC:
            return f"{where}: the disk is full; free some space and rerun."
        for kind, meaning in _OS_ERRORS.items():
            if isinstance(exc, kind):
                return f"{where}: {meaning}."
    return (
        f"unexpected {type(exc).__name__}: {exc}. This is a bug in geoplan, not "
        "in your input; rerun with --debug and report the traceback it shows."
    )


if __name__ == "__main__":
    sys.exit(main())

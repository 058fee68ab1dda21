"""The ``geoplan`` command line: parse, set up logging, run, print, exit."""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import io
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import NoReturn

from geoplan import settings
from geoplan._progress import step
from geoplan._secrets import redact, redact_logging
from geoplan.cli._args import build_parser, keys_named
from geoplan.errors import GeoplanError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def _build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the parser; given `argv`, with only the options of the command it names."""
    return build_parser(
        _Parser,
        {
            key: _handler(where)
            for key, where in {
                "demo": "geoplan.cli:_run_demo",
                "coverage": "geoplan.cli._coverage:run",
                "recommend": "geoplan.cli._recommend:run",
                "export": "geoplan.cli._export:run",
                "map": "geoplan.cli._map:run",
                "gazetteer import": "geoplan.cli._geocode:run_import",
                "gazetteer info": "geoplan.cli._geocode:run_info",
                "geocode": "geoplan.cli._geocode:run_geocode",
                "plan list": "geoplan.cli._plan:run_list",
                "plan categories": "geoplan.cli._plan:run_categories",
                "plan check": "geoplan.cli._plan:run_check",
                "run": "geoplan.cli._run:run",
                "init": "geoplan.cli._run:init",
            }.items()
        },
        only=None if argv is None else keys_named(argv),
    )


def _handler(where: str) -> Callable[[argparse.Namespace], int]:
    """Return a command's runner, its module imported only when it runs."""
    module, _, name = where.partition(":")

    def run(args: argparse.Namespace) -> int:
        runner: Callable[[argparse.Namespace], int]
        runner = getattr(importlib.import_module(module), name)
        return runner(args)

    return run


def _run_demo(args: argparse.Namespace) -> int:
    from geoplan.cases.shangluo import demo  # the maps and networks it needs: now

    step("商洛示例 reading the plan table, placing sites, writing layers and map")
    result = demo.run_shangluo(
        layers_folder=args.layers_dir,
        maps_folder=args.maps_dir,
        gazetteer=args.gazetteer,
        cemetery_radius_m=args.cemetery_radius_m,
        overrides=args.overrides,
        basemap=args.basemap,
        network=args.network,
        mode=args.mode,
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
    argv = sys.argv[1:] if argv is None else argv
    parser = _build_parser(argv)
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
        settings.territory = args.territory
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

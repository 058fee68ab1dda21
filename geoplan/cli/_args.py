"""Options shared by the commands; numbers are checked by :mod:`geoplan._numbers`."""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

from geoplan._numbers import positive
from geoplan.workflows._job import Job, Result

J = TypeVar("J", bound="Job")


@functools.cache
def _commands() -> dict[str, dict[str, str]]:
    """Read the command registry, ``data/commands.toml``."""
    text = resources.files("geoplan").joinpath("data", "commands.toml").read_text()
    return tomllib.loads(text)


def command(
    group: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int] | None = None,
) -> argparse.ArgumentParser:
    """
    Add the command `name` (help from ``data/commands.toml``) to a group.

    Parameters
    ----------
    group
        What ``add_subparsers`` returned.
    name
        The command's table in ``data/commands.toml``; its last word is what
        users type.
    handler
        The function that runs it, if it takes no sub-commands.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser, for its options.
    """
    texts = _commands()[name]
    parser = group.add_parser(
        name.split()[-1],
        help=texts["help"],
        description=texts.get("description", texts["help"]),
    )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser


def actions(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    """
    Add the required ``ACTION`` sub-commands of a command (``gazetteer import``).

    Parameters
    ----------
    parser
        The command's parser.

    Returns
    -------
    argparse._SubParsersAction
        The group to add the actions to with :func:`command`.
    """
    return parser.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(parser)
    )


def add_basemap(parser: argparse.ArgumentParser, *, what: str = "the map") -> None:
    """Add ``--basemap``, checked against the basemap registry."""
    from geoplan.render.basemaps import available

    parser.add_argument(
        "--basemap",
        default="auto",
        choices=available(),
        help=f"tiles of {what}: auto (Tianditu with TIANDITU_KEY, else OSM), "
        "tianditu-vec, gaode, osm, none",
    )


def add_network(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``--network`` (a local OSM file) and ``--mode`` (the mode registry)."""
    from geoplan.access.modes import available

    parser.add_argument(
        "--network",
        type=Path,
        metavar="OSM",
        help=f"{what} along streets from a local .osm/.osm.bz2/.osm.pbf file "
        "(default: straight lines)",
    )
    parser.add_argument(
        "--mode",
        default="walk",
        choices=available(),
        help="which streets of --network to use: walk (default), drive or all",
    )


def add_points(parser: argparse.ArgumentParser, option: str, what: str) -> None:
    """Add a required points file (``--demand``, ``--facilities``)."""
    parser.add_argument(
        option,
        type=Path,
        required=True,
        metavar="FILE",
        help=f"{what} points: CSV/XLSX with lon/lat, or a GIS file",
    )


def add_reach(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``--radius-m`` (old name ``--threshold-m``) or ``--preset``, one needed."""
    from geoplan.access.presets import available

    reach = parser.add_mutually_exclusive_group(required=True)
    reach.add_argument(
        "--radius-m", type=positive, metavar="M", help=f"{what} radius in metres"
    )
    reach.add_argument(
        "--threshold-m",
        dest="radius_m",
        type=positive,
        action=Deprecated,
        help=argparse.SUPPRESS,  # the old name of --radius-m
    )
    reach.add_argument(
        "--preset",
        metavar="ID",
        help=f"life-circle preset: {', '.join(available())}",
    )


def add_map_and_out(
    parser: argparse.ArgumentParser, *, out: str, out_help: str
) -> None:
    """Add ``--map`` (default beside the output), ``--basemap`` and ``--out``."""
    parser.add_argument(
        "--map",
        type=Path,
        default=None,
        metavar="HTML",
        help="offline HTML map (default: maps/<out name>.html)",
    )
    add_basemap(parser)
    parser.add_argument(
        "--out", type=Path, default=Path(out), metavar="GPKG", help=out_help
    )


def add_duplicate_ids(parser: argparse.ArgumentParser) -> None:
    """Add ``--duplicate-ids``: what to do with table rows that repeat an id."""
    parser.add_argument(
        "--duplicate-ids",
        choices=("reject", "keep"),
        default="reject",
        help="table rows that repeat an earlier id (column id, 编号 or 序号): "
        "reject them (default) or keep them; either way they are listed",
    )


class Deprecated(argparse.Action):
    """Store an option given by its old name, and say which name replaces it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,  # noqa: ARG002 (argparse's signature)
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        """Warn on stderr, then store the value under the new name."""
        new = "--" + self.dest.replace("_", "-")
        print(
            f"geoplan: {option_string} is deprecated; use {new} (same meaning).",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def job_from_args(cls: type[J], args: argparse.Namespace) -> J:
    """
    Build a workflow's job from parsed options of the same names.

    Parameters
    ----------
    cls
        A job model (its field names are the options' dests).
    args
        The parsed options; those not given (None) take the job's default.

    Returns
    -------
    Job
        ``cls(**options)``, checked by the job itself.
    """
    given = {n: getattr(args, n, None) for n in cls.model_fields}
    return cls(**{n: v for n, v in given.items() if v is not None})


def finish(result: Result) -> int:
    """
    Write a workflow's result and print its summary (its notes were said).

    Parameters
    ----------
    result
        A workflow result.

    Returns
    -------
    int
        0, the exit code of a finished command.
    """
    written = result.write()
    print(result.summary())
    print("Written: " + ", ".join(map(str, written)))
    return 0

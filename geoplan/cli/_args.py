"""Options shared by the commands; numbers are checked by :mod:`geoplan._numbers`."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from geoplan._numbers import positive

T = TypeVar("T")

#: Each command's one-line help (``geoplan -h``) and description (``geoplan X -h``).
COMMANDS: dict[str, tuple[str, str | None]] = {
    "demo": (
        "run a bundled example end to end",
        "Run a bundled example end to end and write its outputs.",
    ),
    "coverage": (
        "distance or street-network coverage of demand points by facilities",
        "Nearest facility, distance in metres, count within the radius and "
        "covered flag for every demand point; shares overall and per unit.",
    ),
    "recommend": (
        "recommend sites that close a coverage gap",
        "The fewest new sites to reach a covered share (--target-share), or the "
        "best K sites (--k), among candidate sites; existing facilities fixed.",
    ),
    "export": (
        "list or convert the layers of a GeoPackage",
        "Write layers of a GeoPackage as GeoJSON, FlatGeobuf, CSV (WKT), "
        "Shapefile (UTF-8, short names mapped), Excel or GeoPackage.",
    ),
    "map": (
        "draw an offline HTML map from GeoPackage layers",
        "Draw units as a coverage choropleth, with points and service areas on "
        "top, as one HTML file that opens without internet (and a PNG).",
    ),
    "gazetteer": ("build and inspect the gazetteer store", None),
    "gazetteer import": ("add units from files to the store", None),
    "gazetteer info": ("count units and points per level", None),
    "geocode": (
        "place a list of names/addresses, offline",
        "Geocode a CSV/XLSX list of Chinese names or addresses against the "
        "gazetteer; every row is kept, with its precision and an explanation.",
    ),
    "plan": ("plans as data: indicators and progress", None),
    "plan list": ("list the bundled plans", None),
    "plan categories": ("list facility categories", None),
    "plan check": (
        "compute progress against a plan's targets",
        "Compute every indicator the given layers allow, per county and for the "
        "jurisdiction; say why for the others. Writes CSV, Excel, Markdown and "
        "charts.",
    ),
    "run": (
        "run an analysis file end to end",
        "Run the job an analysis file describes; paths in it are relative to the file.",
    ),
    "init": (
        "write a commented analysis template",
        "Write a commented analysis file to edit; an existing file is never "
        "overwritten.",
    ),
}


def command(
    group: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int] | None = None,
) -> argparse.ArgumentParser:
    """
    Add the command `name` (help from :data:`COMMANDS`) to a sub-command group.

    Parameters
    ----------
    group
        What ``add_subparsers`` returned.
    name
        The command's key in :data:`COMMANDS`; its last word is what users type.
    handler
        The function that runs it, if it takes no sub-commands.

    Returns
    -------
    argparse.ArgumentParser
        The command's parser, for its options.
    """
    help_line, description = COMMANDS[name]
    parser = group.add_parser(
        name.split()[-1], help=help_line, description=description or help_line
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


def job_from_args(cls: type[T], args: argparse.Namespace) -> T:
    """
    Build a workflow's job from parsed options of the same names.

    Parameters
    ----------
    cls
        A job dataclass (its field names are the options' dests).
    args
        The parsed options.

    Returns
    -------
    object
        ``cls(**options)``, checked by the job itself.
    """
    names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    return cls(**{n: getattr(args, n) for n in names if hasattr(args, n)})


def finish(result: Any) -> int:
    """
    Write a workflow's result and print its summary (its notes were said).

    Parameters
    ----------
    result
        A workflow result (``notes``, ``write()``, ``summary()``).

    Returns
    -------
    int
        0, the exit code of a finished command.
    """
    written = result.write()
    print(result.summary())
    print("Written: " + ", ".join(map(str, written)))
    return 0

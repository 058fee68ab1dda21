"""The ``geoplan export`` command: layers of a GeoPackage into other formats."""

from __future__ import annotations

import argparse
from pathlib import Path

import fiona
import pyogrio

from . import export
from .errors import ValidationError


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``export``."""
    p = commands.add_parser(
        "export",
        help="list or convert the layers of a GeoPackage",
        description="Write layers of a GeoPackage as GeoJSON, FlatGeobuf, CSV (WKT), "
        "Shapefile (UTF-8, short names mapped), Excel or GeoPackage.",
    )
    p.add_argument("source", type=Path, metavar="GPKG")
    p.add_argument("--list", action="store_true", help="list layers and fields")
    p.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="NAME",
        help="layer to export (repeatable; default all feature layers)",
    )
    p.add_argument(
        "--format",
        default="geojson",
        choices=[s.lstrip(".") for s in export.FORMATS],
        help="output format (default geojson)",
    )
    p.add_argument(
        "--crs",
        default="EPSG:4326",
        choices=sorted(export.CRS_CHOICES),
        help="CRS of a GeoPackage output",
    )
    p.add_argument("--out-dir", type=Path, default=Path("layers/export"), metavar="DIR")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """List or export layers."""
    if not args.source.is_file():
        msg = f"{args.source}: file not found."
        raise ValidationError(msg)
    names = fiona.listlayers(args.source)
    if args.list:
        for name in names:
            with fiona.open(args.source, layer=name) as layer:
                fields = ", ".join(
                    f"{k}:{v}" for k, v in layer.schema["properties"].items()
                )
                print(
                    f"{name} ({layer.schema['geometry']}, {len(layer)} rows): {fields}"
                )
        return 0
    wanted = args.layer or [n for n in names if n not in ("layer_styles",)]
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        msg = f"{args.source}: no layers {unknown}; it has {names}."
        raise ValidationError(msg)
    for name in wanted:
        frame = pyogrio.read_dataframe(args.source, layer=name)
        target = args.out_dir / f"{name}.{args.format}"
        if args.format == "gpkg":
            written = [export.write_geopackage(target, {name: frame}, crs=args.crs)]
        else:
            written = export.export_layer(frame, target)
        print(f"{name}: {len(frame)} rows -> " + ", ".join(map(str, written)))
    return 0

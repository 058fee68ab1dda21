"""The ``geoplan map`` command: an offline HTML map (and PNG) from layers on disk."""

from __future__ import annotations

import argparse

import pandas as pd

from geoplan.errors import ValidationError
from geoplan.io._guard import refuse_overwriting_inputs
from geoplan.io.export import alias
from geoplan.io.layers import read_layer
from geoplan.io.styles import COVERAGE_COLOURS, PRECISION_COLOURS
from geoplan.render import maps

#: ``covered_<t>m`` columns hold 1, 0, or blank where the points cannot decide.
COVERED_FLAG_COLOURS = {
    "1": COVERAGE_COLOURS["covered"],
    "0": COVERAGE_COLOURS["not_covered"],
    "": COVERAGE_COLOURS["undetermined"],
}
COLOURINGS = {
    "precision": PRECISION_COLOURS,
    "coverage_status": COVERAGE_COLOURS,
    "covered": COVERED_FLAG_COLOURS,
}


def _points(
    args: argparse.Namespace,
) -> tuple[pd.DataFrame, dict[str, tuple[str, str]] | None]:
    """Return the point layer and the colours --colour-by asks for."""
    points = read_layer(args.gpkg, args.points)
    colour_by = args.colour_by
    if not colour_by:
        return points, None
    key = "covered" if colour_by.startswith("covered_") else colour_by
    colours = COLOURINGS.get(key)
    if colours is None:
        msg = (
            "--colour-by takes precision, coverage_status or a covered_<t>m "
            f"column, not {colour_by!r}."
        )
        raise ValidationError(msg)
    if colour_by not in points.columns:
        columns = [c for c in points.columns if c != "geometry"]
        msg = (
            f"--colour-by {colour_by}: layer {args.points!r} has no such column; "
            f"its columns are {columns}."
        )
        raise ValidationError(msg)
    return points, colours


def run(args: argparse.Namespace) -> int:
    """Draw the map."""
    refuse_overwriting_inputs(
        {"GPKG": args.gpkg},
        {"--out": args.out, "the PNG beside --out": args.out.with_suffix(".png")},
    )
    units = read_layer(args.gpkg, args.units)
    if args.share_column not in units.columns:
        msg = f"layer {args.units!r} has no column {args.share_column!r}."
        raise ValidationError(msg)
    shares = pd.to_numeric(units[args.share_column], errors="coerce")
    bad = shares.notna() & ~shares.between(0, 1)
    if (units[args.share_column].notna() & shares.isna()).any() or bad.any():
        msg = (
            f"column {args.share_column!r} of layer {args.units!r} must hold shares "
            "between 0 and 1 (blank for none); pick the share column, e.g. "
            "provided_share or covered_share."
        )
        raise ValidationError(msg)
    units[args.share_column] = shares
    fields = {c: c for c in units.columns if c != "geometry"}
    m = maps.new_map(
        tuple(units.to_crs(4326).total_bounds),
        basemap=args.basemap,
        key=args.tianditu_key,
    )
    maps.coverage_map(
        units,
        share_column=args.share_column,
        fields=fields,
        title=args.title,
        legend_title=(alias(args.share_column) or (args.share_column,))[0],
        m=m,
    )
    points = None
    colours = None
    if args.areas:
        areas = read_layer(args.gpkg, args.areas)
        for kind, colour, dash in (
            ("network", "#3182bd", False),
            ("euclidean", "#756bb1", True),
        ):
            chosen = areas[areas["kind"] == kind] if "kind" in areas else areas
            if len(chosen):
                maps.add_areas(
                    m, chosen, name=f"service area ({kind})", colour=colour, dash=dash
                )
    if args.points:
        points, colours = _points(args)
        maps.add_points(
            m,
            points,
            name=args.points,
            fields={c: c for c in points.columns if c != "geometry"},
            colour_column=args.colour_by,
            colours=colours,
        )
    path = maps.save(m, args.out)
    size = maps.html_size_mb(path)
    print(
        f"Map: {path} ({size:.1f} MB, basemap {maps.meta(m)['basemap']}, "
        f"{maps.meta(m)['coord_system']})"
    )
    if args.png:
        png = maps.to_png(
            units,
            args.out.with_suffix(".png"),
            share_column=args.share_column,
            title=args.title,
            points=points,
            point_column=args.colour_by,
            point_colours=colours,
            legend_title=args.title,
        )
        print(f"PNG: {png}")
    return 0

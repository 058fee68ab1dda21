"""The ``geoplan coverage`` command: layers on disk in, GeoPackage and CSV out."""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import coverage, layers, precision, presets
from ._cli_args import add_basemap, add_duplicate_ids, add_network, positive, share
from ._guard import refuse_overwriting_inputs
from ._progress import step
from ._tables import write_csv
from .coords import SYSTEMS
from .errors import ValidationError
from .export import write_geopackage
from .styles import COVERAGE_COLOURS, category_style


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register the ``coverage`` sub-command and its options."""
    p = commands.add_parser(
        "coverage",
        help="distance or street-network coverage of demand points by facilities",
        description="Nearest facility, distance in metres, count within the radius "
        "and covered flag for every demand point; shares overall and per unit.",
    )
    p.add_argument(
        "--demand",
        type=Path,
        required=True,
        metavar="FILE",
        help="demand points: CSV/XLSX with lon/lat, or a GIS file",
    )
    p.add_argument(
        "--facilities",
        type=Path,
        required=True,
        metavar="FILE",
        help="facility points: CSV/XLSX with lon/lat, or a GIS file",
    )
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
    add_duplicate_ids(p)
    reach = p.add_mutually_exclusive_group(required=True)
    reach.add_argument(
        "--threshold-m", type=positive, metavar="M", help="coverage radius in metres"
    )
    reach.add_argument(
        "--preset",
        metavar="ID",
        help=f"life-circle preset: {', '.join(presets.available())}",
    )
    p.add_argument(
        "--method",
        choices=coverage.METHODS,
        help="euclidean (default without --network) or network",
    )
    add_network(p, what="measure")
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
    p.add_argument(
        "--map",
        type=Path,
        default=None,
        metavar="HTML",
        help="offline HTML map (default: maps/<out name>.html)",
    )
    add_basemap(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("layers/coverage.gpkg"),
        metavar="GPKG",
        help="output GeoPackage (a CSV is written beside)",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the command; print the summary; return the exit code."""
    csv = args.out.with_suffix(".csv")
    map_path = args.map or Path("maps") / f"{args.out.stem}.html"
    refuse_overwriting_inputs(
        {
            "--demand": args.demand,
            "--facilities": args.facilities,
            "--network": args.network,
        },
        {"--out": args.out, "the CSV beside --out": csv, "--map": map_path},
    )
    if args.method == "network" and args.network is None:
        msg = (
            "--method network needs --network FILE, a street network (.osm, "
            ".osm.bz2 or .osm.pbf) of the area; without one, use --method euclidean."
        )
        raise ValidationError(msg)
    read = {
        "coords": args.coords,
        "lon_column": args.lon_column,
        "lat_column": args.lat_column,
        "duplicate_ids": args.duplicate_ids,
    }
    demand = layers.read_points(
        args.demand, layer=args.demand_layer, layer_option="--demand-layer", **read
    )
    facilities = layers.read_points(
        args.facilities,
        layer=args.facilities_layer,
        layer_option="--facilities-layer",
        **read,
    )
    step(f"读取 read {len(demand)} demand points, {len(facilities)} facilities")
    net = None
    if args.network is not None:
        from .network import network_from_osm

        step(
            f"路网 building the {args.mode} network from {args.network} "
            "(cached after the first run)"
        )
        net = network_from_osm(args.network, mode=args.mode)
        step(f"路网 network ready: {len(net.nodes)} nodes, {len(net.edges)} edges")
    step("距离 measuring distances to the nearest facility")
    table = coverage.distance_coverage(
        demand,
        _checked(facilities, args.facilities),
        threshold_m=args.threshold_m,
        preset=args.preset,
        method=args.method,
        network=net,
    )
    weights = layers.number_column(
        demand, args.weight_column, option="--weight-column", noun="weight"
    )
    by = demand[args.by_column] if args.by_column else None
    share = coverage.covered_share(table, weights=weights, by=by)
    result = gpd.GeoDataFrame(demand.join(table), geometry="geometry", crs=demand.crs)
    ranked, gap = coverage.gaps(
        table, target_share=args.target_share or 1.0, weights=weights
    )
    out_layers = {
        "demand": result,
        "facilities": facilities,
        "gaps": result.loc[ranked.index].assign(
            gap_rank=ranked["rank"], gap_weight=ranked["weight"]
        ),
        "qa_report": _qa_report(demand, facilities, table),
    }
    if net is not None:
        from .service_areas import service_areas

        step(f"服务范围 drawing {len(facilities)} service areas")
        out_layers["service_areas"] = service_areas(
            facilities, net, threshold_m=table.attrs["threshold_m"]
        )
    status_style = category_style("coverage_status", COVERAGE_COLOURS)
    step(f"写出 writing {args.out} and the map")
    write_geopackage(
        args.out,
        out_layers,
        styles={"demand": status_style, "gaps": status_style},
        provenance={
            "demand": str(args.demand),
            "facilities": str(args.facilities),
            "coords": args.coords or "declared by the files",
            **table.attrs,
        },
    )
    _draw(args, map_path, result, facilities, out_layers.get("service_areas"), table)
    write_csv(result, csv, index=True)
    _print_summary(args, demand, facilities, table, share, gap)
    print(f"Written: {args.out}, {csv}, {map_path}")
    return 0


def _checked(facilities: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Refuse a facility layer none of whose rows has a location."""
    located = ~(facilities.geometry.isna() | facilities.geometry.is_empty)
    if len(facilities) and not located.any():
        msg = (
            f"{path}: none of its {len(facilities)} facilities has a location; "
            "check the coordinate columns (or geocode the list first: "
            "geoplan geocode)."
        )
        raise ValidationError(msg)
    return facilities


def _print_summary(
    args: argparse.Namespace,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    table: pd.DataFrame,
    share: pd.DataFrame,
    gap: dict[str, float],
) -> None:
    attrs = table.attrs
    unlocated = int((facilities.geometry.isna() | facilities.geometry.is_empty).sum())
    print(
        f"Coverage: {len(demand)} demand points, {len(facilities)} facilities"
        + (f" ({unlocated} without a location, not used)" if unlocated else "")
        + ", "
        f"{attrs['method']} distance, threshold {attrs['threshold_m']:g} m"
        + (f" (preset {attrs['preset']})" if attrs.get("preset") else "")
        + f", measured in {attrs['crs']}"
    )
    with pd.option_context("display.unicode.east_asian_width", True):
        print(share.to_string(float_format=lambda v: f"{v:.3f}"))
    undetermined = int(attrs.get("undetermined", 0))
    if undetermined:
        print(_undetermined_note(demand, facilities, table, undetermined))
    if args.target_share is not None:
        print("Gap to target: " + ", ".join(f"{k} {v:g}" for k, v in gap.items()))


def _undetermined_note(
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    table: pd.DataFrame,
    undetermined: int,
) -> str:
    """Say how many rows the points cannot decide, why, and how to fix it."""
    coarse = []
    for name, frame in (("demand points", demand), ("facilities", facilities)):
        if "precision" in frame.columns:
            described = precision.coarse_summary(frame["precision"])
            if described:
                coarse.append(f"{name}: {described}")
    located = int((table["coverage_status"] != precision.NOT_LOCATED).sum())
    return (
        f"未定 {undetermined} of {located} located demand points are undetermined: "
        f"their distance to a facility is decided by where inside a coarse unit the "
        f"points really lie ({'; '.join(coarse)}). They are counted apart, never as "
        "covered or not covered. To decide them: give fuller addresses, fill in "
        "the -fixes.csv template `geoplan geocode` writes and pass it as "
        "--overrides, or import a gazetteer with town and village points "
        "(geoplan gazetteer import)."
    )


def _draw(
    args: argparse.Namespace,
    path: Path,
    result: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    table: pd.DataFrame,
) -> Path:
    """Demand by coverage status, facilities with their reach, service areas."""
    from . import maps
    from .crs import metric_crs

    located = result[~(result.geometry.isna() | result.geometry.is_empty)]
    west, south, east, north = located.to_crs(4326).total_bounds
    m = maps.new_map((west, south, east, north), basemap=args.basemap)
    radius = table.attrs["threshold_m"]
    if areas is not None:
        for kind, colour, dash in (
            ("network", "#3182bd", False),
            ("euclidean", "#756bb1", True),
        ):
            maps.add_areas(
                m,
                areas[areas["kind"] == kind],
                name=f"服务范围 service area ({kind}, {radius:g} m)",
                colour=colour,
                dash=dash,
            )
    else:
        placed = facilities[
            ~(facilities.geometry.isna() | facilities.geometry.is_empty)
        ]
        metric = placed.to_crs(metric_crs(placed.to_crs(4326)))
        circles = gpd.GeoDataFrame(geometry=metric.buffer(radius), crs=metric.crs)
        maps.add_areas(m, circles, name=f"服务半径 radius {radius:g} m", dash=True)
    column = coverage.covered_column(table)
    fields = {
        c: c
        for c in ("dist_to_nearest_m", "coverage_status", column, "precision")
        if c in located
    }
    maps.add_points(
        m,
        located,
        name="需求点 demand",
        fields=fields,
        colour_column="coverage_status",
        colours=COVERAGE_COLOURS,
    )
    shown = {c: c for c in ("name", "precision") if c in facilities}
    maps.add_points(
        m, facilities, name="设施 facilities", fields=shown, colour="#000000"
    )
    return maps.save(m, path)


def _qa_report(
    demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, table: pd.DataFrame
) -> pd.DataFrame:
    """
    Account for every input row: counts, then each rejection, repair and note.

    Count lines have ``kind`` ``count``; the lines after them come from the
    ingest report (``rejected``, ``repaired``, ``note``) with the line in
    the source file, so a planner can open the file at that row.
    """
    rows: list[dict[str, object]] = []

    def count(name: str, reason: str, n: int) -> None:
        rows.append(
            {
                "input": name,
                "kind": "count",
                "source_row": "",
                "reason": reason,
                "detail": "",
                "rows": int(n),
            }
        )

    details = []
    for name, frame in (("demand", demand), ("facilities", facilities)):
        empty = frame.geometry.isna() | frame.geometry.is_empty
        report = frame.attrs.get("ingest")
        if report is not None:
            count(name, "rows in the file", report.rows_in)
            count(name, "rows used after a repair", report.rows_repaired)
        count(name, "rows read", len(frame))
        count(name, "no usable coordinates (kept, not located)", int(empty.sum()))
        if report is not None:
            for reason, n in report.rejected["reason"].value_counts().items():
                count(name, f"rejected: {reason}", n)
            details.append(report.qa_table().assign(input=name, rows=1))
    count(
        "demand",
        "undetermined: points too coarse to decide the radius",
        int((table["coverage_status"] == precision.UNDETERMINED).sum()),
    )
    return pd.concat([pd.DataFrame(rows), *details], ignore_index=True)[
        ["input", "kind", "source_row", "reason", "detail", "rows"]
    ]

"""The ``geoplan coverage`` command: layers on disk in, GeoPackage and CSV out."""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import coverage, layers, presets
from ._cli_args import add_basemap, add_network, positive, share
from ._progress import step
from .coords import SYSTEMS
from .export import write_geopackage
from .styles import COVERED_COLOURS, category_style


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
    p.add_argument("--demand-layer", metavar="NAME")
    p.add_argument("--facilities-layer", metavar="NAME")
    p.add_argument(
        "--coords",
        choices=SYSTEMS,
        metavar="SYSTEM",
        help="coordinate system of table coordinates: wgs84, gcj02, bd09",
    )
    p.add_argument("--lon-column", metavar="NAME")
    p.add_argument("--lat-column", metavar="NAME")
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
    read = {
        "coords": args.coords,
        "lon_column": args.lon_column,
        "lat_column": args.lat_column,
    }
    demand = layers.read_points(args.demand, layer=args.demand_layer, **read)
    facilities = layers.read_points(
        args.facilities, layer=args.facilities_layer, **read
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
        facilities,
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
        "qa_report": _qa_report(demand, facilities),
    }
    if net is not None:
        from .service_areas import service_areas

        step(f"服务范围 drawing {len(facilities)} service areas")
        out_layers["service_areas"] = service_areas(
            facilities, net, threshold_m=table.attrs["threshold_m"]
        )
    covered_style = category_style(coverage.covered_column(table), COVERED_COLOURS)
    step(f"写出 writing {args.out} and the map")
    write_geopackage(
        args.out,
        out_layers,
        styles={"demand": covered_style, "gaps": covered_style},
        provenance={
            "demand": str(args.demand),
            "facilities": str(args.facilities),
            "coords": args.coords or "declared by the files",
            **table.attrs,
        },
    )
    map_path = _draw(args, result, facilities, out_layers.get("service_areas"), table)
    csv = args.out.with_suffix(".csv")
    result.drop(columns="geometry").to_csv(csv, encoding="utf-8-sig")
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
    if args.target_share is not None:
        print("Gap to target: " + ", ".join(f"{k} {v:g}" for k, v in gap.items()))
    print(f"Written: {args.out}, {csv}, {map_path}")
    return 0


def _draw(
    args: argparse.Namespace,
    result: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    table: pd.DataFrame,
) -> Path:
    """Demand coloured covered / not covered, facilities, service areas."""
    from . import maps
    from .styles import COVERED_COLOURS

    located = result[~(result.geometry.isna() | result.geometry.is_empty)]
    west, south, east, north = located.to_crs(4326).total_bounds
    m = maps.new_map((west, south, east, north), basemap=args.basemap)
    column = coverage.covered_column(table)
    shown = located.assign(**{column: located[column].astype("Int64").astype(str)})
    if areas is not None:
        for kind, colour, dash in (
            ("network", "#3182bd", False),
            ("euclidean", "#756bb1", True),
        ):
            maps.add_areas(
                m,
                areas[areas["kind"] == kind],
                name=f"服务范围 service area ({kind})",
                colour=colour,
                dash=dash,
            )
    fields = {c: c for c in ("dist_to_nearest_m", column) if c in shown}
    maps.add_points(
        m,
        shown,
        name="需求点 demand",
        fields=fields,
        colour_column=column,
        colours=COVERED_COLOURS,
    )
    maps.add_points(m, facilities, name="设施 facilities", fields={}, colour="#000000")
    path = args.map or Path("maps") / f"{args.out.stem}.html"
    return maps.save(m, path)


def _qa_report(demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Rows read, used and kept without a location, per input."""
    rows = []
    for name, frame in (("demand", demand), ("facilities", facilities)):
        empty = frame.geometry.isna() | frame.geometry.is_empty
        rows.append({"input": name, "reason": "read", "rows": len(frame)})
        rows.append(
            {
                "input": name,
                "reason": "no usable coordinates (kept, not located)",
                "rows": int(empty.sum()),
            }
        )
        report = frame.attrs.get("ingest")
        if report is not None and len(report.rejected):
            rows += [
                {"input": name, "reason": reason, "rows": int(count)}
                for reason, count in report.rejected["reason"].value_counts().items()
            ]
    return pd.DataFrame(rows)

"""The ``geoplan recommend`` command: where to build next."""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import candidates as candidate_sites
from . import costs, coverage, gazetteer, layers, precision, presets, siting
from ._cli_args import (
    add_basemap,
    add_duplicate_ids,
    add_network,
    count,
    positive,
    share,
)
from ._guard import refuse_overwriting_inputs
from ._progress import step
from ._tables import write_csv
from .coords import SYSTEMS
from .crs import metric_crs, to_wgs84
from .errors import ValidationError
from .export import write_geopackage
from .ingest import repair_polygons
from .precision import uncertainty_m
from .styles import COVERAGE_COLOURS, category_style


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``recommend``."""
    p = commands.add_parser(
        "recommend",
        help="recommend sites that close a coverage gap",
        description="The fewest new sites to reach a covered share (--target-share), "
        "or the best K sites (--k), among candidate sites; existing facilities fixed.",
    )
    p.add_argument(
        "--demand",
        type=Path,
        required=True,
        metavar="FILE",
        help="demand points: CSV/XLSX with lon/lat, or a GIS file",
    )
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
    add_duplicate_ids(p)
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
    reach = p.add_mutually_exclusive_group(required=True)
    reach.add_argument(
        "--radius-m", type=positive, metavar="M", help="service radius in metres"
    )
    reach.add_argument(
        "--preset",
        metavar="ID",
        help=f"life-circle preset: {', '.join(presets.available())}",
    )
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
    add_network(p, what="measure")
    p.add_argument(
        "--time-limit-s",
        type=positive,
        default=60.0,
        metavar="S",
        help="solver time limit in seconds (default 60); the gap is reported",
    )
    p.add_argument(
        "--map",
        type=Path,
        metavar="HTML",
        help="offline HTML map (default: maps/<out name>.html)",
    )
    add_basemap(p)
    p.add_argument(
        "--out",
        type=Path,
        default=Path("layers/recommend.gpkg"),
        metavar="GPKG",
        help="output GeoPackage (default layers/recommend.gpkg); the curve CSV is "
        "written beside",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:  # noqa: PLR0915
    """Solve and write the recommended sites and the coverage curve."""
    map_path = args.map or Path("maps") / f"{args.out.stem}.html"
    curve_csv = args.out.with_name(args.out.stem + "-curve.csv")
    refuse_overwriting_inputs(
        {
            "--demand": args.demand,
            "--candidates": args.candidates,
            "--existing": args.existing,
            "--units": args.units,
            "--store": args.store,
            "--network": args.network,
        },
        {"--out": args.out, "the curve CSV beside --out": curve_csv, "--map": map_path},
    )
    radius = args.radius_m or presets.get(args.preset).distance_m
    demand = layers.read_points(
        args.demand, coords=args.coords, duplicate_ids=args.duplicate_ids
    )
    candidates = _located(_candidates(args))
    step(f"候选 {len(candidates)} candidates, {len(demand)} demand points")
    measure, net = _measure(args)
    u_demand = uncertainty_m(demand, role=str(args.demand)).to_numpy(float)
    u_candidates = uncertainty_m(candidates, role="candidates").to_numpy(float)
    widest = float(np.nanmax(u_demand, initial=0) + np.nanmax(u_candidates, initial=0))
    table = measure(demand, candidates, cutoff_m=radius + widest, with_pairs=True)
    now = np.zeros(len(demand), dtype=bool)
    undecided = np.zeros(len(demand), dtype=bool)
    if args.existing:
        facilities = layers.read_points(
            args.existing, coords=args.coords, duplicate_ids=args.duplicate_ids
        )
        state = coverage.distance_coverage(
            demand,
            facilities,
            radius_m=radius,
            method="network" if net is not None else "euclidean",
            network=net,
        )["coverage_status"].to_numpy()
        now = state == precision.COVERED
        undecided = state == precision.UNDETERMINED
    weights = layers.number_column(
        demand, args.weight_column, option="--weight-column", noun="weight"
    )
    if undecided.any():
        weights = weights if weights is not None else pd.Series(1.0, demand.index)
        weights = weights.where(~undecided, 0.0)
        print(
            f"{int(undecided.sum())} demand points may or may not be covered by the "
            "existing facilities (their points are too coarse to tell); they are "
            "left out of the siting and marked undetermined.",
            file=sys.stderr,
        )
    cov = siting.coverage_from_costs(
        table,
        weights=weights,
        existing=now,
        radius_m=radius,
        demand_uncertainty_m=u_demand,
        candidate_uncertainty_m=u_candidates,
    )
    if args.keep_within:
        cov = siting.restrict(cov, *_groups(args.keep_within, demand, candidates))
    capacity = layers.number_column(
        candidates, args.capacity_column, option="--capacity-column", noun="capacity"
    )
    step(
        f"求解 solving with HiGHS: {cov.matrix.nnz} pairs within {radius:g} m "
        f"(time limit {args.time_limit_s:g} s)"
    )
    if args.k:
        result = siting.mclp(
            cov, k=args.k, capacity=capacity, time_limit_s=args.time_limit_s
        )
    else:
        result = siting.lscp(
            cov,
            target_share=args.target_share,
            capacity=capacity,
            time_limit_s=args.time_limit_s,
        )
    if capacity is None:
        heuristic = siting.greedy(cov, k=args.k, target_share=args.target_share)
        curve = heuristic.curve
        compared = (
            f"greedy: {len(heuristic.selected)} sites, {heuristic.covered_share:.1%}"
        )
    else:  # the greedy heuristic knows no capacities: the curve is solved exactly
        curve = _capacitated_curve(cov, capacity, len(result.selected), args)
        compared = "capacities respected, demand may be split between sites"
    chosen = candidates.loc[result.selected]
    chosen = chosen.reset_index() if chosen.index.name else chosen
    chosen = chosen.assign(
        newly_covered_weight=result.new_coverage.reindex(result.selected).to_numpy()
    )
    positions = [cov.candidate_index.get_loc(c) for c in result.selected]
    status = _status(
        cov, table, positions, now, undecided, u_demand, u_candidates, radius
    )
    demand_out = demand.assign(
        coverage_status=pd.Series(status, index=cov.demand_index).reindex(demand.index)
    )
    write_geopackage(
        args.out,
        {
            "recommended": gpd.GeoDataFrame(chosen),
            "demand": demand_out,
            "coverage_curve": curve,
        },
        styles={"demand": category_style("coverage_status", STATUS_COLOURS)},
        provenance={
            "model": result.model,
            "radius_m": radius,
            "distance": f"network ({args.network}, {args.mode})"
            if args.network
            else "euclidean",
            "status": result.status,
            "mip_gap": result.mip_gap,
        },
    )
    write_csv(curve, curve_csv)
    print(
        f"{result.model.upper()} ({result.status}, gap {result.mip_gap:.2%}): "
        f"{len(result.selected)} sites, covered share {result.covered_share:.1%}; "
        + compared
    )
    unsure = int((status == "undetermined").sum())
    if unsure:
        levels = demand.get("precision", pd.Series(dtype=str))
        print(
            f"未定 {unsure} demand points are undetermined: their points are too "
            "coarse to tell whether a site reaches them "
            f"({precision.coarse_summary(levels)}). Better addresses or an "
            "overrides file decide them."
        )
    if result.status == "Infeasible":
        print(
            f"The target is out of reach: these candidates cover at most "
            f"{result.covered_share:.1%} within {radius:g} m; add candidates or "
            "widen the radius."
        )
    _draw(args, map_path, demand_out, gpd.GeoDataFrame(chosen), radius)
    print(f"Written: {args.out}, {map_path}")
    return 0


def _status(
    cov: siting.Coverage,
    table: costs.CostTable,
    chosen: list[int],
    now: np.ndarray,
    undecided: np.ndarray,
    u_demand: np.ndarray,
    u_candidates: np.ndarray,
    radius: float,
) -> np.ndarray:
    """Return existing / new / undetermined / none for each demand point."""
    within = np.asarray(cov.matrix[:, chosen].sum(axis=1)).ravel() > 0
    rows, cols, cost = table.pairs
    spread = np.nan_to_num(u_demand[rows] + u_candidates[cols], nan=np.inf)
    maybe = np.zeros(len(now), dtype=bool)
    near = (cost - spread <= radius) & np.isin(cols, chosen)
    maybe[rows[near]] = True
    return np.select(
        [now, undecided, within, maybe],
        ["existing", "undetermined", "new", "undetermined"],
        "none",
    )


STATUS_COLOURS = {
    "existing": ("#1a9850", "现有设施已覆盖 covered now"),
    "new": ("#2c7bb6", "推荐点新覆盖 newly covered"),
    "none": ("#d73027", "仍未覆盖 not covered"),
    "undetermined": COVERAGE_COLOURS["undetermined"],
}


def _draw(
    args: argparse.Namespace,
    path: Path,
    demand: gpd.GeoDataFrame,
    chosen: gpd.GeoDataFrame,
    radius_m: float,
) -> Path:
    """Demand by coverage status, the recommended sites and their radius."""
    from . import maps

    located = demand[~(demand.geometry.isna() | demand.geometry.is_empty)]
    m = maps.new_map(tuple(located.to_crs(4326).total_bounds), basemap=args.basemap)
    if len(chosen):
        metric = chosen.to_crs(metric_crs(chosen.to_crs(4326)))
        circles = gpd.GeoDataFrame(geometry=metric.buffer(radius_m), crs=metric.crs)
        maps.add_areas(m, circles, name=f"半径 {radius_m:g} m radius", dash=True)
    maps.add_points(
        m,
        located,
        name="需求点 demand",
        fields={"coverage_status": "覆盖 status"},
        colour_column="coverage_status",
        colours=STATUS_COLOURS,
    )
    fields = {c: c for c in ("name", "newly_covered_weight") if c in chosen}
    maps.add_points(
        m, chosen, name="推荐选址 recommended", fields=fields, colour="#000000"
    )
    return maps.save(m, path)


def _located(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Leave out, and say so, candidates with no location: nothing is built there."""
    missing = candidates.geometry.isna() | candidates.geometry.is_empty
    if missing.all():
        msg = f"None of the {len(candidates)} candidates has a usable location."
        raise ValidationError(msg)
    if missing.any():
        rows = candidates.get("source_row", candidates.index.to_series())
        print(
            f"{int(missing.sum())} candidates have no usable location and are left "
            f"out (rows {rows[missing].tolist()[:10]})",
            file=sys.stderr,
        )
    return candidates[~missing]


def _measure(
    args: argparse.Namespace,
) -> tuple[Callable[..., costs.CostTable], object | None]:
    """Straight-line costs, or street-network costs (and the network)."""
    if args.network is None:
        return costs.euclidean_costs, None
    from .network import network_costs, network_from_osm

    step(f"路网 building the {args.mode} network from {args.network}")
    net = network_from_osm(args.network, mode=args.mode)
    return functools.partial(network_costs, network=net), net


def _capacitated_curve(
    cov: siting.Coverage, capacity: pd.Series, n: int, args: argparse.Namespace
) -> pd.DataFrame:
    """Covered share with the best 0..n capacitated sites (at most 30 solves)."""
    already = cov.weights[cov.covered_now].sum() / cov.total_weight
    shares = [float(already)]
    for k in range(1, min(n, 30) + 1):
        best = siting.mclp(cov, k=k, capacity=capacity, time_limit_s=args.time_limit_s)
        shares.append(best.covered_share)
    return pd.DataFrame({"sites": range(len(shares)), "covered_share": shares})


def _candidates(args: argparse.Namespace) -> gpd.GeoDataFrame:
    if args.candidates:
        return layers.read_points(
            args.candidates, coords=args.coords, duplicate_ids=args.duplicate_ids
        )
    if args.candidates_from:
        gz = gazetteer.Gazetteer.load(args.store)
        found = candidate_sites.from_gazetteer(gz, within=args.candidates_from)
        if found.empty:
            msg = (
                f"No town or village below {args.candidates_from} has a point in "
                f"the gazetteer ({found.attrs['without_point']} without one); "
                "import points first (geoplan gazetteer import --format adcode …) "
                "or pass --store."
            )
            raise ValidationError(msg)
        return found
    if args.units is None:
        msg = "--candidates-grid needs --units, the polygons where sites may go."
        raise ValidationError(msg)
    units, repairs = repair_polygons(to_wgs84(layers.read_layer(args.units)))
    if len(repairs):
        print(f"{args.units}: {len(repairs)} invalid polygons made valid")
    return candidate_sites.grid(
        units, spacing_m=args.candidates_grid, unit_column=args.units_column
    )


def _groups(
    spec: str, demand: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame
) -> tuple[pd.Series, pd.Series]:
    """Return the columns ``--keep-within`` names, digit codes padded."""
    demand_column, _, candidate_column = spec.partition("=")
    candidate_column = candidate_column or demand_column
    for frame, column, role in (
        (demand, demand_column, "demand"),
        (candidates, candidate_column, "candidates"),
    ):
        if column not in frame.columns:
            msg = (
                f"--keep-within: the {role} have no column {column!r}; "
                f"columns are {list(frame.columns.drop('geometry'))}."
            )
            raise ValidationError(msg)

    def label(value: object) -> str:
        text = "" if pd.isna(value) else str(value).strip()
        return text.ljust(12, "0") if text.isdigit() and len(text) <= 12 else text

    return demand[demand_column].map(label), candidates[candidate_column].map(label)

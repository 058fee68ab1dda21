"""The recommend task: where to build next to close a coverage gap.

:class:`RecommendJob` describes the task; :func:`run_recommend` chooses the
sites (HiGHS, existing facilities fixed) and returns a
:class:`RecommendResult` that writes itself and says what it found. The
command line and analysis files build the same job.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel
from typing_extensions import override

from geoplan._geometry import has_location
from geoplan._models import Count, Positive
from geoplan._progress import note, step
from geoplan.access import costs, coverage, modes
from geoplan.access.network import StreetNetwork
from geoplan.errors import ValidationError
from geoplan.io import layers
from geoplan.io._guard import refuse_overwriting_inputs
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.ingest import repair_polygons
from geoplan.io.styles import COVERAGE_COLOURS, category_style, isochrone_style
from geoplan.places import gazetteer, precision
from geoplan.places.crs import to_wgs84
from geoplan.places.precision import uncertainty_m
from geoplan.planning import candidates as candidate_sites
from geoplan.planning import siting
from geoplan.workflows._job import Job, Result


class SitingOptions(BaseModel):
    """Siting choices an analysis file's ``[recommend]`` hands over as they are."""

    k: Count | None = None  # or the job's target_share
    time_limit_s: Positive = 60.0
    candidates_from: str | None = None
    candidates_grid_m: Positive | None = None
    units_column: str | None = None
    keep_within: str | None = None
    capacity_column: str | None = None


class RecommendJob(Job, SitingOptions):  # numpydoc ignore=PR02
    """
    Where to look for sites, what they must reach, and where to write.

    Parameters
    ----------
    demand
        Demand points (CSV/XLSX with lon/lat, or a GIS file).
    candidates, candidates_from, candidates_grid_m
        Exactly one source of candidate sites: a file, the gazetteer's towns
        and villages with a point below a unit code, or a grid with this
        spacing in metres inside `units`.
    units, units_column
        Grid: the allowed polygons and their label column.
    store
        Gazetteer store for `candidates_from` (default the user's store).
    keep_within
        ``DEMAND_COL[=CANDIDATE_COL]``: a site serves only demand with the
        same value.
    existing
        Existing facilities (fixed).
    coords
        Coordinate system of table coordinates.
    duplicate_ids
        Rows repeating an id: ``reject`` (default) or ``keep``.
    weight_column, capacity_column
        Demand weights; candidates' capacities in the same unit.
    radius_m, minutes, preset
        The service radius, a reach in minutes of travel along `network`, or
        a life-circle preset giving the radius.
    target_share, k
        The fewest sites reaching this covered share, or the best `k` sites.
    network, mode
        Street network file and travel mode (straight lines without one).
    time_limit_s
        Solver time limit.
    out, map, basemap
        The GeoPackage (the curve CSV is written beside), the HTML map
        (default ``maps/<out name>.html``) and its tiles.
    """

    candidates: Path | str | None = None  # a file or a PostGIS URL
    units: Path | str | None = None  # a file or a PostGIS URL
    store: Path | None = None
    existing: Path | str | None = None  # a file or a PostGIS URL
    out: Path = Path("layers/recommend.gpkg")

    def _check(self) -> None:
        sources = [
            s
            for s in ("candidates", "candidates_from", "candidates_grid_m")
            if getattr(self, s) is not None
        ]
        problems = []
        if len(sources) != 1:
            problems.append(
                "give exactly one source of candidates: --candidates, "
                f"--candidates-from or --candidates-grid-m (got {sources or 'none'})"
            )
        if (self.k is None) == (self.target_share is None):
            problems.append(
                "give a target share (--target-share) or a number of sites (--k)"
            )
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def curve_csv(self) -> Path:
        """
        The coverage-curve CSV written beside the GeoPackage.

        Returns
        -------
        Path
            ``<out stem>-curve.csv`` beside `out`.
        """
        return self.out.with_name(self.out.stem + "-curve.csv")


@dataclass
class RecommendResult(Result):
    """What :func:`run_recommend` chose, ready to write and print."""

    job: RecommendJob
    result: siting.SitingResult
    chosen: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    curve: pd.DataFrame
    compared: str
    status: np.ndarray
    radius_m: float | None  # None for a reach in minutes
    reach: str  # the reach in words: "1000 m" or "15 min (walk)"
    isochrones: gpd.GeoDataFrame | None = None  # of the chosen sites, in minutes
    notes: list[str] = field(default_factory=list)

    @override
    def write(self) -> list[Path]:
        args, result = self.job, self.result
        extra = {} if self.isochrones is None else {"isochrones": self.isochrones}
        write_geopackage(
            args.out,
            {
                "recommended": self.chosen,
                "demand": self.demand,
                "coverage_curve": self.curve,
                **extra,
            },
            styles={"demand": category_style("coverage_status", STATUS_COLOURS)}
            | isochrone_style(self.isochrones),
            provenance={
                "model": result.model,
                "reach": self.reach,
                "distance": f"network ({args.network}, {args.mode})"
                if args.network
                else "euclidean",
                "status": result.status,
                "mip_gap": result.mip_gap,
            },
        )
        write_csv(self.curve, args.curve_csv)
        assert args.map is not None  # set by the job
        _draw(args, args.map, self.demand, self.chosen, self.radius_m, self.isochrones)
        return [args.out, args.map]

    @override
    def summary(self) -> str:
        result = self.result
        lines = [
            f"{result.model.upper()} ({result.status}, gap {result.mip_gap:.2%}): "
            f"{len(result.selected)} sites, covered share "
            f"{result.covered_share:.1%}; " + self.compared
        ]
        unsure = int((self.status == "undetermined").sum())
        if unsure:
            levels = self.demand.get("precision", pd.Series(dtype=str))
            lines.append(
                f"未定 {unsure} demand points are undetermined: their points are too "
                "coarse to tell whether a site reaches them "
                f"({precision.coarse_summary(levels)}). Better addresses or an "
                "overrides file decide them."
            )
        if result.status == "Infeasible":
            lines.append(
                f"The target is out of reach: these candidates cover at most "
                f"{result.covered_share:.1%} within {self.reach}; add candidates or "
                "widen the reach."
            )
        return "\n".join(lines)


def run_recommend(job: RecommendJob) -> RecommendResult:
    """
    Choose sites among the candidates that close the job's coverage gap.

    Parameters
    ----------
    job
        The demand, candidates, reach and goal, checked.

    Returns
    -------
    RecommendResult
        The chosen sites, the demand by status, the coverage curve and the
        solver's answer, ready to write and print.
    """
    args = job
    notes: list[str] = []
    map_path = job.map
    curve_csv = job.curve_csv
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
    demand = layers.read_points(
        args.demand, coords=args.coords, duplicate_ids=args.duplicate_ids
    )
    candidates = _located(_candidates(args), notes)
    step(f"候选 {len(candidates)} candidates, {len(demand)} demand points")
    measure, net = _measure(args)
    reach = _Reach.of(job, net)
    u_demand = uncertainty_m(demand, role=str(args.demand)).to_numpy(float)
    u_candidates = uncertainty_m(candidates, role="candidates").to_numpy(float)
    widest = float(np.nanmax(u_demand, initial=0) + np.nanmax(u_candidates, initial=0))
    table = measure(
        demand,
        candidates,
        **{reach.cutoff: reach.limit + widest * reach.per_m},
        with_pairs=True,
    )
    now, undecided = _existing(job, demand, reach, net)
    weights = layers.number_column(
        demand, args.weight_column, option="--weight-column", noun="weight"
    )
    if undecided.any():
        weights = weights if weights is not None else pd.Series(1.0, demand.index)
        weights = weights.where(~undecided, 0.0)
        note(
            f"{int(undecided.sum())} demand points may or may not be covered by the "
            "existing facilities (their points are too coarse to tell); they are "
            "left out of the siting and marked undetermined.",
            notes,
        )
    cov = siting.coverage_from_costs(
        table,
        weights=weights,
        existing=now,
        radius_m=reach.radius_m,
        limit_s=None if reach.radius_m is not None else reach.limit,
        demand_uncertainty_m=u_demand,
        candidate_uncertainty_m=u_candidates,
        off_network_speed_m_s=reach.speed_m_s,
    )
    if args.keep_within:
        cov = siting.restrict(cov, *_groups(args.keep_within, demand, candidates))
    capacity = layers.number_column(
        candidates, args.capacity_column, option="--capacity-column", noun="capacity"
    )
    step(
        f"求解 solving with HiGHS: {cov.matrix.nnz} pairs within {reach.label} "
        f"(time limit {args.time_limit_s:g} s)"
    )
    if args.k:
        result = siting.mclp(
            cov, k=args.k, capacity=capacity, time_limit_s=args.time_limit_s
        )
    else:
        assert args.target_share is not None  # the job has k or a target share
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
        cov,
        table,
        positions,
        now,
        undecided,
        u_demand * reach.per_m,
        u_candidates * reach.per_m,
        reach.limit,
    )
    isochrones = None
    if net is not None and job.minutes is not None and len(chosen):
        from geoplan.access.service_areas import isochrones as draw_isochrones

        step(f"等时圈 drawing the {len(chosen)} chosen sites' {reach.label} isochrones")
        isochrones = draw_isochrones(chosen, net, minutes=[job.minutes])
    demand_out = demand.assign(
        coverage_status=pd.Series(status, index=cov.demand_index).reindex(demand.index)
    )
    return RecommendResult(
        job=job,
        result=result,
        chosen=gpd.GeoDataFrame(chosen),
        demand=demand_out,
        curve=curve,
        compared=compared,
        status=status,
        radius_m=reach.radius_m,
        reach=reach.label,
        isochrones=isochrones,
        notes=notes,
    )


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
    """Return existing / new / undetermined / none for each demand point.

    `radius` and the uncertainties are in the cost table's unit.
    """
    within = np.asarray(cov.matrix[:, chosen].sum(axis=1)).ravel() > 0
    assert table.pairs is not None  # measured with_pairs
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
    args: RecommendJob,
    path: Path,
    demand: gpd.GeoDataFrame,
    chosen: gpd.GeoDataFrame,
    radius_m: float | None,
    isochrones: gpd.GeoDataFrame | None,
) -> Path:
    """Demand by coverage status, the recommended sites and their reach."""
    from geoplan.render import maps

    located = demand[has_location(demand)]
    m = maps.new_map(tuple(located.to_crs(4326).total_bounds), basemap=args.basemap)
    if radius_m is not None:
        maps.add_radius(m, chosen, radius_m, name=f"半径 {radius_m:g} m radius")
    elif isochrones is not None:
        maps.add_isochrones(m, isochrones)
    maps.add_demand(
        m,
        located,
        fields={"coverage_status": "覆盖 status"},
        colours=STATUS_COLOURS,
    )
    fields = {c: c for c in ("name", "newly_covered_weight") if c in chosen}
    maps.add_points(
        m, chosen, name="推荐选址 recommended", fields=fields, colour="#000000"
    )
    return maps.save(m, path)


def _existing(
    job: RecommendJob,
    demand: gpd.GeoDataFrame,
    reach: _Reach,
    net: StreetNetwork | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which demand the existing facilities cover, and which they may cover."""
    if not job.existing:
        return np.zeros(len(demand), dtype=bool), np.zeros(len(demand), dtype=bool)
    facilities = layers.read_points(
        job.existing, coords=job.coords, duplicate_ids=job.duplicate_ids
    )
    state = coverage.distance_coverage(
        demand,
        facilities,
        radius_m=reach.radius_m,
        minutes=job.minutes,
        method="network" if net is not None else "euclidean",
        network=net,
    )["coverage_status"].to_numpy()
    return state == precision.COVERED, state == precision.UNDETERMINED


@dataclass(frozen=True)
class _Reach:
    """The job's reach as the cost tables measure it: metres or seconds."""

    limit: float  # in the tables' unit
    cutoff: str  # the network_costs / euclidean_costs keyword that carries it
    per_m: float  # the tables' unit per metre of a point's uncertainty
    radius_m: float | None
    speed_m_s: float | None  # the speed uncertain metres count at (seconds only)
    label: str

    @classmethod
    def of(cls, job: RecommendJob, net: StreetNetwork | None) -> _Reach:
        if job.minutes is None:
            radius = job.reach_m
            return cls(radius, "cutoff_m", 1.0, radius, None, f"{radius:g} m")
        if net is None:
            msg = (
                "--minutes needs --network FILE, a street network (.osm, .osm.bz2 "
                "or .osm.pbf) to travel along at --mode's speeds; or give "
                "--radius-m."
            )
            raise ValidationError(msg)
        speed = modes.get(net.mode).off_network_speed_m_s
        label = f"{job.minutes:g} min ({net.mode})"
        return cls(60.0 * job.minutes, "cutoff_s", 1.0 / speed, None, speed, label)


def _located(candidates: gpd.GeoDataFrame, notes: list[str]) -> gpd.GeoDataFrame:
    """Leave out, and say so, candidates with no location: nothing is built there."""
    missing = ~has_location(candidates)
    if missing.all():
        msg = f"None of the {len(candidates)} candidates has a usable location."
        raise ValidationError(msg)
    if missing.any():
        rows = candidates.get("source_row", candidates.index.to_series())
        note(
            f"{int(missing.sum())} candidates have no usable location and are left "
            f"out (rows {rows[missing].tolist()[:10]})",
            notes,
        )
    return candidates[~missing]


def _measure(
    args: RecommendJob,
) -> tuple[Callable[..., costs.CostTable], StreetNetwork | None]:
    """Straight-line costs, or street-network costs (and the network)."""
    if args.network is None:
        return costs.euclidean_costs, None
    from geoplan.access.network import network_costs, network_from_osm

    step(f"路网 building the {args.mode} network from {args.network}")
    net = network_from_osm(args.network, mode=args.mode)
    return functools.partial(network_costs, network=net), net


def _capacitated_curve(
    cov: siting.Coverage, capacity: pd.Series, n: int, args: RecommendJob
) -> pd.DataFrame:
    """Covered share with the best 0..n capacitated sites (at most 30 solves)."""
    already = cov.weights[cov.covered_now].sum() / cov.total_weight
    shares = [float(already)]
    for k in range(1, min(n, 30) + 1):
        best = siting.mclp(cov, k=k, capacity=capacity, time_limit_s=args.time_limit_s)
        shares.append(best.covered_share)
    return pd.DataFrame({"sites": range(len(shares)), "covered_share": shares})


def _candidates(args: RecommendJob) -> gpd.GeoDataFrame:
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
        msg = "--candidates-grid-m needs --units, the polygons where sites may go."
        raise ValidationError(msg)
    units, repairs = repair_polygons(to_wgs84(layers.read_layer(args.units)))
    if len(repairs):
        print(f"{args.units}: {len(repairs)} invalid polygons made valid")  # noqa: T201
    assert args.candidates_grid_m is not None  # the only source left
    return candidate_sites.grid(
        units, spacing_m=args.candidates_grid_m, unit_column=args.units_column
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

"""The coverage task: demand and facility layers in, coverage, gaps and a map out.

One typed job (:class:`CoverageJob`) describes the task; the command line,
analysis files and the Python API build it the same way and call
:func:`run_coverage`, whose :class:`CoverageResult` computes nothing more but
knows how to write itself (:meth:`CoverageResult.write`) and describe itself
(:meth:`CoverageResult.summary`).

Examples
--------
>>> from geoplan.workflows import CoverageJob
>>> CoverageJob(demand="d.csv", facilities="f.csv", radius_m=500).method
'euclidean'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from pydantic import model_validator
from typing_extensions import override

from geoplan._geometry import has_location
from geoplan._progress import step
from geoplan.access import coverage
from geoplan.errors import ValidationError
from geoplan.io import layers
from geoplan.io._guard import refuse_overwriting_inputs
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.styles import COVERAGE_COLOURS, category_style, isochrone_style
from geoplan.places import precision
from geoplan.workflows._job import Job, Result

Method = Literal["euclidean", "network"]

#: Minute bands drawn below a reach in minutes (the GB 50180-2018 life circles).
ISOCHRONE_BANDS = (5.0, 10.0, 15.0)


class CoverageJob(Job):  # numpydoc ignore=PR02
    """
    What to measure: demand and facility layers, the reach, and where to write.

    Parameters
    ----------
    demand, facilities
        CSV/XLSX tables with lon/lat, or GIS files.
    coords
        Coordinate system of table coordinates (``wgs84``/``gcj02``/``bd09``).
    radius_m
        Coverage radius in metres; or give `preset`.
    preset
        A life-circle preset id (its distance and method).
    method
        ``euclidean`` or ``network``; default network when a `network` is
        given, else euclidean.
    network
        Street network file (.osm, .osm.bz2, .osm.pbf) for ``network``.
    mode
        Travel mode of the network.
    demand_layer, facilities_layer
        Layers of GeoPackages that hold several.
    lon_column, lat_column
        Coordinate columns of tables (detected by name when omitted).
    duplicate_ids
        Rows repeating an id: ``reject`` (default) or ``keep``.
    weight_column, by_column
        Demand weights; a column to report shares by.
    target_share
        Plan target (e.g. 0.9) to report the gap to.
    out, map
        The GeoPackage (a CSV is written beside) and the HTML map (default
        ``maps/<out name>.html``).
    basemap
        Tiles of the map.
    """

    facilities: Path | str  # a file or a PostGIS URL
    method: Method | None = None
    demand_layer: str | None = None
    facilities_layer: str | None = None
    lon_column: str | None = None
    lat_column: str | None = None
    by_column: str | None = None
    out: Path = Path("layers/coverage.gpkg")

    @model_validator(mode="before")
    @classmethod
    def _default_method(cls, data: Any) -> Any:
        """Measure along the network when one is given, else straight lines."""
        if isinstance(data, dict) and data.get("method") is None:
            network = data.get("network") is not None
            data = {**data, "method": "network" if network else "euclidean"}
        return data

    def _check(self) -> None:
        if self.minutes is not None and self.network is None:
            msg = (
                "--minutes needs --network FILE, a street network (.osm, .osm.bz2 "
                "or .osm.pbf) travelled at --mode's speeds; without one, give "
                "--radius-m"
            )
            raise ValueError(msg)
        if self.method == "network" and self.network is None:
            msg = (
                "--method network needs --network FILE, a street network (.osm, "
                ".osm.bz2 or .osm.pbf) of the area; without one, use --method "
                "euclidean"
            )
            raise ValueError(msg)

    @property
    def csv(self) -> Path:
        """
        The CSV written beside the GeoPackage.

        Returns
        -------
        Path
            `out` with the ``.csv`` suffix.
        """
        return self.out.with_suffix(".csv")


@dataclass
class CoverageResult(Result):
    """What :func:`run_coverage` measured, ready to write and print."""

    job: CoverageJob
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    table: pd.DataFrame
    share: pd.DataFrame
    gap: dict[str, float]
    layers: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @override
    def write(self) -> list[Path]:
        job = self.job
        status_style = category_style("coverage_status", COVERAGE_COLOURS)
        step(f"写出 writing {job.out} and the map")
        write_geopackage(
            job.out,
            self.layers,
            styles={"demand": status_style, "gaps": status_style}
            | isochrone_style(self.layers.get("isochrones")),
            provenance={
                "demand": str(job.demand),
                "facilities": str(job.facilities),
                "coords": job.coords or "declared by the files",
                **self.table.attrs,
            },
        )
        result = self.layers["demand"]
        areas = self.layers.get("service_areas")
        assert job.map is not None  # set by the job
        bands = self.layers.get("isochrones")
        _draw(job, job.map, result, self.facilities, areas, self.table, bands)
        write_csv(result, job.csv, index=True)
        return [job.out, job.csv, job.map]

    @override
    def summary(self) -> str:
        return _summary(
            self.job, self.demand, self.facilities, self.table, self.share, self.gap
        )


def run_coverage(job: CoverageJob) -> CoverageResult:
    """
    Measure coverage of the job's demand by its facilities.

    Parameters
    ----------
    job
        The demand and facility layers, the reach, the method and the outputs,
        already checked.

    Returns
    -------
    CoverageResult
        Nearest facility, distance and status per demand point, shares, gaps
        and the layers to write.
    """
    refuse_overwriting_inputs(
        {
            "--demand": job.demand,
            "--facilities": job.facilities,
            "--network": job.network,
        },
        {"--out": job.out, "the CSV beside --out": job.csv, "--map": job.map},
    )
    demand, facilities = (
        layers.read_points(
            path,
            layer=layer,
            layer_option=option,
            coords=job.coords,
            lon_column=job.lon_column,
            lat_column=job.lat_column,
            duplicate_ids=job.duplicate_ids,
        )
        for path, layer, option in (
            (job.demand, job.demand_layer, "--demand-layer"),
            (job.facilities, job.facilities_layer, "--facilities-layer"),
        )
    )
    step(f"读取 read {len(demand)} demand points, {len(facilities)} facilities")
    net = None
    if job.network is not None:
        from geoplan.access.network import network_from_osm

        step(
            f"路网 building the {job.mode} network from {job.network} "
            "(cached after the first run)"
        )
        net = network_from_osm(job.network, mode=job.mode)
        step(f"路网 network ready: {len(net.nodes)} nodes, {len(net.edges)} edges")
    step("距离 measuring distances to the nearest facility")
    table = coverage.distance_coverage(
        demand,
        _checked(facilities, job.facilities),
        radius_m=job.radius_m,
        minutes=job.minutes,
        preset=job.preset,
        method=job.method,
        network=net,
    )
    weights = layers.number_column(
        demand, job.weight_column, option="--weight-column", noun="weight"
    )
    by = demand[job.by_column] if job.by_column else None
    share = coverage.covered_share(table, weights=weights, by=by)
    result = gpd.GeoDataFrame(demand.join(table), geometry="geometry", crs=demand.crs)
    ranked, gap = coverage.gaps(
        table, target_share=job.target_share or 1.0, weights=weights
    )
    out_layers: dict[str, pd.DataFrame] = {
        "demand": result,
        "facilities": facilities,
        "gaps": result.loc[ranked.index].assign(
            gap_rank=ranked["rank"], gap_weight=ranked["weight"]
        ),
        "qa_report": _qa_report(demand, facilities, table),
    }
    if net is not None and job.minutes is None:  # areas are drawn in metres
        from geoplan.access.service_areas import service_areas

        step(f"服务范围 drawing {len(facilities)} service areas")
        out_layers["service_areas"] = service_areas(
            facilities, net, radius_m=table.attrs["radius_m"]
        )
    elif net is not None and job.minutes is not None:
        from geoplan.access.service_areas import isochrones

        bands = sorted({b for b in ISOCHRONE_BANDS if b < job.minutes} | {job.minutes})
        step(
            f"等时圈 drawing isochrones of {len(facilities)} facilities at {bands} min"
        )
        out_layers["isochrones"] = isochrones(facilities, net, minutes=bands)
    return CoverageResult(job, demand, facilities, table, share, gap, out_layers)


def _checked(facilities: gpd.GeoDataFrame, path: Path | str) -> gpd.GeoDataFrame:
    """Refuse a facility layer none of whose rows has a location."""
    located = has_location(facilities)
    if len(facilities) and not located.any():
        notes = facilities.get("location_note", pd.Series("", dtype=object))
        if notes.astype(str).str.startswith("outside_china").all():
            fix = (
                "all lie outside China: check the coordinates, or for a study "
                "outside China run geoplan --territory world"
            )
        else:
            fix = (
                "check the coordinate columns (or geocode the list first: "
                "geoplan geocode)"
            )
        msg = f"{path}: none of its {len(facilities)} facilities has a location; {fix}."
        raise ValidationError(msg)
    return facilities


def _summary(
    job: CoverageJob,
    demand: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    table: pd.DataFrame,
    share: pd.DataFrame,
    gap: dict[str, float],
) -> str:
    attrs = table.attrs
    unlocated = int((~has_location(facilities)).sum())
    lines = [
        f"Coverage: {len(demand)} demand points, {len(facilities)} facilities"
        + (f" ({unlocated} without a location, not used)" if unlocated else "")
        + ", "
        + (
            f"{attrs['method']} distance, radius {attrs['radius_m']:g} m"
            if "radius_m" in attrs
            else f"{attrs['mode']} travel time, within {attrs['minutes']:g} min"
        )
        + (f" (preset {attrs['preset']})" if attrs.get("preset") else "")
        + f", measured in {attrs['crs']}"
    ]
    with pd.option_context("display.unicode.east_asian_width", True):
        lines.append(share.to_string(float_format=lambda v: f"{v:.3f}"))
    undetermined = int(attrs.get("undetermined", 0))
    if undetermined:
        lines.append(_undetermined_note(demand, facilities, table, undetermined))
    if job.target_share is not None:
        lines.append(
            "Gap to target: " + ", ".join(f"{k} {v:g}" for k, v in gap.items())
        )
    return "\n".join(lines)


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
    job: CoverageJob,
    path: Path,
    result: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    table: pd.DataFrame,
    isochrones: gpd.GeoDataFrame | None = None,
) -> Path:
    """Demand by coverage status, facilities with their reach or isochrones."""
    from geoplan.render import maps

    located = result[has_location(result)]
    west, south, east, north = located.to_crs(4326).total_bounds
    m = maps.new_map((west, south, east, north), basemap=job.basemap)
    radius = table.attrs.get("radius_m")  # none for minutes: no circle stands for it
    if radius is not None and areas is not None:
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
    elif radius is not None:
        maps.add_radius(m, facilities, radius, name=f"服务半径 radius {radius:g} m")
    elif isochrones is not None:
        maps.add_isochrones(m, isochrones)
    column = coverage.covered_column(table)
    fields = {
        c: c
        for c in (
            "dist_to_nearest_m",
            "time_to_nearest_s",
            "coverage_status",
            column,
            "precision",
        )
        if c in located
    }
    maps.add_demand(m, located, fields=fields, colours=COVERAGE_COLOURS)
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
        empty = ~has_location(frame)
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

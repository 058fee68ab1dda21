"""The plan check: a plan's indicators from a facility list, units and tables.

One typed job (:class:`PlanCheckJob`) says what to read; :func:`run_plan_check`
builds the units the plan counts (from the gazetteer below the plan's
jurisdiction, or as given), places the facilities by name, evaluates every
indicator, and returns a :class:`PlanCheckResult` that writes the progress
tables (CSV, Excel, Markdown), the units still without a facility, charts and
the gap map, and describes itself. The command line and the Python API share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from typing_extensions import override

from geoplan._geometry import has_location
from geoplan._progress import note
from geoplan.access.network import StreetNetwork
from geoplan.errors import ValidationError
from geoplan.io._guard import inside, refuse_overwriting_inputs, safe_filename
from geoplan.io.layers import read_text_table
from geoplan.places import geocode
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import categories, plans, report
from geoplan.workflows._job import Result


@dataclass
class PlanCheckJob:
    """
    What to check a plan against.

    Attributes
    ----------
    plan
        A bundled plan id or a plan TOML file.
    facilities
        A facility list: ``category`` (or `category`) and ``unit_code``, or a
        name column placed by the gazetteer.
    name_column, category
        The list's name column (default ``name``); one category for all rows.
    units_from, unit_type
        Build one unit type from the gazetteer below this code.
    units
        Or a units table; by default every type the plan counts is built.
    gazetteer
        The gazetteer store (default: the store, else the built-in one).
    network, mode
        Streets to measure the life circles along, and the travel mode.
    tables
        Further tables by name (a bundled case's, e.g. the relocation sites).
    out_dir, basemap
        Where the reports go; the gap map's tiles.
    """

    plan: str | Path
    facilities: Path | None = None
    name_column: str | None = None
    category: str | None = None
    units_from: str | None = None
    unit_type: str = "township"
    units: Path | None = None
    gazetteer: Path | None = None
    network: Path | None = None
    mode: str = "walk"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    out_dir: Path = Path("layers")
    basemap: str = "auto"


@dataclass
class PlanCheckResult(Result):
    """A plan's progress rows and the units with and without each facility."""

    job: PlanCheckJob
    plan: plans.Plan
    layers: plans.Layers
    progress: pd.DataFrame
    units: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @override
    def write(self) -> list[Path]:
        out, plan, progress, units = (
            self.job.out_dir,
            self.plan,
            self.progress,
            self.units,
        )
        stem = safe_filename(plan.id)  # a plan file from elsewhere names the files
        files = [
            report.write_csv(progress, inside(out, f"{stem}-progress.csv")),
            report.write_excel(
                progress,
                inside(out, f"{stem}-progress.xlsx"),
                title=plan.name_zh,
                units=units,
            ),
            report.write_markdown(
                progress,
                inside(out, f"{stem}-progress.md"),
                title=plan.name_zh,
                units=units,
            ),
        ]
        if len(units):
            files.append(report.write_csv(units, inside(out, f"{stem}-units.csv")))
        if len(units) and self.job.units_from:
            path = inside(out, f"{stem}-units.html")
            files += filter(None, [_draw_units(self.job, units, path)])
        names = {}
        if self.layers.units is not None:
            codes = self.layers.units["county_code"]
            names = dict(zip(codes, codes, strict=True))
        if "relocation_totals" in self.layers.tables:
            names.update(self.layers.tables["relocation_totals"]["county"].to_dict())
        from geoplan.render import charts  # matplotlib: only when writing

        drawn = charts.write_charts(progress, out / "charts", names=names)
        return [*files, *drawn]

    @override
    def summary(self) -> str:
        plan, progress = self.plan, self.progress
        computed = progress[progress["current"].notna() & (progress["scope"] == "all")]
        lines = [
            f"{plan.name_zh}: {len(plan.indicators)} indicators, "
            f"{computed['indicator'].nunique()} computed from the layers given"
        ]
        lines += [
            f"  {row['indicator']} {row['text_zh']}: {row['current']:g}{row['unit']} "
            f"(target {row['target']}{row['unit']}) - {row['status']}; {row['reason']}"
            for _, row in computed.iterrows()
        ]
        for indicator, group in self.units.groupby("indicator", sort=False):
            has_one = group["has_one"]
            missing = group.loc[plans.without_one(group)]
            if len(missing):
                names = "、".join(missing["unit_name"])
                lines.append(f"  {indicator}: {len(missing)} without one: {names}")
            if has_one.isna().any():
                lines.append(
                    f"  {indicator}: {int(has_one.isna().sum())} undetermined (points "
                    "too coarse to tell)"
                )
        skipped = progress[progress["current"].isna()]
        lines.append(f"  {len(skipped)} not computable:")
        lines += [
            f"    {row['indicator']} {row['text_zh']}: {row['reason']}"
            for _, row in skipped.iterrows()
        ]
        return "\n".join(lines)


def run_plan_check(job: PlanCheckJob) -> PlanCheckResult:
    """
    Evaluate a plan from the job's facility list, units and tables.

    Parameters
    ----------
    job
        The plan, the layers to read and where the reports go.

    Returns
    -------
    PlanCheckResult
        The progress rows (per county and the jurisdiction) and the units.
    """
    plan = plans.load(job.plan)
    stem = safe_filename(plan.id)
    refuse_overwriting_inputs(
        {
            "PLAN": job.plan if str(job.plan).endswith(".toml") else None,
            "--facilities": job.facilities,
            "--units": job.units,
            "--gazetteer": job.gazetteer,
        },
        {
            f"--out-dir's {name}": job.out_dir / name
            for name in (
                f"{stem}-progress.csv",
                f"{stem}-progress.xlsx",
                f"{stem}-progress.md",
                f"{stem}-units.csv",
                f"{stem}-units.html",
            )
        },
    )
    layers = _layers(job, plan)
    return PlanCheckResult(
        job, plan, layers, plans.evaluate(plan, layers), plans.unit_status(plan, layers)
    )


def _layers(job: PlanCheckJob, plan: plans.Plan) -> plans.Layers:
    """Gather the units, facilities, network and tables the job names."""
    layers = plans.Layers(tables=dict(job.tables))
    gz = None
    if job.units_from:
        gz = Gazetteer.load(job.gazetteer)
        layers.units = plans.units_from_gazetteer(
            gz, job.units_from, unit_type=job.unit_type
        )
    elif job.units:
        layers.units = read_text_table(job.units)
    elif job.facilities:  # every unit type the plan counts, from the gazetteer
        gz = Gazetteer.load(job.gazetteer)
        layers.units = plans.units_for_plan(gz, plan)
    if job.facilities:
        layers.facilities = _facilities(job, plan, gz)
    layers.network = _network(job)
    return layers


def _facilities(
    job: PlanCheckJob, plan: plans.Plan, gz: Gazetteer | None
) -> pd.DataFrame:
    """Read the facility list: its category, unit and (placed by name) point."""
    assert job.facilities is not None
    table = read_text_table(job.facilities)
    if job.category:
        table["category"] = job.category
    _require(job.facilities, table, "category", "or pass --category 社工站")
    if "unit_code" not in table:
        column = job.name_column or "name"
        _require(job.facilities, table, column, "or name it with --name-column")
        placed = geocode.geocode(
            table[column],
            gazetteer=gz or Gazetteer.load(job.gazetteer),
            context=job.units_from or plan.jurisdiction_code,
        )
        below_county = table["category"].map(
            lambda c: categories.category(c).counted_against != "county"
        )
        _warn_unplaced(table.loc[below_county, column], placed[below_county])
        # the deepest unit reached: a village counts for itself and its town
        table["unit_code"] = placed["code"].fillna("").str.ljust(12, "0")
        located = has_location(placed)
        table["lon"] = placed.geometry.x.where(located)
        table["lat"] = placed.geometry.y.where(located)
        table["precision"] = placed["precision"].to_numpy()
    else:  # coordinates without a declared system are not read
        table = table.drop(columns=["lon", "lat", "precision"], errors="ignore")
    if "count" in table:
        table["count"] = _counts(job.facilities, table["count"])
    return table


def _network(job: PlanCheckJob) -> StreetNetwork | None:
    """Read the streets the life circles are measured along, if given."""
    if job.network is None:
        return None
    from geoplan.access.network import network_from_osm

    return network_from_osm(job.network, mode=job.mode)


def _require(path: Path, table: pd.DataFrame, column: str, fix: str) -> None:
    if column not in table.columns:
        msg = (
            f"{path}: no column {column!r} (columns are {list(table.columns)}); "
            f"add it, {fix}."
        )
        raise ValidationError(msg)


def _counts(path: Path, cells: pd.Series) -> pd.Series:
    """Facility counts per row; blank means none, anything else must be >= 0."""
    text = cells.astype(str).str.strip()
    values = pd.to_numeric(text.where(text != "", "0"), errors="coerce")
    bad = values.isna() | (values < 0)
    if bad.any():
        rows = [f"row {i}: {cells[i]!r}" for i in cells.index[bad][:5]]
        msg = (
            f"{path}: column 'count' has {int(bad.sum())} cells that are not a "
            f"number >= 0 ({'; '.join(rows)})."
        )
        raise ValidationError(msg)
    return values


def _warn_unplaced(names: pd.Series, placed: pd.DataFrame) -> None:
    """Say which facilities counted in towns or communities name none (by name)."""
    code = placed["code"].fillna("").astype(str)
    coarse = (code.str[6:9].isin(["", "000"])) | (placed["status"] == "ambiguous")
    if coarse.any():
        lines = [
            f"  {names[label]}: {placed.at[label, 'explanation']}"
            for label in names.index[coarse]
        ]
        note(
            f"{int(coarse.sum())} facilities name no town or community and count "
            "in no unit:\n" + "\n".join(lines)
        )


HAS_ONE_COLOURS = {
    "yes": ("#1a9850", "已有 has one"),
    "no": ("#d73027", "尚无 none yet"),
    "open": ("#999999", "待定 undetermined"),
}


def _draw_units(job: PlanCheckJob, units: pd.DataFrame, path: Path) -> Path | None:
    """Map the units with and without the facility at their gazetteer points."""
    from geoplan.render import maps

    gz = Gazetteer.load(job.gazetteer)
    first = units.drop_duplicates("unit_code")
    placed = geocode.geocode(
        first["unit_name"], gazetteer=gz, context=first["county_code"]
    )
    fine = placed["precision"].isin(["town", "village"])
    where = dict(zip(first["unit_code"][fine], placed.geometry[fine], strict=True))
    if not where:
        note(
            f"No gap map: none of the {len(first)} units has a point in the "
            "gazetteer (import town points: geoplan gazetteer import …)."
        )
        return None
    located = units[units["unit_code"].isin(where)]
    layer = gpd.GeoDataFrame(
        located.assign(
            status=located["has_one"].map({True: "yes", False: "no"}).fillna("open")
        ),
        geometry=[where[c] for c in located["unit_code"]],
        crs=4326,
    )
    m = maps.new_map(tuple(layer.total_bounds), basemap=job.basemap)
    for indicator, group in layer.groupby("indicator", sort=False):
        shown = units[units["indicator"] == indicator]
        maps.add_points(
            m,
            group,
            name=f"{indicator} ({len(group)} of {len(shown)} units with a point)",
            fields={"unit_name": "单元", "facilities": "设施数"},
            colour_column="status",
            colours=HAS_ONE_COLOURS,
        )
    return maps.save(m, path)

"""The ``geoplan plan`` command: list plans and categories, check progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.access import presets
from geoplan.access.network import StreetNetwork
from geoplan.cases.shangluo import demo, relocation
from geoplan.errors import ValidationError
from geoplan.io._guard import inside, refuse_overwriting_inputs, safe_filename
from geoplan.io.layers import read_text_table
from geoplan.places import geocode
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import categories, plans, report
from geoplan.render import charts, maps


def run_list(_args: argparse.Namespace) -> int:
    """Print the bundled plans."""
    for name in plans.available():
        plan = plans.load(name)
        print(f"{name}: {plan.name_zh} ({len(plan.indicators)} indicators)")
    return 0


def run_categories(_args: argparse.Namespace) -> int:
    """Print the facility categories."""
    for cat in categories.categories().values():
        print(
            f"{cat.id}: {cat.name_zh} ({cat.name_en}); counted against "
            f"{cat.counted_against}"
        )
    return 0


def _layers(args: argparse.Namespace, plan: plans.Plan) -> plans.Layers:
    """Gather the units, facilities and tables the options name."""
    layers = plans.Layers()
    gz = None
    if args.units_from:
        gz = Gazetteer.load(args.gazetteer)
        layers.units = plans.units_from_gazetteer(
            gz, args.units_from, unit_type=args.unit_type
        )
    elif args.units:
        layers.units = read_text_table(args.units)
    elif args.facilities:  # every unit type the plan counts, from the gazetteer
        gz = Gazetteer.load(args.gazetteer)
        layers.units = plans.units_for_plan(gz, plan)
    if args.facilities:
        table = read_text_table(args.facilities)
        if args.category:
            table["category"] = args.category
        _require(args.facilities, table, "category", "or pass --category 社工站")
        if "unit_code" not in table:
            column = args.name_column or "name"
            _require(args.facilities, table, column, "or name it with --name-column")
            gz = gz or Gazetteer.load(args.gazetteer)
            placed = geocode.geocode(
                table[column],
                gazetteer=gz,
                context=args.units_from or plan.jurisdiction_code,
            )
            below_county = table["category"].map(
                lambda c: categories.category(c).counted_against != "county"
            )
            _warn_unplaced(table.loc[below_county, column], placed[below_county])
            # the deepest unit reached: a village counts for itself and its town
            table["unit_code"] = placed["code"].fillna("").str.ljust(12, "0")
            located = ~(placed.geometry.isna() | placed.geometry.is_empty)
            table["lon"] = placed.geometry.x.where(located)
            table["lat"] = placed.geometry.y.where(located)
            table["precision"] = placed["precision"].to_numpy()
        else:  # coordinates without a declared system are not read
            table = table.drop(columns=["lon", "lat", "precision"], errors="ignore")
        if "count" in table:
            table["count"] = _counts(args.facilities, table["count"])
        layers.facilities = table
    layers.network = _network(args)
    if args.relocation:
        sites = relocation.load("sites")
        if args.gazetteer:  # located sites: also count those within the radius
            radius = presets.get("rural-cemetery-5km").distance_m
            located, _ = demo.locate_sites(
                sites, Gazetteer.load(args.gazetteer), radius_m=radius
            )
            sites = sites.assign(
                within_radius=located["within_radius"],
                coverage_status=located["coverage_status"],
            )
        layers.tables.update(relocation.plan_tables(sites))
    return layers


def _network(args: argparse.Namespace) -> StreetNetwork | None:
    """Read the streets the life circles are measured along, if given."""
    if args.network is None:
        return None
    from geoplan.access.network import network_from_osm

    return network_from_osm(args.network, mode=args.mode)


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
        print(
            f"{int(coarse.sum())} facilities name no town or community and count "
            "in no unit:",
            file=sys.stderr,
        )
        for label in names.index[coarse]:
            why = placed.at[label, "explanation"]
            print(f"  {names[label]}: {why}", file=sys.stderr)


HAS_ONE_COLOURS = {
    "yes": ("#1a9850", "已有 has one"),
    "no": ("#d73027", "尚无 none yet"),
}


def _draw_units(
    args: argparse.Namespace, units: pd.DataFrame, path: Path
) -> Path | None:
    """Map the units with and without the facility at their gazetteer points."""
    gz = Gazetteer.load(args.gazetteer)
    first = units.drop_duplicates("unit_code")
    placed = geocode.geocode(
        first["unit_name"], gazetteer=gz, context=first["county_code"]
    )
    fine = placed["precision"].isin(["town", "village"])
    where = dict(zip(first["unit_code"][fine], placed.geometry[fine], strict=True))
    if not where:
        print(
            f"No gap map: none of the {len(first)} units has a point in the "
            "gazetteer (import town points: geoplan gazetteer import …).",
            file=sys.stderr,
        )
        return None
    located = units[units["unit_code"].isin(where)]
    layer = gpd.GeoDataFrame(
        located.assign(status=np.where(located["has_one"], "yes", "no")),
        geometry=[where[c] for c in located["unit_code"]],
        crs=4326,
    )
    m = maps.new_map(tuple(layer.total_bounds), basemap=args.basemap)
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


def run_check(args: argparse.Namespace) -> int:
    """Evaluate a plan and write the reports."""
    plan = plans.load(args.plan)
    out = args.out_dir
    stem = safe_filename(plan.id)  # a plan file from elsewhere names the files
    refuse_overwriting_inputs(
        {
            "PLAN": args.plan if str(args.plan).endswith(".toml") else None,
            "--facilities": args.facilities,
            "--units": args.units,
            "--gazetteer": args.gazetteer,
        },
        {
            f"--out-dir's {name}": out / name
            for name in (
                f"{stem}-progress.csv",
                f"{stem}-progress.xlsx",
                f"{stem}-progress.md",
                f"{stem}-units.csv",
                f"{stem}-units.html",
            )
        },
    )
    layers = _layers(args, plan)
    progress = plans.evaluate(plan, layers)
    units = plans.unit_status(plan, layers)
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
    if len(units) and args.units_from:
        files += filter(
            None, [_draw_units(args, units, inside(out, f"{stem}-units.html"))]
        )
    names = {}
    if layers.units is not None:
        names = dict(
            zip(layers.units["county_code"], layers.units["county_code"], strict=True)
        )
    if "relocation_totals" in layers.tables:
        names.update(layers.tables["relocation_totals"]["county"].to_dict())
    drawn = charts.write_charts(progress, out / "charts", names=names)
    computed = progress[progress["current"].notna() & (progress["scope"] == "all")]
    print(
        f"{plan.name_zh}: {len(plan.indicators)} indicators, "
        f"{computed['indicator'].nunique()} computed from the layers given"
    )
    for _, row in computed.iterrows():
        print(
            f"  {row['indicator']} {row['text_zh']}: {row['current']:g}{row['unit']} "
            f"(target {row['target']}{row['unit']}) - {row['status']}; {row['reason']}"
        )
    for indicator, group in units.groupby("indicator", sort=False):
        missing = group.loc[~group["has_one"], "unit_name"]
        if len(missing):
            print(f"  {indicator}: {len(missing)} without one: {'、'.join(missing)}")
    skipped = progress[progress["current"].isna()]
    print(f"  {len(skipped)} not computable:")
    for _, row in skipped.iterrows():
        print(f"    {row['indicator']} {row['text_zh']}: {row['reason']}")
    print(f"Written: {', '.join(map(str, files))} and {len(drawn)} charts")
    return 0

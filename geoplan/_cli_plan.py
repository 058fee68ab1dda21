"""The ``geoplan plan`` command: list plans and categories, check progress."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from . import categories, demo, geocode, plans, presets, relocation, report
from .gazetteer import Gazetteer
from .layers import read_text_table


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``plan`` (list, categories, check)."""
    p = commands.add_parser("plan", help="plans as data: indicators and progress")
    actions = p.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(p)
    )
    actions.add_parser("list", help="list the bundled plans").set_defaults(
        handler=run_list
    )
    actions.add_parser("categories", help="list facility categories").set_defaults(
        handler=run_categories
    )
    check = actions.add_parser(
        "check",
        help="compute progress against a plan's targets",
        description="Compute every indicator the given layers allow, per county and "
        "for the jurisdiction; say why for the others. Writes CSV, Excel, Markdown and "
        "charts.",
    )
    check.add_argument(
        "plan", help=f"bundled plan ({', '.join(plans.available())}) or a TOML file"
    )
    check.add_argument(
        "--facilities",
        type=Path,
        metavar="CSV",
        help="facilities: columns category and unit_code, or a name "
        "column placed in units with --name-column",
    )
    check.add_argument("--name-column", help="facility column with the place name")
    check.add_argument("--category", help="category of every facility in the list")
    check.add_argument(
        "--units-from",
        metavar="CODE",
        help="build the units from the gazetteer below this code",
    )
    check.add_argument(
        "--unit-type", default="township", choices=sorted(plans.UNIT_LEVELS)
    )
    check.add_argument(
        "--units",
        type=Path,
        metavar="CSV",
        help="units table: code, name, unit_type, county_code",
    )
    check.add_argument(
        "--relocation",
        action="store_true",
        help="use the bundled Shangluo relocation-site tables",
    )
    check.add_argument("--gazetteer", type=Path, metavar="GPKG")
    check.add_argument("--out-dir", type=Path, default=Path("layers/progress"))
    check.set_defaults(handler=run_check)


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
    if args.facilities:
        table = read_text_table(args.facilities)
        if args.category:
            table["category"] = args.category
        if "unit_code" not in table:
            gz = gz or Gazetteer.load(args.gazetteer)
            placed = geocode.geocode(
                table[args.name_column or "name"],
                gazetteer=gz,
                context=args.units_from or plan.jurisdiction_code,
            )
            table["unit_code"] = placed["matched_code"].str[:9].str.ljust(12, "0")
        if "count" in table:
            table["count"] = pd.to_numeric(table["count"], errors="coerce").fillna(0)
        layers.facilities = table
    if args.relocation:
        sites = relocation.load_sites()
        if args.gazetteer:  # located sites: also count those within the radius
            radius = presets.get("rural-cemetery-5km").distance_m
            located, _ = demo.locate_sites(
                sites, Gazetteer.load(args.gazetteer), radius_m=radius
            )
            sites = sites.assign(within_radius=located["within_radius"])
        layers.relocation_sites = sites
        layers.relocation_totals = relocation.load_county_totals()
    return layers


def run_check(args: argparse.Namespace) -> int:
    """Evaluate a plan and write the reports."""
    plan = plans.load(args.plan)
    layers = _layers(args, plan)
    progress = plans.evaluate(plan, layers)
    out = args.out_dir
    files = [
        report.write_csv(progress, out / f"{plan.id}-progress.csv"),
        report.write_excel(
            progress, out / f"{plan.id}-progress.xlsx", title=plan.name_zh
        ),
        report.write_markdown(
            progress, out / f"{plan.id}-progress.md", title=plan.name_zh
        ),
    ]
    names = {}
    if layers.units is not None:
        names = dict(
            zip(layers.units["county_code"], layers.units["county_code"], strict=True)
        )
    if layers.relocation_totals is not None:
        names.update(layers.relocation_totals["county"].to_dict())
    files += report.write_charts(progress, out / "charts", names=names)
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
    skipped = progress[progress["current"].isna()]
    print(f"  {len(skipped)} not computable:")
    for _, row in skipped.iterrows():
        print(f"    {row['indicator']} {row['text_zh']}: {row['reason']}")
    print(
        "Written: "
        + ", ".join(str(f) for f in files[:3])
        + f" and {len(files) - 3} charts"
    )
    return 0

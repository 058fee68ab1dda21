"""The ``geoplan plan`` command: list plans and categories, check progress."""

from __future__ import annotations

import argparse
from dataclasses import fields
from pathlib import Path

import pandas as pd

from geoplan.access import presets
from geoplan.cases.shangluo import demo, relocation
from geoplan.places.gazetteer import Gazetteer
from geoplan.planning import categories, plans
from geoplan.workflows.plan_check import PlanCheckJob, run_plan_check


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


def run_check(args: argparse.Namespace) -> int:
    """Evaluate a plan and write the reports."""
    tables = {}
    if args.relocation:  # the bundled Shangluo case's own tables
        tables = _relocation_tables(args.gazetteer)
    options = [f.name for f in fields(PlanCheckJob) if f.name != "tables"]
    job = PlanCheckJob(**{name: getattr(args, name) for name in options}, tables=tables)
    result = run_plan_check(job)
    written = result.write()
    print(result.summary())
    files = [p for p in written if p.suffix != ".png"]
    print(
        f"Written: {', '.join(map(str, files))} and {len(written) - len(files)} charts"
    )
    return 0


def _relocation_tables(store: Path | None) -> dict[str, pd.DataFrame]:
    """Load the relocation sites' tables; with a gazetteer, those within reach."""
    sites = relocation.load("sites")
    if store:  # located sites: also count those within the radius
        radius = presets.get("rural-cemetery-5km").distance_m
        located, _ = demo.locate_sites(sites, Gazetteer.load(store), radius_m=radius)
        sites = sites.assign(
            within_radius=located["within_radius"],
            coverage_status=located["coverage_status"],
        )
    return relocation.plan_tables(sites)

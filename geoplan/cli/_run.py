"""The ``geoplan run`` and ``geoplan init`` commands: analyses from a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from geoplan.cases.shangluo import demo
from geoplan.cli._args import command, finish
from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.io._atomic import atomic_write_text
from geoplan.places import gazetteer
from geoplan.workflows import analysis
from geoplan.workflows.coverage import CoverageJob, run_coverage
from geoplan.workflows.recommend import RecommendJob, run_recommend


def add_parsers(commands: argparse._SubParsersAction) -> None:
    """Register ``run`` and ``init``."""
    run_p = command(commands, "run", run)
    run_p.add_argument(
        "analysis_file",
        type=Path,
        metavar="ANALYSIS.toml",
        help="the analysis file (`geoplan init` writes a template)",
    )
    init_p = command(commands, "init", init)
    init_p.add_argument(
        "analysis_file",
        type=Path,
        metavar="ANALYSIS.toml",
        help="where to write the template",
    )


def init(args: argparse.Namespace) -> int:
    """Write the template, refusing to overwrite a file."""
    if args.analysis_file.exists():
        msg = (
            f"{args.analysis_file} exists; not overwritten. Give a new file name, "
            f"or edit it and run: geoplan run {args.analysis_file}"
        )
        raise ValidationError(msg)
    atomic_write_text(args.analysis_file, analysis.TEMPLATE)
    print(
        f"Wrote {args.analysis_file}; edit it, then: geoplan run {args.analysis_file}"
    )
    return 0


def run(args: argparse.Namespace) -> int:
    """Check the file, then run its job step by step."""
    job = analysis.load(args.analysis_file)
    outputs = job.section("outputs")
    layers_dir = job.resolve(outputs.get("layers_dir", "layers"))
    maps_dir = job.resolve(outputs.get("maps_dir", "maps"))
    print(f"[1/3] {job.data['analysis'].get('name', job.job)}: job {job.job}")
    if job.job == demo.JOB:  # the bundled case, run by its own module
        store = _gazetteer(job, layers_dir)
        print(demo.run_analysis(job, store, layers_dir, maps_dir))
        return 0
    return _coverage(job, layers_dir, maps_dir)


def _gazetteer(job: analysis.Analysis, layers_dir: Path) -> Path | None:
    section = job.section("gazetteer")
    store = job.resolve(section["store"]) if "store" in section else None
    files = job.adcode_files()
    if files:
        store = store or layers_dir / "gazetteer.gpkg"
        base = (
            gazetteer.Gazetteer.load(store)
            if store.is_file()
            else gazetteer.Gazetteer.builtin()
        )
        gazetteer_files.save_gazetteer(
            base.extend(gazetteer_files.read_adcode(files)), store
        )
        print(f"      gazetteer: {len(files)} adcode files imported into {store}")
    return store


def _coverage(job: analysis.Analysis, layers_dir: Path, maps_dir: Path) -> int:
    inputs = job.section("inputs")
    cov = job.section("coverage")
    outputs = job.section("outputs")
    name = job.path.stem
    task = CoverageJob(
        demand=job.resolve(inputs["demand"]["path"]),
        facilities=job.resolve(inputs["facilities"]["path"]),
        demand_layer=inputs["demand"].get("layer"),
        facilities_layer=inputs["facilities"].get("layer"),
        coords=inputs["demand"]["coords"],
        lon_column=inputs["demand"].get("lon_column"),
        lat_column=inputs["demand"].get("lat_column"),
        duplicate_ids=cov.get("duplicate_ids", "reject"),
        radius_m=cov.get("radius_m"),
        preset=cov.get("preset"),
        method=cov.get("method"),
        network=job.resolve(cov["network"]) if "network" in cov else None,
        weight_column=cov.get("weight_column"),
        target_share=cov.get("target_share"),
        out=job.resolve(outputs["gpkg"])
        if "gpkg" in outputs
        else layers_dir / f"{name}.gpkg",
        map=job.resolve(outputs["map"])
        if "map" in outputs
        else maps_dir / f"{name}.html",
        basemap=outputs.get("basemap", "auto"),
    )
    print("[2/3] coverage")
    finish(run_coverage(task))
    if "recommend" not in job.data:
        print("[3/3] done")
        return 0
    print("[3/3] recommend: where to build next")
    return _recommend(job, task, layers_dir, maps_dir)


def _recommend(
    job: analysis.Analysis,
    coverage_job: CoverageJob,
    layers_dir: Path,
    maps_dir: Path,
) -> int:
    """Site new facilities within the coverage radius, existing ones fixed."""
    rec = job.section("recommend")
    name = f"{job.path.stem}-recommend"
    radius = coverage_job.reach_m
    target = rec.get("target_share", job.section("coverage").get("target_share"))
    task = RecommendJob(
        demand=coverage_job.demand,
        existing=coverage_job.facilities,
        coords=coverage_job.coords,
        duplicate_ids=coverage_job.duplicate_ids,
        weight_column=coverage_job.weight_column,
        candidates=job.resolve(rec["candidates"]) if "candidates" in rec else None,
        candidates_from=rec.get("candidates_from"),
        candidates_grid=rec.get("candidates_grid_m"),
        units=job.resolve(rec["units"]) if "units" in rec else None,
        units_column=rec.get("units_column"),
        store=job.resolve(rec["store"]) if "store" in rec else None,
        keep_within=rec.get("keep_within"),
        capacity_column=rec.get("capacity_column"),
        radius_m=radius,
        k=rec.get("k"),
        target_share=None if "k" in rec else (target or 1.0),
        network=coverage_job.network,
        mode=coverage_job.mode,
        time_limit_s=rec.get("time_limit_s", 60.0),
        map=maps_dir / f"{name}.html",
        basemap=coverage_job.basemap,
        out=layers_dir / f"{name}.gpkg",
    )
    return finish(run_recommend(task))

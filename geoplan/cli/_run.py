"""The ``geoplan run`` and ``geoplan init`` commands: analyses from a file."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

from geoplan import _cases
from geoplan.cli._args import finish
from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.io._atomic import atomic_write_text
from geoplan.places import gazetteer
from geoplan.workflows import analysis
from geoplan.workflows.coverage import run_coverage
from geoplan.workflows.recommend import run_recommend
from geoplan.workflows.regional import run_regional


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
    print(f"[1/3] {job.file.analysis.name or job.job}: job {job.job}")
    if job.file.analysis.counties is not None:
        return _regional(job, args)
    if args.workers is not None or args.scheduler is not None:
        msg = (
            f"--workers/--scheduler run an analysis county by county; "
            f'{args.analysis_file} names no counties: add counties = "61" (a '
            'province, city or county code, a list, or "*") under [analysis]'
        )
        raise ValidationError(msg)
    if job.job in _cases.cases():  # a bundled case, run by its own module
        case = importlib.import_module(_cases.cases()[job.job]["module"])
        store = _gazetteer(job)
        print(case.run_analysis(job, store, job.layers_dir, job.maps_dir))
        if job.file.outputs.postgis:
            print(
                "[outputs] postgis is for the coverage job; a bundled case's "
                "GeoPackage goes to PostGIS with: geoplan export GPKG --to URL"
            )
        return 0
    coverage = job.coverage_job()
    print("[2/3] coverage")
    finish(run_coverage(coverage))
    written = [coverage.out]
    recommend = job.recommend_job(coverage)
    if recommend is None:
        print("[3/3] done")
    else:
        print("[3/3] recommend: where to build next")
        finish(run_recommend(recommend))
        written.append(recommend.out)
    tables = job.publish(written)
    if tables:
        print(f"PostGIS: {len(tables)} tables written: " + ", ".join(tables))
    return 0


def _regional(job: analysis.Analysis, args: argparse.Namespace) -> int:
    """Run a coverage analysis over counties, one task per county."""
    regional = job.regional_job(workers=args.workers or 0, scheduler=args.scheduler)
    where = (
        f"on {regional.scheduler}"
        if regional.scheduler
        else f"on a local cluster of {regional.workers} workers"
        if regional.workers
        else "in this process"
    )
    print(f"[2/3] coverage county by county ({regional.counties}), {where}")
    result = run_regional(regional)
    finish(result)
    tables = job.publish([regional.out])
    if tables:
        print(f"PostGIS: {len(tables)} tables written: " + ", ".join(tables))
    if len(result.failures):
        failures = regional.out.with_name(f"{regional.out.stem}-failures.csv")
        print(
            f"[3/3] {len(result.failures)} counties failed (reasons in {failures}); "
            "fix their inputs and rerun: the finished counties are reused"
        )
        return 1
    print("[3/3] done")
    return 0


def _gazetteer(job: analysis.Analysis) -> Path | None:
    section = job.file.gazetteer
    store = job.resolve(section.store) if section.store else None
    files = job.adcode_files()
    if files:
        store = store or job.layers_dir / "gazetteer.gpkg"
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

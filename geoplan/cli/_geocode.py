"""The ``geoplan gazetteer`` and ``geoplan geocode`` commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
from tqdm import tqdm

from geoplan import settings
from geoplan.errors import ValidationError
from geoplan.io import gazetteer_files
from geoplan.io._guard import refuse_overwriting_inputs
from geoplan.io._tables import write_csv
from geoplan.io.export import write_geopackage
from geoplan.io.layers import read_excel_text, read_text_table
from geoplan.io.styles import PRECISION_COLOURS, category_style
from geoplan.places import gazetteer, geocode, providers


def run_import(args: argparse.Namespace) -> int:
    """Extend the store with the given files."""
    store = Path(args.store or settings.gazetteer_path)
    refuse_overwriting_inputs({"FILE": args.files}, {"--store": store})
    base = (
        gazetteer.Gazetteer.load(store)
        if store.is_file()
        else (gazetteer.Gazetteer.builtin())
    )
    if args.format == "adcode":
        with tqdm(
            total=len(args.files),
            unit="file",
            desc="reading",
            file=sys.stderr,
            disable=args.no_progress,
        ) as bar:
            units = gazetteer_files.read_adcode(
                args.files, progress=lambda _: bar.update(1)
            )
    else:
        needed = {
            "--name-column": args.name_column,
            "--code-column": args.code_column,
            "--level": args.level,
            "--coords": args.coords,
        }
        missing = [k for k, v in needed.items() if v is None]
        if missing:
            msg = f"--format table needs {', '.join(missing)}."
            raise ValidationError(msg)
        units = pd.concat(
            [
                gazetteer_files.read_table(
                    f,
                    name_column=args.name_column,
                    code_column=args.code_column,
                    level=args.level,
                    coords=args.coords,
                )
                for f in args.files
            ]
        )
    extended = base.extend(units)
    gazetteer_files.save_gazetteer(extended, store)
    report = extended.import_report
    print(
        f"Imported {len(units)} units from {len(args.files)} files "
        f"({units['lon'].notna().sum()} with points): {report['onto_existing']} "
        f"onto units the gazetteer has, {report['added']} added (units it lacks); "
        f"store {store} now holds {len(extended)} units."
    )
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Print units and points per level."""
    gz = gazetteer.Gazetteer.load(args.store)
    units = gz.units
    table = (
        units.groupby("level")
        .agg(
            units=("name", "size"),
            with_point=("lon", "count"),
            pseudo=("pseudo", "sum"),
        )
        .reindex(gazetteer.LEVELS)
        .dropna()
    )
    print(table.astype(int).to_string())
    print("sources: " + "; ".join(sorted(set(units["source"]))))
    return 0


def run_geocode(args: argparse.Namespace) -> int:
    """Geocode a table and write points, CSV and the match report."""
    csv = args.out.with_suffix(".csv")
    report = args.out.with_name(args.out.stem + "-report.csv")
    fixes = args.out.with_name(args.out.stem + "-fixes.csv")
    outputs = {"--out": args.out, "the CSV beside --out": csv, "the report": report}
    if args.overrides is None or fixes.resolve() != args.overrides.resolve():
        outputs["the fixes template"] = fixes
    refuse_overwriting_inputs(
        {"INPUT": args.input, "--overrides": args.overrides, "--store": args.store},
        outputs,
    )
    table = (
        read_excel_text(args.input)
        if args.input.suffix.lower() in (".xlsx", ".xls")
        else read_text_table(args.input)
    )
    for column in filter(
        None, [args.name_column, args.context_column, args.fallback_column]
    ):
        if column not in table.columns:
            columns = list(table.columns)
            msg = f"{args.input}: no column {column!r}; columns are {columns}."
            raise ValidationError(msg)
    gz = gazetteer.Gazetteer.load(args.store)
    if args.context:
        _check_context(gz, args.context)
    overrides = (
        gazetteer_files.read_overrides(args.overrides, coords=args.overrides_coords)
        if args.overrides
        else None
    )
    context = table[args.context_column] if args.context_column else args.context
    fallback = table[args.fallback_column] if args.fallback_column else None
    bar = tqdm(
        total=len(table),
        unit="row",
        desc="geocoding",
        file=sys.stderr,
        disable=args.no_progress or not settings.show_progress,
    )
    result = geocode.geocode(
        table[args.name_column],
        gazetteer=gz,
        context=context,
        fallback=fallback,
        overrides=overrides,
        progress=lambda _: bar.update(1),
        providers=[providers.PROVIDERS[name]() for name in args.provider],
    )
    bar.close()
    out = geocode.with_results(table, result)
    layer = gpd.GeoDataFrame(out, geometry=result.geometry, crs=result.crs)
    write_geopackage(
        args.out,
        {"geocoded": layer},
        styles={"geocoded": category_style("precision", PRECISION_COLOURS)},
        provenance={
            "input": str(args.input),
            "name_column": args.name_column,
            "gazetteer": sorted(set(gz.units["source"])),
        },
    )
    write_csv(out, csv)
    counts, check = geocode.match_report(result)
    write_csv(
        check.join(table[[args.name_column]]).rename_axis("row"), report, index=True
    )
    print(
        f"Geocoded {len(table)} rows of {args.input} "
        f"(encoding {table.attrs.get('encoding', 'xlsx')}):"
    )
    print(counts.to_string(index=False))
    print(
        f"{len(check)} rows to check (ambiguous, unmatched or county and coarser): "
        f"{report}"
    )
    print(f"Written: {args.out}, {csv} (lon/lat in WGS-84: --coords wgs84)")
    if overrides is not None and overrides.pending:
        print(f"{overrides.pending} rows of {args.overrides} still have no lon/lat.")
    template = geocode.fixes_template(table[args.name_column], result, context)
    if not gazetteer_files.write_fixes(template, fixes, reading=args.overrides):
        print(f"{fixes} is the overrides file read, so it is left as it is.")
    elif len(check):
        print(
            f"To fix rows by hand: fill in lon/lat (WGS-84) in {fixes} and "
            f"rerun with --overrides {fixes}"
        )
    return 0


def _check_context(gz: gazetteer.Gazetteer, context: str) -> None:
    """Refuse a --context the gazetteer does not know, rather than ignore it."""
    code = gazetteer.pad_code(context)
    if code in gz.units.index:
        return
    hint = gz.province_hint(code)
    msg = (
        f"--context {context} is not a unit of the gazetteer"
        f"{f' ({hint})' if hint else ''}; give a "
        "unit code it holds, e.g. 611002 for 商州区 (`geoplan gazetteer info`)."
    )
    raise ValidationError(msg)

"""The ``geoplan export`` command: layers of a GeoPackage into other formats."""

from __future__ import annotations

import argparse

import pyogrio

from geoplan.errors import ValidationError
from geoplan.io import export, postgis
from geoplan.io._guard import inside, refuse_overwriting_inputs, safe_filename

#: Field types as GIS users name them.
_TYPES = {"object": "str", "int64": "int", "int32": "int", "float64": "float",
          "bool": "bool", "datetime64[ms]": "datetime"}  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """List or export layers."""
    if not args.source.is_file():
        msg = f"{args.source}: file not found."
        raise ValidationError(msg)
    try:
        listed = pyogrio.list_layers(args.source)
    except pyogrio.errors.DataSourceError:
        msg = f"{args.source}: not a GeoPackage or other GIS file GDAL can read."
        raise ValidationError(msg) from None
    names = [str(n) for n in listed[:, 0]]
    if args.list:
        for name, kind in listed:
            info = pyogrio.read_info(args.source, layer=name)
            fields = ", ".join(
                f"{f}:{_TYPES.get(str(t), str(t))}"
                for f, t in zip(info["fields"], info["dtypes"], strict=True)
            )
            print(f"{name} ({kind or 'table'}, {info['features']} rows): {fields}")
        return 0
    wanted = args.layer or [n for n in names if n not in ("layer_styles",)]
    unknown = sorted(set(wanted) - set(names))
    if unknown:
        msg = f"{args.source}: no layers {unknown}; it has {names}."
        raise ValidationError(msg)
    if args.to is not None:
        return _to_postgis(args, wanted)
    # Layer names come from the file: made safe, kept inside --out-dir.
    targets = {
        name: inside(args.out_dir, f"{safe_filename(name)}.{args.format}")
        for name in wanted
    }
    clashes = sorted(
        {str(t) for t in targets.values() if list(targets.values()).count(t) > 1}
    )
    if clashes:
        msg = (
            f"{args.source}: layers {wanted} would share the files {clashes}; "
            "export them one at a time with --layer and different --out-dir."
        )
        raise ValidationError(msg)
    refuse_overwriting_inputs(
        {"GPKG": args.source}, {f"layer {n}": t for n, t in targets.items()}
    )
    for name, target in targets.items():
        frame = pyogrio.read_dataframe(args.source, layer=name)
        if args.format == "gpkg":
            written = [
                export.write_geopackage(
                    target, {export.layer_name(name): frame}, crs=args.crs
                )
            ]
        else:
            written = export.export_layer(frame, target)
        print(f"{name}: {len(frame)} rows -> " + ", ".join(map(str, written)))
    return 0


def _to_postgis(args: argparse.Namespace, wanted: list[str]) -> int:
    """Write the layers to PostGIS, in one transaction."""
    if not postgis.is_postgis(args.to):
        msg = f"--to {args.to!r}: give a postgresql://HOST/DB?schema=NAME URL."
        raise ValidationError(msg)
    tables = export.geopackages_to_postgis(
        {args.source: ("", wanted)}, args.to, if_exists=args.if_exists
    )
    print(f"{args.source}: {len(tables)} layers -> PostGIS " + ", ".join(tables))
    return 0

"""Deliverables for GIS teams: GeoPackages, and the other formats they ask for.

:func:`write_geopackage` writes one GeoPackage per analysis:

- every layer in one declared CRS (EPSG:4326 by default, EPSG:4490 on
  request), ASCII field names, Chinese aliases and descriptions in
  ``gpkg_data_columns`` (the GeoPackage schema extension);
- a QGIS style per layer in ``layer_styles`` (QML and SLD), so QGIS opens
  each layer styled as on the HTML map;
- provenance (inputs, coordinate systems, gazetteer vintage, preset,
  method, geoplan version, run time) in ``gpkg_metadata``;
- atomically: the file is built beside the target and moved into place, so an
  interrupted run leaves the previous file intact; updating some layers keeps
  the others.

:func:`export_layer` writes GeoJSON, FlatGeobuf, CSV with WKT, Shapefile
(UTF-8 with ``.cpg``, names shortened to 10 bytes with the mapping written
out) and Excel (no geometry).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import json
import logging
import os
import re
import shutil
import sqlite3
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan.errors import ValidationError
from geoplan.io import postgis
from geoplan.io._atomic import atomic_path, remove_stale
from geoplan.io._tables import write_csv, write_xlsx
from geoplan.io.styles import LayerStyle, to_qml, to_sld
from geoplan.places.crs import CGCS2000, WGS84, to_wgs84

logger = logging.getLogger(__name__)

LAYER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
CRS_CHOICES = {"EPSG:4326": WGS84, "EPSG:4490": CGCS2000}
FORMATS = {
    ".geojson": "GeoJSON",
    ".fgb": "FlatGeobuf",
    ".csv": "CSV",
    ".shp": "ESRI Shapefile",
    ".xlsx": "XLSX",
    ".gpkg": "GPKG",
}
PROVENANCE_URI = "urn:geoplan:provenance:1"
SCHEMA_URI = "http://www.geopackage.org/spec/#extension_schema"
METADATA_URI = "http://www.geopackage.org/spec/#extension_metadata"


@functools.cache
def field_docs() -> dict[str, tuple[str, str]]:
    """
    Return the Chinese alias and English description of every known field.

    Returns
    -------
    dict
        Field name -> (alias, description), from ``geoplan/data/fields.json``.
    """
    path = importlib.resources.files("geoplan") / "data" / "fields.json"
    raw = json.loads(path.read_text(encoding="utf-8"))["fields"]
    return {name: (alias, text) for name, (alias, text) in raw.items()}


def alias(field: str) -> tuple[str, str] | None:
    """
    Return (Chinese alias, description) for a field, including unit patterns.

    Parameters
    ----------
    field
        An ASCII field name such as ``covered_1000m``.

    Returns
    -------
    tuple or None
        None for fields geoplan does not document.
    """
    if field in field_docs():
        return field_docs()[field]
    if match := re.fullmatch(r"covered_(\d+(?:\.\d+)?)m", field):
        metres = match.group(1)
        return f"{metres}米内已覆盖", f"A facility lies within {metres} m (1/0)"
    if match := re.fullmatch(r"n_within_(\d+(?:\.\d+)?)m", field):
        metres = match.group(1)
        return f"{metres}米内设施数", f"Facilities within {metres} m"
    return None


def layer_name(name: str) -> str:
    """
    Return a name from data as a GeoPackage layer name geoplan can write.

    Parameters
    ----------
    name
        Any layer name (another tool's GeoPackage may hold ``../x`` or Chinese).

    Returns
    -------
    str
        The name itself when it is already an ASCII identifier, else one made
        of its ASCII letters and digits, starting with a letter.

    Examples
    --------
    >>> layer_name("sites"), layer_name("../../trav_out"), layer_name("社区")
    ('sites', 'layer_trav_out', 'layer')
    """
    if LAYER_NAME.fullmatch(name):
        return name
    cleaned = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)).strip("_")
    return f"layer_{cleaned}".rstrip("_")[:63]


def _check_names(layers: Mapping[str, pd.DataFrame]) -> None:
    bad = [name for name in layers if not LAYER_NAME.fullmatch(name)]
    if bad:
        msg = (
            f"layer names {bad}: use ASCII letters, digits and _ (at most 63), "
            "starting with a letter."
        )
        raise ValidationError(msg)


def ascii_fields(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """
    Give user columns that are not ASCII identifiers stable ASCII names.

    A column such as ``名称`` becomes ``field_<position>``; the original name is
    kept as the field's alias, so GIS tools still show it.

    Parameters
    ----------
    frame
        A layer.

    Returns
    -------
    tuple
        The renamed frame and ``{new name: original name}``.
    """
    renamed: dict[str, str] = {}
    taken = {str(c).lower() for c in frame.columns}
    for position, column in enumerate(frame.columns):
        if column == "geometry" or (
            isinstance(column, str) and FIELD_NAME.fullmatch(column)
        ):
            continue
        new = f"field_{position}"
        while new.lower() in taken:
            new += "_"
        taken.add(new.lower())
        renamed[new] = str(column)
    if not renamed:
        return frame, {}
    return frame.rename(columns={v: k for k, v in renamed.items()}), renamed


def _prepare(frame: pd.DataFrame, crs: str) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if column == "geometry":
            continue
        if isinstance(series.dtype, pd.BooleanDtype):
            out[column] = series.astype("Int64")
        elif series.dtype == object:
            out[column] = [None if _missing(v) else str(v) for v in series]
    if isinstance(out, gpd.GeoDataFrame):
        out = to_wgs84(out)
        if crs == "EPSG:4490":
            out = out.set_crs(CGCS2000, allow_override=True)
    return out


def _missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


_SCHEMA_SQL = (
    # GDAL leaves this table out of a GeoPackage that holds only attribute
    # tables; its definition is the standard's (OGC 12-128r18, table 18).
    "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, "
    "extension_name TEXT NOT NULL, definition TEXT NOT NULL, scope TEXT NOT NULL, "
    "CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))",
    "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
    "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, "
    "mime_type TEXT, constraint_name TEXT, "
    "CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
    "CONSTRAINT gdc_tn UNIQUE (table_name, name))",
    "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT "
    "NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC, "
    "min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, "
    "description TEXT, "
    "CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))",
    "CREATE TABLE IF NOT EXISTS gpkg_metadata (id INTEGER CONSTRAINT m_pk PRIMARY KEY "
    "ASC NOT NULL, md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT "
    "NULL, mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL "
    "DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS gpkg_metadata_reference (reference_scope TEXT NOT "
    "NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER, timestamp DATETIME "
    "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), md_file_id INTEGER NOT "
    "NULL, md_parent_id INTEGER, CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) "
    "REFERENCES gpkg_metadata(id), CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) "
    "REFERENCES gpkg_metadata(id))",
    "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
    "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, styleSLD TEXT, "
    "useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
    "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
)
_EXTENSIONS = (
    ("gpkg_data_columns", "gpkg_schema", SCHEMA_URI),
    ("gpkg_data_column_constraints", "gpkg_schema", SCHEMA_URI),
    ("gpkg_metadata", "gpkg_metadata", METADATA_URI),
    ("gpkg_metadata_reference", "gpkg_metadata", METADATA_URI),
)


def _annotate(
    path: Path,
    layers: Mapping[str, pd.DataFrame],
    styles: Mapping[str, LayerStyle],
    provenance: Mapping[str, object] | None,
) -> None:
    """Aliases, styles and provenance, written with plain SQLite, parameters bound."""
    con = sqlite3.connect(path)
    try:
        with con:
            for statement in _SCHEMA_SQL:
                if styles or "layer_styles" not in statement:
                    con.execute(statement)
            for table, extension, definition in _EXTENSIONS:
                con.execute(
                    "INSERT OR IGNORE INTO gpkg_extensions (table_name, column_name, "
                    "extension_name, definition, scope) VALUES (?, NULL, ?, ?, "
                    "'read-write')",
                    (table, extension, definition),
                )
            if styles:
                con.execute(
                    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, "
                    "identifier, description, last_change) VALUES ('layer_styles', "
                    "'attributes', 'layer_styles', 'QGIS styles of the layers', "
                    "strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
                )
            for name, frame in layers.items():
                frame, original = ascii_fields(frame)
                _write_aliases(con, name, frame, original)
                if name in styles:
                    _write_style(con, name, frame, styles[name])
            if provenance is not None:
                _write_provenance(con, provenance)
    finally:
        con.close()


def _write_aliases(
    con: sqlite3.Connection, name: str, frame: pd.DataFrame, original: dict[str, str]
) -> None:
    con.execute("DELETE FROM gpkg_data_columns WHERE table_name = ?", (name,))
    for column in frame.columns:
        documented = alias(column) if column != "geometry" else None
        if column in original:
            documented = (original[column], f"original column name: {original[column]}")
        if documented:
            title, description = documented
            con.execute(
                "INSERT INTO gpkg_data_columns (table_name, column_name, name, title, "
                "description) VALUES (?, ?, ?, ?, ?)",
                (name, column, title, title, description),
            )


def _write_style(
    con: sqlite3.Connection, name: str, frame: pd.DataFrame, style: LayerStyle
) -> None:
    aliases = {c: a[0] for c in frame.columns if (a := alias(c)) is not None}
    geometry_column = con.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (name,)
    ).fetchone()
    con.execute("DELETE FROM layer_styles WHERE f_table_name = ?", (name,))
    con.execute(
        "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
        "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
        "owner, ui) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'geoplan', '')",
        (
            name,
            geometry_column[0] if geometry_column else "",
            style.name,
            to_qml(style, aliases),
            to_sld(style, name),
            "geoplan default style",
        ),
    )


def _write_provenance(
    con: sqlite3.Connection, provenance: Mapping[str, object]
) -> None:
    from geoplan._version import __version__

    record = {
        "geoplan_version": __version__,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **provenance,
    }
    cursor = con.execute(
        "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
        "VALUES ('dataset', ?, 'application/json', ?)",
        (PROVENANCE_URI, json.dumps(record, ensure_ascii=False, default=str)),
    )
    con.execute(
        "INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id) "
        "VALUES ('geopackage', ?)",
        (cursor.lastrowid,),
    )


def write_geopackage(
    path: Path | str,
    layers: Mapping[str, pd.DataFrame],
    *,
    crs: str = "EPSG:4326",
    styles: Mapping[str, LayerStyle] | None = None,
    provenance: Mapping[str, object] | None = None,
    update: bool = False,
) -> Path:
    """
    Write layers (and attribute tables) into a GeoPackage, atomically.

    Parameters
    ----------
    path
        The GeoPackage.
    layers
        Layer name -> GeoDataFrame (features) or DataFrame (attribute table).
        Names and fields must be ASCII; Chinese goes into the aliases.
    crs
        ``"EPSG:4326"`` (WGS-84, default) or ``"EPSG:4490"`` (CGCS2000).
    styles
        Layer name -> style, stored in ``layer_styles``.
    provenance
        What the layers were made from; stored in ``gpkg_metadata``.
    update
        Keep the file's other layers and replace only these; otherwise the
        file is written anew.

    Returns
    -------
    pathlib.Path
        `path`.
    """
    path = Path(path)
    if crs not in CRS_CHOICES:
        msg = f"`crs` must be one of {sorted(CRS_CHOICES)}, got {crs!r}."
        raise ValidationError(msg)
    _check_names(layers)
    with atomic_path(path, suffix=".gpkg") as tmp:
        if update and path.is_file():
            shutil.copyfile(path, tmp)
        for name, frame in layers.items():
            options = {} if tmp.is_file() else {"VERSION": "1.3"}
            pyogrio.write_dataframe(
                _prepare(ascii_fields(frame)[0], crs),
                tmp,
                layer=name,
                driver="GPKG",
                dataset_options=options,
                use_arrow=True,
            )
        _annotate(tmp, layers, styles or {}, provenance)
    logger.info(
        "Wrote %s: %s", path, ", ".join(f"{k} ({len(v)})" for k, v in layers.items())
    )
    return path


def read_provenance(path: Path | str) -> list[dict[str, object]]:
    """
    Return the provenance records of a GeoPackage written by geoplan.

    Parameters
    ----------
    path
        The GeoPackage.

    Returns
    -------
    list of dict
        One record per write, oldest first.
    """
    con = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ? ORDER BY id",
            (PROVENANCE_URI,),
        ).fetchall()
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]


def _short_names(columns: list[str]) -> dict[str, str]:
    """Map field names to unique Shapefile names of at most 10 bytes."""
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for column in columns:
        short = column[:10]
        counter = 1
        while short in used:
            suffix = f"_{counter}"
            short = column[: 10 - len(suffix)] + suffix
            counter += 1
        mapping[column] = short
        used.add(short)
    return mapping


def export_layer(frame: pd.DataFrame, path: Path | str) -> list[Path]:
    """
    Write one layer in the format its file name asks for.

    ``.geojson`` (RFC 7946, WGS-84), ``.fgb`` (FlatGeobuf), ``.csv`` (UTF-8 with
    BOM, geometry as WKT), ``.shp`` (UTF-8 with ``.cpg``; field names cut to
    10 bytes, the mapping written to ``<name>.fields.csv``), ``.xlsx``
    (attributes only) or ``.gpkg``.

    Parameters
    ----------
    frame
        The layer.
    path
        The target file.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        msg = f"{path}: unknown format {suffix!r}; use one of {sorted(FORMATS)}."
        raise ValidationError(msg)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".gpkg":
        return [write_geopackage(path, {path.stem.replace("-", "_"): frame})]
    data = _prepare(frame, "EPSG:4326")
    if suffix == ".xlsx":
        table = pd.DataFrame(data.drop(columns="geometry", errors="ignore"))
        write_xlsx({path.stem: table}, path)
        return [path]
    if suffix == ".csv":
        table = pd.DataFrame(data.drop(columns="geometry", errors="ignore"))
        if isinstance(data, gpd.GeoDataFrame):
            table["wkt"] = data.geometry.to_wkt(rounding_precision=-1)
        write_csv(table, path)
        return [path]
    if suffix == ".shp":
        mapping = _short_names([c for c in data.columns if c != "geometry"])
        data = data.rename(columns=mapping)
        _write_shapefile(data, path)
        fields = path.with_suffix(".fields.csv")
        write_csv(
            pd.DataFrame(
                {
                    "field": list(mapping),
                    "shapefile_field": list(mapping.values()),
                    "alias": [(alias(f) or ("", ""))[0] for f in mapping],
                }
            ),
            fields,
        )
        main = path if isinstance(data, gpd.GeoDataFrame) else path.with_suffix(".dbf")
        return [main, path.with_suffix(".cpg"), fields]
    with atomic_path(path, suffix=suffix) as tmp:
        pyogrio.write_dataframe(data, tmp, driver=FORMATS[suffix], use_arrow=True)
    return [path]


def _write_shapefile(data: pd.DataFrame, path: Path) -> None:
    """Write a Shapefile's files in a folder beside, then move each into place."""
    folder = path.with_name(f".{path.name}.tmp-{os.getpid()}.d")
    remove_stale(path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        pyogrio.write_dataframe(
            data,
            folder / path.name,
            driver="ESRI Shapefile",
            layer_options={"ENCODING": "UTF-8"},
        )
        for part in sorted(folder.iterdir()):
            with part.open("rb+") as handle:
                os.fsync(handle.fileno())
            part.replace(path.with_name(part.name))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def geopackages_to_postgis(
    sources: Mapping[Path, tuple[str, list[str]]],
    url: str,
    *,
    if_exists: postgis.IfExists = "fail",
) -> list[str]:
    """
    Copy layers of GeoPackages to PostGIS with their styles and aliases.

    The QGIS styles the GeoPackages hold (``layer_styles``) go to QGIS's
    ``public.layer_styles``, the Chinese aliases become column comments and
    the last provenance record the table comment; all in one transaction.

    Parameters
    ----------
    sources
        GeoPackage -> (table-name prefix, its layers to copy).
    url
        The database (:func:`geoplan.io.postgis.parse`), ``schema=`` chosen.
    if_exists
        ``fail``, ``replace`` or ``append``.

    Returns
    -------
    list of str
        ``schema.table`` of each table written.
    """
    frames: dict[str, pd.DataFrame] = {}
    styles: dict[str, tuple[str, str]] = {}
    provenance: dict[str, Mapping[str, object]] = {}
    for path, (prefix, layers) in sources.items():
        for name in layers:
            frames[prefix + name] = pyogrio.read_dataframe(path, layer=name)
        styles |= {
            prefix + name: style
            for name, style in _default_styles(path).items()
            if name in layers
        }
        records = read_provenance(path)
        if records:
            provenance[path.name] = records[-1]
    comments = {
        column: documented[0]
        for frame in frames.values()
        for column in frame.columns
        if (documented := alias(str(column))) is not None
    }
    return postgis.write_layers(
        url,
        frames,
        styles=styles,
        comments=comments,
        if_exists=if_exists,
        provenance=next(iter(provenance.values()))
        if len(provenance) == 1
        else provenance,
    )


def _default_styles(path: Path) -> dict[str, tuple[str, str]]:
    """Return each layer's default QGIS style (QML, SLD) stored in a GeoPackage."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if not con.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'layer_styles'"
        ).fetchone()[0]:
            return {}
        rows = con.execute(
            "SELECT f_table_name, styleQML, styleSLD FROM layer_styles "
            "WHERE useAsDefault"
        ).fetchall()
    finally:
        con.close()
    return {name: (qml, sld) for name, qml, sld in rows}

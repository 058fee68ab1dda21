"""Read point layers from tables and GIS files, declaring their coordinates.

Tables (CSV, XLSX) carry longitude/latitude columns whose coordinate system
must be declared (``wgs84``, ``gcj02`` or ``bd09``); it is converted to WGS-84
on the way in. GIS files (GeoPackage, GeoJSON, Shapefile, FlatGeobuf) declare
their CRS; content that is GCJ-02 or BD-09 although labelled EPSG:4326 is
declared with `coords`. No row is dropped: rows without usable coordinates
keep an empty geometry and a ``location_note``.
"""

from __future__ import annotations

import csv
import logging
import zipfile
from io import StringIO
from pathlib import Path
from typing import Literal

import geopandas as gpd
import pandas as pd
import pyogrio

from geoplan._geometry import has_location
from geoplan.errors import CRSError, DataSourceError, ValidationError
from geoplan.io import postgis
from geoplan.io._tables import plain_text
from geoplan.places.coords import SYSTEMS, CoordSystem, convert
from geoplan.places.crs import WGS84, to_wgs84

logger = logging.getLogger(__name__)

TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xls")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
ENCODINGS = ("utf-8-sig", "gb18030")


def read_text_table(path: Path, *, strict: bool = True) -> pd.DataFrame:
    """
    Read a CSV as text cells, detecting UTF-8 (with or without BOM) or GBK/GB18030.

    Every row keeps the number of the line it starts on in the file as its
    index label (the header is line 1), so messages and QA tables point at
    the row a user sees in an editor, blank lines included. A row with more
    cells than the header (a stray comma) is never shifted into the wrong
    columns: it is refused, or set aside with `strict` off.

    Parameters
    ----------
    path
        The CSV file.
    strict
        Raise on rows of the wrong width (default). With False such rows,
        and blank lines, are left out of the frame and listed in
        ``attrs["bad_rows"]`` (line, reason, detail) for the caller to report.

    Returns
    -------
    pandas.DataFrame
        All cells as strings (codes keep their leading zeros), indexed by
        line number; ``attrs["encoding"]`` records the encoding used. A
        leading ``'`` that guards a formula-like cell (as geoplan writes
        them) is dropped.
    """
    if not Path(path).is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    raw = Path(path).read_bytes()
    for encoding in ENCODINGS:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        frame = _parse_csv(path, text, strict=strict)
        frame.attrs["encoding"] = "utf-8" if encoding == "utf-8-sig" else encoding
        return frame
    msg = f"{path}: not UTF-8 or GBK/GB18030 text; save it as UTF-8 CSV."
    raise ValidationError(msg)


def _fit(record: list[str], width: int) -> tuple[list[str] | None, str, str]:
    """Return a record as cells under the header, or why it does not fit."""
    if not record or all(not c.strip() for c in record):
        return None, "blank_row", ""
    if len(record) > width and any(c.strip() for c in record[width:]):
        detail = (
            f"{len(record)} fields under a header of {width}; a separator inside "
            "a cell? quote it"
        )
        return None, "too_many_fields", detail
    cells = record[:width] + [""] * (width - len(record))
    return [plain_text(c) for c in cells], "", ""


def _parse_csv(path: Path, text: str, *, strict: bool) -> pd.DataFrame:
    """Rows of a CSV text with their line numbers; wrong widths set aside."""
    reader = csv.reader(StringIO(text, newline=""), strict=True)
    rows: dict[int, list[str]] = {}
    bad: list[dict[str, object]] = []
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            if header is None:
                header = [plain_text(c) for c in record] if record else None
            else:
                cells, reason, detail = _fit(record, len(header))
                if cells is None:
                    bad.append({"line": start, "reason": reason, "detail": detail})
                else:
                    rows[start] = cells
            start = reader.line_num + 1
    except csv.Error as exc:
        msg = (
            f"{path}: not a well-formed CSV table (line {reader.line_num}: {exc}); "
            "check quoting."
        )
        raise ValidationError(msg) from None
    if header is None:
        msg = f"{path}: the file is empty; it needs a header row and data rows."
        raise ValidationError(msg)
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        msg = f"{path}: the header names columns {repeated} twice; rename them."
        raise ValidationError(msg)
    wrong = [b for b in bad if b["reason"] != "blank_row"]
    if strict and wrong:
        listed = "; ".join(f"line {b['line']}: {b['detail']}" for b in wrong[:5])
        msg = f"{path}: {len(wrong)} rows do not fit the header ({listed})."
        raise ValidationError(msg)
    frame = pd.DataFrame(
        list(rows.values()),
        columns=header,
        index=pd.Index(list(rows), name="line", dtype="int64"),
        dtype=str,
    )
    frame.attrs["bad_rows"] = bad
    return frame


def read_excel_text(path: Path) -> pd.DataFrame:
    """
    Read the first sheet of an Excel workbook as text cells.

    Parameters
    ----------
    path
        The ``.xlsx`` workbook (only its first sheet is read).

    Returns
    -------
    pandas.DataFrame
        All cells as strings, blanks as ``""``.

    Raises
    ------
    ValidationError
        If the file is not an Excel workbook pandas can read.
    """
    if not Path(path).is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    try:
        frame = pd.read_excel(path, dtype=str).fillna("")
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
        msg = (
            f"{path}: not an Excel workbook geoplan can read ({error}); save it "
            "as .xlsx from Excel or WPS, or as UTF-8 CSV."
        )
        raise ValidationError(msg) from None
    frame = frame.map(plain_text)
    frame.index = pd.Index(range(2, len(frame) + 2), name="line")
    frame.attrs["encoding"] = "xlsx"
    frame.attrs["bad_rows"] = []
    return frame


def _pick(columns: list[str], given: str | None, names: tuple[str, ...]) -> str:
    if given is not None:
        if given not in columns:
            msg = f"column {given!r} not found; columns are {columns}."
            raise ValidationError(msg)
        return given
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    msg = (
        f"no column named one of {list(names)}; name it with --lon-column/--lat-column."
    )
    raise ValidationError(msg)


def number_column(
    frame: pd.DataFrame, column: str | None, *, option: str, noun: str
) -> pd.Series | None:
    """
    Return a column as numbers (weights, capacities), refusing unusable cells.

    Parameters
    ----------
    frame
        A layer as read by :func:`read_points`.
    column
        The column; None for none.
    option
        The command-line option that named it, for the message.
    noun
        What a cell holds (``"weight"``, ``"capacity"``), for the message.

    Returns
    -------
    pandas.Series or None
        Numbers aligned to `frame`, or None when no column is named.

    Raises
    ------
    ValidationError
        If the column is missing, or a located row's cell is blank, not a
        number or negative (rows without a location are not used).
    """
    if column is None:
        return None
    if column not in frame.columns:
        shown = [c for c in frame.columns if c not in ("geometry", "location_note")]
        msg = (
            f"{option} {column!r} not found: the layer has no column {column!r}; "
            f"its columns are {shown}."
        )
        raise ValidationError(msg)
    values = pd.to_numeric(frame[column], errors="coerce")
    located = has_location(frame)
    bad = located & (values.isna() | (values < 0))
    if bad.any():
        where = frame.index[bad]
        rows = frame.loc[bad, "source_row"] if "source_row" in frame else where
        cells = [
            f"row {r}: {frame.at[i, column]!r}"
            for r, i in zip(rows, where, strict=True)
        ]
        msg = (
            f"{option} {column!r}: {int(bad.sum())} rows have no usable {noun} "
            f"({'; '.join(cells[:5])}); give every row a number >= 0."
        )
        raise ValidationError(msg)
    return values


def read_layer(path: Path | str, layer: str | None = None) -> gpd.GeoDataFrame:
    """
    Read one layer of a GIS file, with errors that say what the file holds.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile, FlatGeobuf, ...
    layer
        The layer; default the file's only feature layer.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer as stored (no reprojection).
    """
    if postgis.is_postgis(path):
        return _postgis_layer(str(path))
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    return pyogrio.read_dataframe(path, layer=pick_layer(path, layer))


def pick_layer(path: Path, layer: str | None, *, option: str = "--layer") -> str:
    """
    Choose the layer of a GIS file to read.

    Parameters
    ----------
    path
        The file.
    layer
        The layer asked for, if any.
    option
        The command-line option that names the layer, for messages.

    Returns
    -------
    str
        `layer` when it exists; else the file's only feature layer (tables
        such as QGIS's ``layer_styles`` are not candidates).

    Raises
    ------
    ValidationError
        If `layer` is missing, or the file holds several feature layers and
        none was named.
    """
    try:
        listed = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as error:
        msg = f"{path}: not a GIS file GDAL can read ({error})."
        raise DataSourceError(msg) from None
    names = [str(n) for n in listed[:, 0]]
    if layer is not None:
        if layer not in names:
            msg = f"{path}: no layer {layer!r}; it has {names}. Fix {option}."
            raise ValidationError(msg)
        return layer
    features = [str(n) for n, kind in listed if kind is not None]
    if len(features) == 1:
        return features[0]
    if not features:
        msg = f"{path}: holds no feature layer (only tables {names})."
        raise ValidationError(msg)
    msg = (
        f"{path}: holds {len(features)} feature layers {features}; name one with "
        f"{option}."
    )
    raise ValidationError(msg)


def read_points(
    path: Path | str,
    *,
    coords: CoordSystem | None = None,
    layer: str | None = None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    layer_option: str = "--layer",
    duplicate_ids: Literal["reject", "keep"] = "reject",
) -> gpd.GeoDataFrame:
    """
    Read a point layer into WGS-84, converting from its declared system.

    Parameters
    ----------
    path
        CSV/XLSX table with longitude/latitude columns, or a GIS file.
    coords
        The coordinate system of the coordinates: required for tables;
        for GIS files labelled EPSG:4326 it says whether the content is
        really GCJ-02 or BD-09.
    layer
        Layer name for multi-layer files (GeoPackage).
    lon_column, lat_column
        Coordinate columns of a table; detected from common names
        (``lon``/``lng``/``longitude``/``经度``, ``lat``/``latitude``/``纬度``)
        when omitted.
    layer_option
        The command-line option naming `layer`, for messages.
    duplicate_ids
        For tables: rows that repeat an earlier id (a column ``id``, ``编号``
        or ``序号``) are rejected (default) or kept; either way listed.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326, index as read, with ``location_note`` where a row
        has no usable coordinates; ``attrs`` record ``source_crs``/``coords``.
    """
    if coords is not None and coords not in SYSTEMS:
        msg = f"`coords` must be one of {list(SYSTEMS)}, got {coords!r}."
        raise ValueError(msg)
    if postgis.is_postgis(path):
        return _declared(_postgis_layer(str(path)), coords)
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found."
        raise DataSourceError(msg)
    if path.suffix.lower() in TABLE_SUFFIXES:
        return _points_from_table(path, coords, lon_column, lat_column, duplicate_ids)
    options = {}
    if path.suffix.lower() == ".shp":
        options["encoding"], note = shapefile_encoding(path)
        if note:
            logger.warning("%s: %s", path, note)
    chosen = pick_layer(path, layer, option=layer_option)
    frame = pyogrio.read_dataframe(path, layer=chosen, **options)
    frame.attrs["encoding"] = options.get("encoding", "")
    return _declared(frame, coords)


def _postgis_layer(url: str) -> gpd.GeoDataFrame:
    """Read a PostGIS layer that has a geometry column (else say so)."""
    frame = postgis.read_layer(url)
    if not isinstance(frame, gpd.GeoDataFrame):
        msg = f"{postgis.parse(url).shown}: the layer has no geometry column."
        raise ValidationError(msg)
    return frame


def _declared(frame: gpd.GeoDataFrame, coords: CoordSystem | None) -> gpd.GeoDataFrame:
    """To WGS-84, then from the declared offset system (GCJ-02, BD-09) if any."""
    encoding = frame.attrs.get("encoding", "")
    frame = to_wgs84(frame)
    frame.attrs["encoding"] = encoding
    if coords in ("gcj02", "bd09"):
        xy = frame.geometry.get_coordinates()
        lon, lat = convert(xy["x"], xy["y"], source=coords, target="wgs84")
        frame = frame.set_geometry(gpd.points_from_xy(lon, lat, crs=WGS84))
    frame.attrs["coords"] = coords or "wgs84"
    return frame


def shapefile_encoding(path: Path) -> tuple[str, str]:
    """
    Decide a Shapefile's text encoding from its ``.cpg`` and its DBF bytes.

    A missing ``.cpg``, or one that names an encoding the DBF's bytes are not
    in, is common with files from Chinese desktop GIS (GBK written, no or a
    wrong ``.cpg``). The declared encoding is used when the bytes decode in it;
    otherwise UTF-8, then GB18030, are tried; never a lossy decode.

    Parameters
    ----------
    path
        The ``.shp`` file.

    Returns
    -------
    tuple of str
        The encoding and a note (empty when the ``.cpg`` was right).
    """
    dbf = path.with_suffix(".dbf")
    raw = dbf.read_bytes()
    header = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    records = raw[header:]
    cpg = path.with_suffix(".cpg")
    declared = (
        cpg.read_text(encoding="ascii", errors="ignore").strip()
        if cpg.is_file()
        else ""
    )
    for encoding in filter(None, [declared, "utf-8", "gb18030"]):
        try:
            records.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if encoding == declared:
            return encoding, ""
        reason = f"its .cpg says {declared!r}" if declared else "it has no .cpg"
        return encoding, f"{reason}; its text decodes as {encoding}, which is used"
    msg = f"{path}: the DBF text is neither {declared or 'UTF-8'} nor GBK/GB18030."
    raise ValidationError(msg)


def _points_from_table(
    path: Path,
    coords: CoordSystem | None,
    lon_column: str | None,
    lat_column: str | None,
    duplicate_ids: Literal["reject", "keep"] = "reject",
) -> gpd.GeoDataFrame:
    """Every row of the table through the ingest path; rejected rows kept unlocated."""
    from geoplan.io.ingest import ingest_points  # deferred: ingest imports this module

    if coords is None:
        msg = (
            f"{path}: declare the coordinate system of its coordinates "
            "(--coords wgs84|gcj02|bd09); geoplan never guesses it."
        )
        raise CRSError(msg)
    used, report = ingest_points(
        path,
        coords=coords,
        lon_column=lon_column,
        lat_column=lat_column,
        duplicate_ids=duplicate_ids,
    )
    # Blank lines are accounted for in the report, not kept as empty places.
    rejected = report.rejected[report.rejected["reason"] != "blank_row"]
    kept = gpd.GeoDataFrame(
        rejected.assign(location_note=rejected["reason"] + ": " + rejected["detail"]),
        geometry=[None] * len(rejected),
        crs=WGS84,
    )
    out = pd.concat([used.assign(location_note=""), kept], ignore_index=True)
    out = out.sort_values("source_row", kind="stable").reset_index(drop=True)
    out = gpd.GeoDataFrame(
        out.drop(columns=["reason", "detail"], errors="ignore"),
        geometry="geometry",
        crs=WGS84,
    )
    out.attrs.update(
        source_crs=coords, coords=coords, encoding=report.encoding, ingest=report
    )
    if len(rejected):
        logger.warning(
            "%s: %d rows kept without a location (not_located in the outputs; "
            "the qa_report layer lists them): %s",
            path,
            len(rejected),
            _rows_by_reason(rejected),
        )
    return out


def _rows_by_reason(rejected: pd.DataFrame, shown: int = 5) -> str:
    """Say which rows were rejected for what: lines and names, a few per reason."""
    name = next((c for c in ("name", "名称", "id") if c in rejected.columns), None)
    parts = []
    for reason, rows in rejected.groupby("reason", sort=True):
        rows_named = [
            f"line {r.source_row}" + (f" {getattr(r, name)!r}" if name else "")
            for r in rows.head(shown).itertuples(index=False)
        ]
        more = f", … {len(rows) - shown} more" if len(rows) > shown else ""
        parts.append(f"{reason} {len(rows)} ({', '.join(rows_named)}{more})")
    return "; ".join(parts)
